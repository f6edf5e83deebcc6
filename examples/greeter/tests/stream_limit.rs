//! One HTTP/2 connection may hold at most 200 streams of the server (issue "Hostile input and
//! hostile peers"): the server advertises `SETTINGS_MAX_CONCURRENT_STREAMS = 200`, a client
//! that keeps to it (the `h2` crate's) gets 200 streams and queues the rest, and a peer that
//! ignores it has the streams past 200 refused and, after 1,024 refusals, its connection ended
//! — while the server's memory (in this process: VmRSS/VmHWM of /proc/self/status) stays small.
//! The same flood against a server without the limit is the control: it shows what the
//! measurement catches. 5,000 streams per connection, on 127.0.0.1, every wait bounded.
//!
//! One test in its own binary: no other test's allocations move this process's memory.

mod common;
#[path = "common/h2raw.rs"]
mod h2raw;

use std::time::{Duration, Instant};

use greeter::GreeterService;
use h2raw::{frame, request_block, ACK, END_HEADERS, GOAWAY, HEADERS, PING, REFUSED_STREAM, RST_STREAM};
use tokio::io::AsyncWriteExt;

const STREAMS: u32 = 5000;
const LIMIT: u32 = 200;
const PATH: &str = "/greeter.v1.Greeter/SayHello";

/// The server's SayHello calls in flight (streams it has accepted), from its metrics.
fn active_calls(metrics: &kuberpc::metrics::RpcMetrics) -> u64 {
    let page = metrics.encode();
    let line =
        page.lines().find(|l| l.starts_with("rpc_server_active_calls{") && l.contains("rpc_method=\"SayHello\""));
    line.and_then(|l| l.rsplit(' ').next()).map_or(0, |n| n.parse().unwrap())
}

/// `value()` once it has not changed for 300 ms (at most 5 s).
async fn settled(value: impl Fn() -> u64) -> u64 {
    let mut last = value();
    for _ in 0..17 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = value();
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

/// `VmRSS` and `VmHWM` (peak) of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// What a flood of [`STREAMS`] request headers on one connection got back.
#[derive(Debug, Default)]
struct Flood {
    max_concurrent_streams: Option<u32>,
    refused: usize,
    other_resets: usize,
    goaway: Option<u32>,
    /// The server answered the PING sent after the flood: it read every frame before it.
    ping_answered: bool,
    seconds: f64,
}

/// Sends the headers of [`STREAMS`] SayHello requests without ending any (each stream is held
/// open: the handler waits for a message that never comes), then a PING, and reads what comes
/// back until GOAWAY, the end of the connection, the PING's answer or 10 s. The connection
/// stays open until the second value is dropped.
async fn flood(addr: std::net::SocketAddr) -> (Flood, impl Sized) {
    let started = Instant::now();
    let (tcp, settings) = h2raw::connect(addr).await;
    let mut flood =
        Flood { max_concurrent_streams: settings.setting(h2raw::MAX_CONCURRENT_STREAMS), ..Flood::default() };
    let (mut reader, mut writer) = tcp.into_split();
    let block = request_block(PATH);
    let mut bytes = Vec::new();
    for n in 0..STREAMS {
        bytes.extend(frame(HEADERS, END_HEADERS, 2 * n + 1, &block));
    }
    bytes.extend(frame(PING, 0, 0, b"flooded!"));
    // Written while the answers are read: a server that writes back faster than it is read
    // stops reading, which would stop the writes.
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&bytes).await;
        writer
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Some(frame) = h2raw::read_frame(&mut reader, deadline.saturating_duration_since(Instant::now())).await {
        match frame.kind {
            RST_STREAM if frame.u32_at(0) == REFUSED_STREAM => flood.refused += 1,
            RST_STREAM => flood.other_resets += 1,
            GOAWAY => {
                flood.goaway = Some(frame.u32_at(4));
                break;
            }
            PING if frame.flags & ACK != 0 => {
                flood.ping_answered = true;
                break;
            }
            _ => {}
        }
    }
    let writer = tokio::time::timeout(Duration::from_secs(10), writing).await.unwrap().unwrap();
    flood.seconds = started.elapsed().as_secs_f64();
    (flood, (reader, writer))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_holds_at_most_200_streams_and_the_server_stays_small() {
    tokio::time::timeout(Duration::from_secs(120), async {
        let metrics = kuberpc::metrics::RpcMetrics::new();
        let kept = metrics.clone();
        let server = common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), |s| s.metrics(kept, None)).await;
        // Warm up (the runtime, the server's first connection and call) before measuring.
        let (mut warm, _) = h2raw::connect(server.addr).await;
        warm.write_all(&frame(PING, 0, 0, b"warm-up!")).await.unwrap();
        while h2raw::read_frame(&mut warm, Duration::from_secs(5)).await.is_some_and(|f| f.kind != PING) {}
        drop(warm);
        tokio::time::sleep(Duration::from_millis(200)).await;

        // A peer that ignores the limit.
        let (rss_before, _) = memory_kib();
        let (flooded, connection) = flood(server.addr).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (rss_after, hwm_after) = memory_kib();
        drop(connection);
        println!(
            "limited: {flooded:?}; VmRSS {rss_before} → {rss_after} KiB (+{} KiB), peak {hwm_after} KiB (+{} KiB)",
            rss_after.saturating_sub(rss_before),
            hwm_after.saturating_sub(rss_before)
        );
        assert_eq!(flooded.max_concurrent_streams, Some(LIMIT), "SETTINGS_MAX_CONCURRENT_STREAMS: {flooded:?}");
        assert!(flooded.refused >= 1000, "the streams past {LIMIT} are refused: {flooded:?}");
        assert_eq!(flooded.goaway, Some(h2raw::ENHANCE_YOUR_CALM), "after 1,024 refusals, GOAWAY: {flooded:?}");
        assert_eq!(flooded.other_resets, 0, "{flooded:?}");
        let limited_growth = hwm_after.saturating_sub(rss_before);

        // A client that keeps to the limit: h2 opens 200 streams and queues the next one.
        let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let (h2, connection) = h2::client::handshake(tcp).await.unwrap();
        tokio::spawn(connection);
        let mut h2 = h2.ready().await.unwrap();
        let request = || {
            http::Request::post(format!("http://{}{PATH}", server.addr))
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                .body(())
                .unwrap()
        };
        // One whole call first: its answer means the server's SETTINGS are in.
        let (response, mut body) = h2.send_request(request(), false).unwrap();
        body.send_data(bytes::Bytes::from_static(b"\0\0\0\0\x06\x0a\x04warm"), true).unwrap();
        response.await.unwrap();
        assert_eq!(h2.current_max_send_streams(), LIMIT as usize, "what the server advertised");
        let (rss_before, _) = memory_kib();
        let mut held = Vec::new();
        for _ in 0..STREAMS {
            // The same handle each time: `ready` waits when h2 deems the stream queue full.
            match tokio::time::timeout(Duration::from_millis(500), h2.ready()).await {
                Ok(ready) => h2 = ready.unwrap(),
                Err(_) => break,
            }
            held.push(h2.send_request(request(), false).unwrap());
        }
        let open = settled(|| active_calls(&metrics)).await;
        let (rss_held, _) = memory_kib();
        println!(
            "h2 client: {} of {STREAMS} requests made; the server has {open} calls open; VmRSS {rss_before} → {rss_held} KiB (+{} KiB)",
            held.len(),
            rss_held.saturating_sub(rss_before)
        );
        let held_growth = rss_held.saturating_sub(rss_before);
        assert!(held.len() > LIMIT as usize, "the client asked for more than the limit");
        // h2 opens 200 streams and holds the rest back until one closes.
        assert_eq!(open, u64::from(LIMIT), "streams open at the server");
        drop(held);

        // The control: the same flood against a server without the limit.
        let metrics = kuberpc::metrics::RpcMetrics::new();
        let kept = metrics.clone();
        let unlimited = common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), |s| {
            s.max_concurrent_streams(u32::MAX).metrics(kept, None)
        })
        .await;
        let (rss_before, _) = memory_kib();
        let (flooded, connection) = flood(unlimited.addr).await;
        let open = settled(|| active_calls(&metrics)).await;
        let (rss_after, hwm_after) = memory_kib();
        drop(connection);
        println!(
            "unlimited (control): {flooded:?}, {open} calls open; VmRSS {rss_before} → {rss_after} KiB (+{} KiB), peak {hwm_after} KiB",
            rss_after.saturating_sub(rss_before)
        );
        assert!(flooded.ping_answered && flooded.refused == 0, "every stream accepted: {flooded:?}");
        assert_eq!(open, u64::from(STREAMS), "every stream open at the server");
        let unlimited_growth = rss_after.saturating_sub(rss_before);

        // 5,000 held streams cost the unlimited server tens of MiB; 200 cost the limited one
        // a few.
        assert!(limited_growth < 16 * 1024, "the limited server grew by {limited_growth} KiB under the flood");
        assert!(held_growth < 16 * 1024, "the limited server grew by {held_growth} KiB holding 200 streams");
        assert!(
            unlimited_growth > 2 * limited_growth,
            "the control grew by {unlimited_growth} KiB, the limited server by {limited_growth} KiB"
        );
    })
    .await
    .expect("the test took over 120 s");
}
