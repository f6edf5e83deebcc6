//! An environment's origins reach the server as its component sets them: with
//! `KUBERPC_WEB_ORIGINS` in the process's environment (and no `Server::web_origins`), CORS admits
//! those origins and no longer the source's `web.origins` (127.0.0.1 only, bounded). A test
//! binary of its own: the variable is the process's.

mod common;
#[path = "common/web.rs"]
mod web;

use std::time::Duration;

use greeter::pb::greeter_deploy;
use greeter::GreeterService;
use web::{exchange, preflight, Over};

/// The `access-control-allow-origin` a preflight from `origin` gets.
async fn admitted(addr: std::net::SocketAddr, origin: &str) -> Option<String> {
    let (_, headers, _) = exchange(Over::Http1, addr, preflight(origin)).await;
    headers.get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_environments_origins_replace_the_sources() {
    let source = greeter_deploy::DEPLOY.web.expect("greeter.proto has web").origins[0];
    std::env::set_var(kuberpc::WEB_ORIGINS_ENV, "https://greeter.staging.example.com, http://localhost:8080");
    let server = common::serve("127.0.0.1:0", GreeterService::new("Hello"), Duration::ZERO).await;
    for origin in ["https://greeter.staging.example.com", "http://localhost:8080"] {
        assert_eq!(admitted(server.addr, origin).await.as_deref(), Some(origin));
    }
    assert_eq!(admitted(server.addr, source).await, None, "{source} is the source's, not this environment's");
}
