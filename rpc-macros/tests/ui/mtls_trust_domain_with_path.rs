#[derive(Clone, PartialEq, prost::Message)]
pub struct Req {}
#[derive(Clone, PartialEq, prost::Message)]
pub struct Rep {}

#[kuberpc::rpc_service(package = "shop.v1", mtls(trust_domain = "cluster.local/prod"))]
pub trait Shop {
    async fn get(&self, request: Req) -> Result<Rep, kuberpc::Status>;
}
fn main() {}
