//! HTTP/2 written by hand, for peers that break the rules a real client keeps: frames out of
//! a byte buffer, headers in HPACK without the dynamic table or Huffman coding.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The client connection preface.
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;

pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;

/// `SETTINGS_MAX_CONCURRENT_STREAMS`.
pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
/// `REFUSED_STREAM`.
pub const REFUSED_STREAM: u32 = 0x7;
/// `ENHANCE_YOUR_CALM`.
pub const ENHANCE_YOUR_CALM: u32 = 0xb;

/// One frame, encoded.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap();
    let mut bytes = len.to_be_bytes()[1..].to_vec();
    bytes.extend_from_slice(&[kind, flags]);
    bytes.extend_from_slice(&stream.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// The header block of a gRPC request to `path`: `:method POST`, `:scheme http` (static
/// table), `:path`, `:authority` and `content-type` (literal values of static names) and `te`.
pub fn request_block(path: &str) -> Vec<u8> {
    fn literal(out: &mut Vec<u8>, text: &str) {
        out.push(u8::try_from(text.len()).ok().filter(|len| *len < 127).unwrap());
        out.extend_from_slice(text.as_bytes());
    }
    let mut block = vec![0x83, 0x86];
    block.push(0x04);
    literal(&mut block, path);
    block.push(0x01);
    literal(&mut block, "localhost");
    block.extend_from_slice(&[0x0f, 0x10]);
    literal(&mut block, "application/grpc");
    block.push(0x00);
    literal(&mut block, "te");
    literal(&mut block, "trailers");
    block
}

/// A frame as read: type, flags, stream, payload.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

impl Frame {
    /// The `u32` at byte `at` of the payload (error codes, stream ids).
    pub fn u32_at(&self, at: usize) -> u32 {
        u32::from_be_bytes(self.payload[at..at + 4].try_into().unwrap())
    }

    /// The value of `id` in a SETTINGS frame, if it sets it.
    pub fn setting(&self, id: u16) -> Option<u32> {
        self.payload
            .chunks_exact(6)
            .find(|s| u16::from_be_bytes([s[0], s[1]]) == id)
            .map(|s| u32::from_be_bytes([s[2], s[3], s[4], s[5]]))
    }
}

/// The next frame, `None` at the end of the stream (or on a reset), or after `wait`.
pub async fn read_frame(stream: &mut (impl AsyncReadExt + Unpin), wait: Duration) -> Option<Frame> {
    let read = async {
        let mut head = [0u8; 9];
        stream.read_exact(&mut head).await.ok()?;
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0; len];
        stream.read_exact(&mut payload).await.ok()?;
        let stream_id = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        Some(Frame { kind: head[3], flags: head[4], stream: stream_id, payload })
    };
    tokio::time::timeout(wait, read).await.ok().flatten()
}

/// Connects to `addr`, sends the preface and empty SETTINGS, and returns the socket with the
/// server's SETTINGS frame (acknowledged).
pub async fn connect(addr: std::net::SocketAddr) -> (TcpStream, Frame) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    tcp.write_all(&[PREFACE, &frame(SETTINGS, 0, 0, &[])].concat()).await.unwrap();
    loop {
        let frame = read_frame(&mut tcp, Duration::from_secs(5)).await.expect("the server's SETTINGS");
        if frame.kind == SETTINGS && frame.flags & ACK == 0 {
            tcp.write_all(&self::frame(SETTINGS, ACK, 0, &[])).await.unwrap();
            return (tcp, frame);
        }
    }
}
