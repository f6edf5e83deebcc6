//! The trait-first example: a counter service written as a Rust trait. `#[rpc_service]`
//! turns it into `CounterServer`, `CounterClient` and `counter_deploy`; the build script
//! writes `deploy/counter/` and the equivalent `proto/counter/v1/counter.proto` from it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use kuberpc::{ResponseStream, Status, Streaming};
use tokio_stream::StreamExt;

/// The encoded descriptors of the emitted `counter.v1` proto, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = kuberpc::include_descriptor_set!();

/// Asks for the value of one counter.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetRequest {
    /// The counter's name.
    #[prost(string, tag = "1")]
    pub key: String,
}

/// The value of one counter.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetReply {
    /// Current value (0 for a counter never touched).
    #[prost(int64, tag = "1")]
    pub value: i64,
}

/// Adds to one counter.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AddRequest {
    /// The counter's name.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Amount to add (may be negative).
    #[prost(int64, tag = "2")]
    pub delta: i64,
}

/// The value after an add.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AddReply {
    /// New value.
    #[prost(int64, tag = "1")]
    pub value: i64,
}

/// Asks for `count` readings of one counter.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WatchRequest {
    /// The counter's name.
    #[prost(string, tag = "1")]
    pub key: String,
    /// How many readings (at most 1000).
    #[prost(uint32, tag = "2")]
    pub count: u32,
}

/// One reading of a counter.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Tick {
    /// The counter's name.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Value at the reading.
    #[prost(int64, tag = "2")]
    pub value: i64,
    /// Reading number, from 0.
    #[prost(uint32, tag = "3")]
    pub seq: u32,
    /// What last changed the counter.
    #[prost(enumeration = "Source", tag = "4")]
    pub source: i32,
}

/// A batch of adds, streamed by the client.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Chunk {
    /// The counter's name.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Amounts to add, in order.
    #[prost(int64, repeated, tag = "2")]
    pub deltas: Vec<i64>,
}

/// The outcome of an upload.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UploadReply {
    /// Deltas applied.
    #[prost(uint32, tag = "1")]
    pub applied: u32,
    /// Value of each counter touched, after the upload.
    #[prost(btree_map = "string, int64", tag = "2")]
    pub totals: BTreeMap<String, i64>,
}

/// What last changed a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum Source {
    /// Never changed.
    Unspecified = 0,
    /// An `Add` call.
    Add = 1,
    /// An `Upload` call.
    Upload = 2,
}

/// Named counters.
#[kuberpc::rpc_service(package = "counter.v1", port = 50051, autoscale(min = 2, max = 8, cpu_percent = 70))]
pub trait Counter {
    /// The value of a counter.
    #[rpc(timeout_ms = 200, idempotent)]
    async fn get(&self, request: GetRequest) -> Result<GetReply, Status>;
    /// Adds to a counter.
    async fn add(&self, request: AddRequest) -> Result<AddReply, Status>;
    /// `count` readings of a counter.
    async fn watch(&self, request: WatchRequest) -> Result<ResponseStream<Tick>, Status>;
    /// Applies a stream of batches.
    async fn upload(&self, request: Streaming<Chunk>) -> Result<UploadReply, Status>;
    /// Applies each add as it arrives and answers with the new value.
    async fn sync(&self, request: Streaming<AddRequest>) -> Result<ResponseStream<AddReply>, Status>;
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
