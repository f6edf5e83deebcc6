#[derive(Clone, PartialEq, prost::Message)]
pub struct Req {}
#[derive(Clone, PartialEq, prost::Message)]
pub struct Rep {}

#[kuberpc::rpc_service(package = "shop.v1", drain_seconds = 20, termination_grace_seconds = 30)]
pub trait Shop {
    async fn get(&self, request: Req) -> Result<Rep, kuberpc::Status>;
}
fn main() {}
