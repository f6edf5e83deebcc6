//! `wkt.v1.Echo`: answers every request as it came.

use tonic::{Request, Response, Status};

use crate::pb::wkt::v1::echo_server::Echo;
use crate::pb::wkt::v1::Everything;

/// The echo handler: the answer is the request (over REST's GET binding, a message with only
/// `text` set, from the path).
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoService;

#[tonic::async_trait]
impl Echo for EchoService {
    async fn echo(&self, request: Request<Everything>) -> Result<Response<Everything>, Status> {
        Ok(Response::new(request.into_inner()))
    }
}
