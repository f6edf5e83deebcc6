//! Clients in other languages get kuberpc's deadlines and retries from the one generated file,
//! `deploy/greeter/base/service-config.json` (127.0.0.1 only, bounded): grpc-go
//! (`tools/grpc-peer`, `WithDefaultServiceConfig`), Node's @grpc/grpc-js (`tools/node-peer`,
//! the `grpc.service_config` channel option), grpc-java (`tools/java-peer`,
//! `defaultServiceConfig` + `enableRetry`) and Python grpcio (`grpc.service_config`), none
//! with a deadline or retry of its own, call a greeter that answers UNAVAILABLE twice before
//! it answers, and one that is too slow: the server counts three attempts of the first call,
//! and the second ends with DEADLINE_EXCEEDED at SayHello's `timeout_ms`.
//!
//! @grpc/grpc-js 1.14.7 reads the digits after a timeout's point as nanoseconds ("0.500s" is
//! 500 ns there): kuberpc writes every duration with nine digits ("0.500000000s"), which every
//! reader takes alike.
//!
//! grpcio applies service-config timeouts about a second early (grpc/grpc#34547, open), so
//! SayHello's 500 ms expire before Python sends anything; Python's retries are shown with the
//! config kuberpc generates from the same proto with `timeout_ms: 4000` (grpcio cuts a deadline
//! short by one to two seconds; 2000 was sometimes eaten whole on a loaded machine).

mod common;
#[path = "common/peers.rs"]
mod peers;

use peers::{config_with_timeout, example_config, repo, run_peer, Seen};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use greeter::pb::greeter_deploy;
use tonic::Status;

/// Names starting `retry-` fail their first two attempts; `slow-` answer after 6 s.
fn flaky() -> (impl greeter::pb::greeter_server::Greeter, Arc<Mutex<HashMap<String, usize>>>) {
    let attempts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let seen = attempts.clone();
    let handler = common::Unary(move |request: tonic::Request<greeter::pb::HelloRequest>| {
        let name = request.get_ref().name.clone();
        let attempt = {
            let mut attempts = seen.lock().unwrap();
            let count = attempts.entry(name.clone()).or_default();
            *count += 1;
            *count
        };
        Box::pin(async move {
            if name.starts_with("retry-") && attempt <= 2 {
                return Err(Status::unavailable("not yet"));
            }
            if name.starts_with("slow-") {
                tokio::time::sleep(Duration::from_secs(6)).await;
            }
            common::hello(request).await
        }) as common::Reply
    });
    (handler, attempts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_node_java_and_python_clients_get_the_deadlines_and_retries_from_the_generated_service_config() {
    let (handler, attempts) = flaky();
    let server = common::serve("127.0.0.1:0", handler, Duration::ZERO).await;
    let port = server.addr.port();
    let bin = repo().join(".venv/bin");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/service_config_peer.py");
    let timeout = greeter_deploy::DEPLOY.method("/greeter.v1.Greeter/SayHello").unwrap().timeout_ms.unwrap();
    let attempts_of = |name: &str| attempts.lock().unwrap().get(name).copied().unwrap_or(0);

    let like_go = |seen: &Seen, language: &str| {
        let attempts = attempts_of(&format!("retry-{language}"));
        println!("{language}: {seen:?}, {attempts} attempts (timeout_ms {timeout})");
        assert_eq!(seen.retried.0, "OK", "{language}: the retried call");
        assert_eq!(attempts, 3, "{language}: attempts of the retried call");
        assert_eq!(seen.slow.0, "DEADLINE_EXCEEDED", "{language}: the slow call");
        let slow = seen.slow.1;
        assert!(slow + 20 >= timeout && slow < timeout + 1_000, "{language}: deadline after {slow} ms");
        assert_eq!(attempts_of(&format!("slow-{language}")), 1, "{language}: attempts of the slow call");
    };

    // grpc-go, grpc-java and grpc-js: retried within the config's deadline, cut at it.
    for (language, program) in [("go", "grpc-peer"), ("java", "java-peer"), ("node", "node-peer")] {
        like_go(&run_peer(bin.join(program), None, example_config(), port, language, None).await, language);
    }
    let dir = tempfile::tempdir().unwrap();

    let python = run_peer(bin.join("python"), Some(script.clone()), example_config(), port, "python", None).await;
    println!("python: {python:?} (timeout_ms {timeout})");
    // The config's deadline applies: without it the slow call would succeed after 6 s.
    assert_eq!(python.slow.0, "DEADLINE_EXCEEDED", "python: the slow call");
    assert!(python.slow.1 < timeout + 1_000, "python: deadline after {} ms", python.slow.1);
    if python.retried.0 != "OK" {
        // grpc/grpc#34547: exactly that — the deadline gone before the first attempt — and
        // nothing else is accepted here; once grpcio is fixed the retried call succeeds.
        assert_eq!(python.retried.0, "DEADLINE_EXCEEDED", "python: the retried call");
        assert!(python.retried.1 < 100, "python: the retried call took {} ms", python.retried.1);
        assert_eq!(attempts_of("retry-python"), 0, "python: no attempt should have left the client");
    }

    let python = run_peer(bin.join("python"), Some(script), config_with_timeout(&dir, 4_000), port, "py2s", None).await;
    println!("python, timeout_ms 4000: {python:?}");
    assert_eq!(python.retried.0, "OK", "python: the retried call");
    assert_eq!(attempts_of("retry-py2s"), 3, "python: attempts of the retried call");
    assert_eq!(python.slow.0, "DEADLINE_EXCEEDED", "python: the slow call");
    assert!(python.slow.1 < 4_000 + 1_000, "python: deadline after {} ms", python.slow.1);
}

/// The generated config states the runtime's own retry policy (codegen cannot depend on the
/// runtime crate, so the numbers are written twice; this holds them together), and the file
/// and the deploy module's constant say the same.
#[test]
fn the_service_config_states_the_runtimes_retry_policy() {
    let config: serde_json::Value = serde_json::from_str(greeter_deploy::SERVICE_CONFIG).unwrap();
    let say_hello = config["methodConfig"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"][0]["method"] == "SayHello")
        .expect("SayHello has a method config");
    assert_eq!(say_hello["retryPolicy"]["maxAttempts"], u64::from(kuberpc::client::MAX_ATTEMPTS));
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(example_config()).unwrap()).unwrap();
    let mut file = file.as_object().unwrap().clone();
    file.remove("//");
    assert_eq!(serde_json::Value::Object(file), config);
}
