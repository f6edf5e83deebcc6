//! The system example's entry point: a trait-first service (`api.rs`) that calls two others —
//! the greeter and the journal — through the typed targets of its deploy module
//! (`front_deploy::calls::GREETER`, `…::JOURNAL`). The source states those calls, so the
//! generated NetworkPolicies let the front reach exactly them, and them admit only the front.

mod api;

pub use api::*;
use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};
use journal::pb::journal_client::JournalClient;
use journal::pb::{journal_deploy, AppendRequest};
use kuberpc::client::{Client, PolicyChannel, TargetError};
use kuberpc::Status;

/// The encoded descriptors of the emitted `front.v1` proto, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = kuberpc::include_descriptor_set!();

/// The front under `kuberpc::Server`, its callees found where this pod's environment puts them.
pub async fn server() -> Result<kuberpc::Server, TargetError> {
    Ok(kuberpc::Server::new(&front_deploy::DEPLOY)
        .add_service(FrontServer::new(FrontService::connect().await?))
        .file_descriptor_set(FILE_DESCRIPTOR_SET))
}

/// The front: a balanced client of each callee.
#[derive(Debug, Clone)]
pub struct FrontService {
    greeter: GreeterClient<PolicyChannel>,
    journal: JournalClient<PolicyChannel>,
}

impl FrontService {
    /// Clients of the callees the source declares, each at its address in this pod.
    pub async fn connect() -> Result<Self, TargetError> {
        let greeter = Client::new(&greeter_deploy::DEPLOY).callee(&front_deploy::calls::GREETER).connect().await?;
        let journal = Client::new(&journal_deploy::DEPLOY).callee(&front_deploy::calls::JOURNAL).connect().await?;
        Ok(Self { greeter: GreeterClient::new(greeter), journal: JournalClient::new(journal) })
    }
}

impl Front for FrontService {
    async fn welcome(&self, request: WelcomeRequest) -> Result<WelcomeReply, Status> {
        let name = request.name;
        let hello = self.greeter.clone().say_hello(HelloRequest { name: name.clone() }).await?.into_inner();
        let text = format!("welcomed {name}");
        let recorded = self.journal.clone().append(AppendRequest { text }).await?.into_inner();
        Ok(WelcomeReply { message: hello.message, recorded_by: recorded.pod, offset: recorded.offset })
    }
}
