//! The trait-first example: a counter service written as a Rust trait (`api.rs`).
//! `#[rpc_service]` turns it into `CounterServer`, `CounterClient` and `counter_deploy`; the
//! build script writes `deploy/counter/` and the equivalent `proto/counter/v1/counter.proto`
//! from it. This file holds the handlers.

mod api;

use std::collections::BTreeMap;
use std::sync::Mutex;

pub use api::*;
use kuberpc::{ResponseStream, Status, Streaming};
use tokio_stream::StreamExt;

/// The encoded descriptors of the emitted `counter.v1` proto, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = kuberpc::include_descriptor_set!();

/// The counter under `kuberpc::Server`: a fresh [`CounterService`], health, reflection.
pub fn server() -> kuberpc::Server {
    kuberpc::Server::new(&counter_deploy::DEPLOY)
        .add_service(CounterServer::new(CounterService::default()))
        .file_descriptor_set(FILE_DESCRIPTOR_SET)
}

/// Upper bound on readings per `Watch`.
const MAX_WATCH_COUNT: u32 = 1000;

/// The counter service: values in memory.
#[derive(Debug, Default)]
pub struct CounterService {
    values: Mutex<BTreeMap<String, (i64, Source)>>,
}

impl CounterService {
    fn apply(&self, key: &str, delta: i64, source: Source) -> Result<i64, Status> {
        let mut values = self.values.lock().map_err(|_| Status::internal("counter state poisoned"))?;
        let entry = values.entry(key.to_string()).or_insert((0, Source::Unspecified));
        entry.0 = entry.0.checked_add(delta).ok_or_else(|| Status::out_of_range(format!("{key} would overflow")))?;
        entry.1 = source;
        Ok(entry.0)
    }

    fn read(&self, key: &str) -> Result<(i64, Source), Status> {
        let values = self.values.lock().map_err(|_| Status::internal("counter state poisoned"))?;
        Ok(values.get(key).copied().unwrap_or((0, Source::Unspecified)))
    }
}

impl Counter for CounterService {
    async fn get(&self, request: GetRequest) -> Result<GetReply, Status> {
        Ok(GetReply { value: self.read(&request.key)?.0 })
    }

    async fn add(&self, request: AddRequest) -> Result<AddReply, Status> {
        Ok(AddReply { value: self.apply(&request.key, request.delta, Source::Add)? })
    }

    async fn watch(&self, request: WatchRequest) -> Result<ResponseStream<Tick>, Status> {
        if request.count > MAX_WATCH_COUNT {
            return Err(Status::invalid_argument(format!("count must be at most {MAX_WATCH_COUNT}")));
        }
        let (value, source) = self.read(&request.key)?;
        let ticks =
            (0..request.count).map(move |seq| Ok(Tick { key: request.key.clone(), value, seq, source: source.into() }));
        Ok(Box::pin(tokio_stream::iter(ticks.collect::<Vec<_>>())))
    }

    async fn upload(&self, mut request: Streaming<Chunk>) -> Result<UploadReply, Status> {
        let mut reply = UploadReply::default();
        while let Some(chunk) = request.next().await {
            let chunk = chunk?;
            for delta in chunk.deltas {
                let value = self.apply(&chunk.key, delta, Source::Upload)?;
                reply.applied += 1;
                reply.totals.insert(chunk.key.clone(), value);
            }
        }
        Ok(reply)
    }

    async fn sync(&self, mut request: Streaming<AddRequest>) -> Result<ResponseStream<AddReply>, Status> {
        let mut replies = Vec::new();
        while let Some(add) = request.next().await {
            let add = add?;
            replies.push(self.apply(&add.key, add.delta, Source::Add).map(|value| AddReply { value }));
        }
        Ok(Box::pin(tokio_stream::iter(replies)))
    }
}
