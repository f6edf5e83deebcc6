//! A real browser calls the greeter over gRPC-Web and REST (127.0.0.1 only, bounded): headless Chromium
//! (Debian's, driven by playwright-core) loads `examples/greeter/web` — a page using Connect's
//! gRPC-Web transport, typed at run time by the greeter's descriptor set, bundled by esbuild —
//! from a page server on one port, and calls the greeter on another, so every call is
//! cross-origin: unary and server-streaming gRPC-Web calls and a REST `fetch` (POST with a JSON
//! body, so preflighted) are answered when the greeter admits the
//! page's origin, and refused by the browser (CORS) when it does not. The screenshots are kept
//! in `target/browser/`.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use greeter::GreeterService;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;

fn web_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web")
}

/// Bundles the page (esbuild, from the page's own `node_modules`).
fn build_page() {
    let esbuild = web_dir().join("node_modules/.bin/esbuild");
    assert!(esbuild.exists(), "{} is missing: run scripts/setup-test-tools", esbuild.display());
    let status = Command::new("timeout")
        .args(["60", "npm", "run", "--silent", "build"])
        .current_dir(web_dir())
        .status()
        .unwrap();
    assert!(status.success(), "the page did not build");
}

/// Serves the page, its bundle and the greeter's descriptor set on 127.0.0.1.
async fn page_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let service = service_fn(|request: http::Request<hyper::body::Incoming>| async move {
                Ok::<_, Infallible>(page_file(request.uri().path()))
            });
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    addr
}

fn page_file(path: &str) -> http::Response<Full<Bytes>> {
    let (body, content_type) = match path {
        "/" | "/index.html" => (std::fs::read(web_dir().join("index.html")).unwrap(), "text/html"),
        "/dist/main.js" => (std::fs::read(web_dir().join("dist/main.js")).unwrap(), "text/javascript"),
        "/greeter.binpb" => (greeter::FILE_DESCRIPTOR_SET.to_vec(), "application/octet-stream"),
        _ => return http::Response::builder().status(404).body(Full::new(Bytes::new())).unwrap(),
    };
    http::Response::builder().header("content-type", content_type).body(Full::new(Bytes::from(body))).unwrap()
}

/// What the page shows once its calls are done, loaded from `page` calling `server`.
fn load_in_chromium(page: SocketAddr, server: SocketAddr, screenshot: &Path) -> Value {
    std::fs::create_dir_all(screenshot.parent().unwrap()).unwrap();
    let url = format!("http://{page}/index.html?server=http://{server}");
    let output = Command::new("timeout")
        .args(["60", "node", "check.mjs", &url])
        .arg(screenshot)
        .current_dir(web_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let version = Command::new("chromium").arg("--version").output().map(|o| o.stdout).unwrap_or_default();
        let version = String::from_utf8_lossy(&version);
        panic!("{version} (playwright-core 1.64.1): {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    }
    println!("{url}: {stdout}");
    serde_json::from_str(stdout.trim()).unwrap()
}

fn screenshot(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"), PathBuf::from);
    target.join("browser").join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_calls_the_greeter_over_grpc_web_and_rest_from_an_allowed_origin_only() {
    build_page();
    let page = page_server().await;
    let origin = format!("http://{page}");
    let serve = |origins: Vec<String>| {
        common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), move |server| {
            server.drain(Duration::ZERO).web_origins(origins)
        })
    };
    let admitted = serve(vec![origin.clone()]).await;
    let refused = serve(vec!["https://greeter.example.com".into()]).await;

    let shown = tokio::task::spawn_blocking(move || {
        let admitted = load_in_chromium(page, admitted.addr, &screenshot("grpc-web.png"));
        let refused = load_in_chromium(page, refused.addr, &screenshot("grpc-web-refused.png"));
        (admitted, refused)
    })
    .await
    .unwrap();
    let (admitted, refused) = shown;
    assert_eq!(admitted["unary"], "Hello browser!", "{admitted}");
    assert_eq!(
        admitted["stream"],
        serde_json::json!(["Hello browser!", "Hello browser!", "Hello browser!"]),
        "{admitted}"
    );
    assert_eq!(admitted["rest"], "Hello browser!", "{admitted}");
    // The browser refuses to hand the page an answer its origin was not admitted to.
    assert!(refused["unary"].as_str().unwrap().starts_with("error:"), "{refused}");
    assert!(refused["rest"].as_str().unwrap().starts_with("error:"), "{refused}");
    assert!(refused["stream"][0].as_str().unwrap().starts_with("error:"), "{refused}");
    let console = refused["console"].to_string();
    assert!(console.contains("CORS") || console.contains("Access-Control-Allow-Origin"), "{console}");
}
