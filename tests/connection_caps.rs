//! Connection slots under a flood of idle connections, over real loopback sockets from several
//! source addresses (127.0.0.1 to 127.0.0.22): one address cannot take every slot, and many
//! addresses together cannot hold the server with connections that send nothing.
//!
//! The caps are lowered (500 in all, 50 per client) so the test fits in the machine's file
//! descriptors; the defaults are 10,000 and 256.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use common::*;
use secure_api::prelude::*;
use secure_api::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const MAX_CONNECTIONS: usize = 500;
const PER_CLIENT: usize = 50;

#[secure(public)]
async fn hello() -> &'static str {
    "hello"
}

async fn start() -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let app = secure_api::Router::new()
        .route("/hello", get(hello))
        .with_config(hs256_config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = secure_api::serve(listener, app)
        .max_connections(MAX_CONNECTIONS)
        .max_connections_per_client(PER_CLIENT)
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        });
    tokio::spawn(std::future::IntoFuture::into_future(server));
    (address, stop)
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A connection to `server` from `from`, sending nothing.
async fn connect_from(from: IpAddr, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(server).await.unwrap()
}

/// How long a client from `from` waits for the answer to `GET /hello`; panics past 5 s.
async fn answered_after(from: IpAddr, server: SocketAddr) -> Duration {
    let started = Instant::now();
    let exchange = async {
        let mut stream = connect_from(from, server).await;
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response).await;
        response
    };
    let response = tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .unwrap_or_else(|_| panic!("{from} not answered within 5 s"));
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{from}: {response:.200}"
    );
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_floods_from_one_address_or_many_do_not_lock_others_out() {
    let (server, _stop) = start().await;

    // One address opens more idle connections than the whole server has slots.
    let mut flood = Vec::new();
    for _ in 0..MAX_CONNECTIONS + 100 {
        flood.push(connect_from(loopback(1), server).await);
    }
    let waited = answered_after(loopback(2), server).await;
    assert!(
        waited < Duration::from_secs(1),
        "127.0.0.2 waited {waited:?}"
    );
    // Those over the client's share were closed without a byte.
    let mut closed = 0;
    for stream in &mut flood {
        let mut byte = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(5), stream.read(&mut byte)).await
        {
            closed += 1;
        }
    }
    assert!(
        closed >= MAX_CONNECTIONS + 100 - PER_CLIENT,
        "only {closed} closed"
    );

    // Twenty more addresses, 25 idle connections each: together they would fill every slot
    // left, though none is over its share.
    for last in 2..22 {
        for _ in 0..25 {
            flood.push(connect_from(loopback(last), server).await);
        }
    }
    // Silent for over a second, under pressure: they are closed to make room.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let waited = answered_after(loopback(22), server).await;
    assert!(
        waited < Duration::from_secs(1),
        "127.0.0.22 waited {waited:?}"
    );
}
