#[derive(Clone, PartialEq, prost::Message)]
pub struct Req {}
#[derive(Clone, PartialEq, prost::Message)]
pub struct Rep {}

#[kuberpc::rpc_service(package = "shop.v1", port = "80", replicas = 0, storage(size = "1Gi", access_mode = "ReadWriteSometimes"))]
pub trait Shop {
    #[rpc(idempotent = "yes")]
    async fn get(&self, request: Req) -> Result<Rep, kuberpc::Status>;
    fn put(&mut self, request: Req) -> Result<Rep, kuberpc::Status>;
}
fn main() {}
