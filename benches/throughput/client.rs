//! The load: raw HTTP/1.1 over keep-alive TCP connections, each request's latency recorded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connections kept open at once during a round.
pub(crate) const CONNECTIONS: usize = 32;
/// Latencies each connection has room for before its vector grows.
const PREALLOCATED: usize = 1 << 16;

/// One response: its status and its text, head and body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) text: String,
}

impl Reply {
    pub(crate) fn head(&self) -> &str {
        self.text
            .split_once("\r\n\r\n")
            .map_or(&self.text, |(head, _)| head)
    }

    pub(crate) fn body(&self) -> &str {
        self.text
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
    }
}

/// What one round measured.
pub(crate) struct Round {
    /// Requests answered per second.
    pub(crate) rate: f64,
    /// Every request's latency, in nanoseconds.
    pub(crate) latencies: Vec<u32>,
}

/// One request on a fresh connection.
pub(crate) async fn one(address: SocketAddr, request: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut buffer = Vec::new();
    read_response(&mut stream, &mut buffer).await;
    let text = String::from_utf8_lossy(&buffer).into_owned();
    let status = text
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_default();
    Reply { status, text }
}

/// `CONNECTIONS` keep-alive connections for `duration`, each cycling over `requests` from its
/// own starting point; every answer must be a 200.
pub(crate) async fn load(
    address: SocketAddr,
    requests: Arc<[Vec<u8>]>,
    duration: Duration,
) -> Round {
    let deadline = Instant::now() + duration;
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|connection| {
            let requests = Arc::clone(&requests);
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(address).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let mut buffer = Vec::with_capacity(4096);
                let mut latencies = Vec::with_capacity(PREALLOCATED);
                let mut next = connection * requests.len() / CONNECTIONS;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    stream.write_all(&requests[next]).await.unwrap();
                    buffer.clear();
                    read_response(&mut stream, &mut buffer).await;
                    let nanos = started.elapsed().as_nanos();
                    latencies.push(u32::try_from(nanos).unwrap_or(u32::MAX));
                    assert!(
                        buffer.starts_with(b"HTTP/1.1 200"),
                        "a refused request: {}",
                        String::from_utf8_lossy(&buffer)
                    );
                    next = (next + 1) % requests.len();
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.unwrap());
    }
    Round {
        rate: latencies.len() as f64 / duration.as_secs_f64(),
        latencies,
    }
}

/// Reads one response (head, then a `content-length` body) into `buffer`.
///
/// The client shares the machine with the servers, so it reads as little as it can, as `wrk`
/// does: one search for the end of the head, and the one header it needs.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    let mut searched = 0;
    loop {
        if let Some(at) = memchr::memmem::find(&buffer[searched..], b"\r\n\r\n") {
            let end = searched + at;
            let length = content_length(&buffer[..end]);
            while buffer.len() < end + 4 + length {
                let read = stream.read(&mut chunk).await.unwrap();
                assert!(read > 0, "connection closed mid-response");
                buffer.extend_from_slice(&chunk[..read]);
            }
            return;
        }
        // The end may straddle two reads.
        searched = buffer.len().saturating_sub(3);
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "connection closed before a response");
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// The `Content-Length` of a response head, or 0.
fn content_length(head: &[u8]) -> usize {
    const NAME: &[u8] = b"content-length:";
    head.split(|&byte| byte == b'\n')
        .find(|line| line.len() > NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME))
        .map_or(0, |line| {
            line[NAME.len()..]
                .iter()
                .filter(|byte| byte.is_ascii_digit())
                .fold(0, |n, digit| n * 10 + usize::from(digit - b'0'))
        })
}
