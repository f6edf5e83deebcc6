//! `bench_server <variant> <addr>`: serves the greeter one of these ways and prints the bound
//! address; runs until killed.
//!
//! - `handwritten`: plain tonic stubs + `HandWritten`, bare `tonic::transport::Server`;
//! - `generated`: kuberpc's stubs + the example's handler, bare `tonic::transport::Server`;
//! - `runtime`: the same under `kuberpc::Server` (health, reflection, call spans), gRPC-Web and
//!   REST off;
//! - `runtime+web`: the same with the example's `web` on (HTTP/1.1 beside HTTP/2, gRPC-Web and
//!   CORS for every request that is not native gRPC): what a native gRPC call pays for it;
//! - `runtime+rest`: the same with the example's REST bindings on (HTTP/1.1 beside HTTP/2, the
//!   bindings answered as JSON): what a native gRPC call pays for them, and what a REST call
//!   costs (`bench/rest.sh`);
//! - `runtime+telemetry`: after `kuberpc::telemetry::init()`, as a generated `main` does;
//! - `runtime+metrics`: with RPC metrics kept;
//! - `runtime+metrics+telemetry`: both, as a deployed server runs.

use greeter::pb::greeter_deploy;
use greeter::pb::greeter_server::GreeterServer;
use greeter::GreeterService;
use kuberpc_bench::baseline::greeter_server::GreeterServer as BaselineServer;
use kuberpc_bench::HandWritten;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let variant = args.next().ok_or(
        "usage: bench_server <handwritten|generated|runtime[+telemetry|+metrics|+metrics+telemetry|+web|+rest]> <addr>",
    )?;
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_string());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("{variant} on {}", listener.local_addr()?);
    if let Some(observed) = variant.strip_prefix("runtime") {
        // "runtime": kuberpc::Server alone; "runtime+telemetry": after telemetry::init(), as a
        // generated main (exporting when OTEL_EXPORTER_OTLP_ENDPOINT is set); "runtime+metrics":
        // with RPC metrics; "runtime+web": with gRPC-Web; "runtime+rest": with the REST bindings.
        // kuberpc::Server sets TCP_NODELAY itself.
        let _telemetry = observed.ends_with("+telemetry").then(kuberpc::telemetry::init).transpose()?;
        let plain: kuberpc::Deploy = kuberpc::Deploy { web: None, rest: &[], ..greeter_deploy::DEPLOY };
        let deploy = match observed {
            "+web" => kuberpc::Deploy { web: greeter_deploy::DEPLOY.web, ..plain },
            "+rest" => kuberpc::Deploy { rest: greeter_deploy::DEPLOY.rest, ..plain },
            _ => plain,
        };
        let deploy: &'static kuberpc::Deploy = Box::leak(Box::new(deploy));
        let mut server = kuberpc::Server::new(deploy)
            .add_service(GreeterServer::new(GreeterService::new("Hello")))
            .file_descriptor_set(greeter::FILE_DESCRIPTOR_SET);
        if observed.starts_with("+metrics") {
            server = server.metrics(kuberpc::metrics::RpcMetrics::new(), None);
        }
        return Ok(server.serve_with_listener(listener, std::future::pending()).await?);
    }
    // As `Server::serve(addr)` would: TCP_NODELAY on every connection.
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    match variant.as_str() {
        "handwritten" => {
            tonic::transport::Server::builder()
                .add_service(BaselineServer::new(HandWritten))
                .serve_with_incoming(incoming)
                .await?
        }
        "generated" => {
            tonic::transport::Server::builder()
                .add_service(GreeterServer::new(GreeterService::new("Hello")))
                .serve_with_incoming(incoming)
                .await?
        }
        other => return Err(format!("unknown variant {other}").into()),
    }
    Ok(())
}
