//! The counter's API, the one source of truth: messages and the `#[rpc_service]` trait.
//! The build script reads this file (and only this file), so editing the handlers in
//! `lib.rs` does not rerun it.

use std::collections::BTreeMap;

use kuberpc::{ResponseStream, Status, Streaming};

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
#[kuberpc::rpc_service(
    package = "counter.v1",
    port = 50051,
    autoscale(min = 2, max = 8, cpu_percent = 70),
    container(binary = "counter-server", package = "counter"),
    // Spans to the cluster's collector; a quarter of the traces that start here.
    observability(otlp_endpoint = "http://otel-collector.monitoring:4317", sample_ratio = 0.25)
)]
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
