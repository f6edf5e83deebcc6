//! A hygiene check for `#[rpc_service]`: this crate knows kuberpc as `rpc`, and the trait
//! lives in a module without the implicit prelude, so the expansion compiles only if every
//! path it emits is absolute and goes through the name the user chose. One method of each
//! call kind; the test calls them over 127.0.0.1.

#![no_implicit_prelude]

/// Messages (prost's derive expects the prelude, so they live beside the service module).
#[allow(missing_docs)]
pub mod messages {
    use ::std::prelude::rust_2021::*;

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Ping {
        #[prost(string, tag = "1")]
        pub text: String,
    }

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Pong {
        #[prost(string, tag = "1")]
        pub text: String,
    }
}

/// The service, declared without the prelude.
pub mod service {
    use super::messages::{Ping, Pong};

    /// Echoes pings.
    #[::rpc::rpc_service(package = "hygiene.v1", port = 7070, autoscale(min = 2, max = 3))]
    pub trait Echo {
        /// One ping, one pong; the handler sees the request's metadata.
        #[rpc(idempotent)]
        async fn echo(&self, request: ::rpc::Request<Ping>) -> ::core::result::Result<Pong, ::rpc::Status>;
        /// One ping, pongs.
        async fn repeat(&self, request: Ping) -> ::core::result::Result<::rpc::ResponseStream<Pong>, ::rpc::Status>;
        /// Pings, one pong; the handler sees the request's metadata.
        async fn join(
            &self,
            request: ::rpc::Request<::rpc::Streaming<Ping>>,
        ) -> ::core::result::Result<Pong, ::rpc::Status>;
        /// Pings, pongs.
        async fn chat(
            &self,
            request: ::rpc::Streaming<Ping>,
        ) -> ::core::result::Result<::rpc::ResponseStream<Pong>, ::rpc::Status>;

        /// A default body works too.
        async fn shout(&self, request: Ping) -> ::core::result::Result<Pong, ::rpc::Status> {
            let mut text = request.text;
            text.make_ascii_uppercase();
            ::core::result::Result::Ok(Pong { text })
        }
    }
}
