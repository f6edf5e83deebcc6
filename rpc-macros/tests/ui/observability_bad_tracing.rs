#[derive(Clone, PartialEq, prost::Message)]
pub struct Req {}
#[derive(Clone, PartialEq, prost::Message)]
pub struct Rep {}

// A ratio written as text, then one out of range with a collector URL that names no port.
#[kuberpc::rpc_service(package = "shop.v1", observability(sample_ratio = "half"))]
pub trait Shop {
    async fn get(&self, request: Req) -> Result<Rep, kuberpc::Status>;
}

#[kuberpc::rpc_service(package = "shop.v1", observability(otlp_endpoint = "http://collector", sample_ratio = 2.0))]
pub trait Store {
    async fn get(&self, request: Req) -> Result<Rep, kuberpc::Status>;
}
fn main() {}
