#[derive(Clone, PartialEq, prost::Message)]
pub struct Req {}
#[derive(Clone, PartialEq, prost::Message)]
pub struct Rep {}

// An availability of 100 % (no budget at all), and a latency objective past the method's deadline.
#[kuberpc::rpc_service(package = "shop.v1", slo(availability = 100.0))]
pub trait Shop {
    #[rpc(timeout_ms = 500, slo(latency_ms = 800))]
    async fn get(&self, request: Req) -> Result<Rep, kuberpc::Status>;
}
fn main() {}
