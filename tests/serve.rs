//! `secure_api::serve` on real loopback sockets: peer addresses, the header-read timeout against
//! a slow client, the connection cap, graceful shutdown with a request in flight, TLS with a
//! certificate made in the test, and the plain-HTTP redirect listener.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use common::*;
use secure_api::prelude::*;
use secure_api::routing::get;
use secure_api::serve::{TlsConfig, redirect_http};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

#[secure(public)]
async fn peer(ConnectInfo(address): ConnectInfo<SocketAddr>) -> String {
    address.ip().to_string()
}

#[secure(public)]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    "done"
}

#[secure(public, rate = "1/1m")]
async fn once() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn app() -> secure_api::Router {
    secure_api::Router::new()
        .route("/peer", get(peer))
        .route("/slow", get(slow))
        .route("/once", get(once))
        .with_config(hs256_config())
}

/// Starts `serve` on a free port with `configure` applied; returns its address, a trigger
/// that shuts it down, and the task that runs it.
async fn start(
    configure: impl FnOnce(secure_api::serve::Serve) -> secure_api::serve::Serve,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = configure(secure_api::serve(listener, app())).with_graceful_shutdown(async {
        let _ = stopped.await;
    });
    (address, stop, tokio::spawn(server.into_future()))
}

/// One HTTP/1.1 request on `stream`, read until the server closes it.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

async fn fetch(address: SocketAddr, path: &str) -> String {
    exchange(TcpStream::connect(address).await.unwrap(), path).await
}

#[tokio::test]
async fn handlers_and_limits_see_the_peer_address() {
    let (address, stop, server) = start(|serve| serve).await;
    let response = fetch(address, "/peer").await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.ends_with("127.0.0.1"), "{response}");
    assert!(response.contains("x-content-type-options: nosniff"));
    assert!(
        !response.contains("strict-transport-security"),
        "plain HTTP: no HSTS"
    );
    // The address-keyed limit works over a real socket: the second request is refused.
    assert!(fetch(address, "/once").await.starts_with("HTTP/1.1 204"));
    assert!(fetch(address, "/once").await.starts_with("HTTP/1.1 429"));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_client_sending_headers_slowly_is_cut_off() {
    let (address, stop, server) =
        start(|serve| serve.header_read_timeout(Duration::from_millis(300))).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    let request = b"GET /peer HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    // One byte every 50 ms: the whole request would take about 3.5 s.
    let mut cut_off = false;
    for byte in request {
        if stream.write_all(&[*byte]).await.is_err() {
            cut_off = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // A closed connection reads as end of stream (or a 408 the server sent first).
        let mut buffer = [0u8; 256];
        if let Ok(Ok(read)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buffer)).await
        {
            let answer = String::from_utf8_lossy(&buffer[..read]);
            assert!(read == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "the slow client was served");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "cut off after {:?}",
        started.elapsed()
    );
    // Other clients are still served.
    assert!(fetch(address, "/peer").await.starts_with("HTTP/1.1 200"));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn connections_over_the_cap_wait_for_a_free_slot() {
    let (address, stop, server) = start(|serve| serve.max_connections(1)).await;
    // The first client keeps its connection open.
    let mut first = TcpStream::connect(address).await.unwrap();
    first
        .write_all(b"GET /peer HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 1024];
    let read = first.read(&mut buffer).await.unwrap();
    assert!(String::from_utf8_lossy(&buffer[..read]).starts_with("HTTP/1.1 200"));
    // The second is accepted by the kernel but not served while the first holds the slot.
    let second = tokio::spawn(fetch(address, "/peer"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "served over the cap");
    drop(first);
    let response = tokio::time::timeout(Duration::from_secs(5), second)
        .await
        .expect("served once the slot is free")
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish() {
    let (address, stop, server) = start(|serve| serve).await;
    let in_flight = tokio::spawn(fetch(address, "/slow"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let response = in_flight.await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("done"), "{response}");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server returns once the request is done")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(address).await.is_err(),
        "no new connections after shutdown"
    );
}

#[tokio::test]
async fn a_shutdown_grace_period_bounds_the_wait_and_cancels_what_is_left() {
    let (address, stop, server) =
        start(|serve| serve.shutdown_grace(Duration::from_millis(50))).await;
    let in_flight = tokio::spawn(fetch(address, "/slow"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "waited for the slow request"
    );
    // Once `serve` has returned, nothing of the app runs any more: the request was cut.
    let response = in_flight.await.unwrap();
    assert!(!response.contains("200 OK"), "{response}");
}

/// Reads until the server closes the connection, or gives up after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn silent_and_idle_http2_clients_do_not_hold_a_connection() {
    let (address, stop, server) = start(|serve| {
        serve
            .header_read_timeout(Duration::from_millis(300))
            .max_connections(2)
    })
    .await;
    // Connects and sends nothing at all.
    let mut silent = TcpStream::connect(address).await.unwrap();
    // Opens an HTTP/2 connection (preface and an empty SETTINGS frame) and sends no request.
    let mut idle_h2 = TcpStream::connect(address).await.unwrap();
    idle_h2
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    assert!(
        closed_within(&mut silent, Duration::from_secs(3)).await,
        "silent client kept"
    );
    assert!(
        closed_within(&mut idle_h2, Duration::from_secs(3)).await,
        "idle h2 client kept"
    );
    // Their slots are free again: a real client is served.
    let response = tokio::time::timeout(Duration::from_secs(3), fetch(address, "/peer"))
        .await
        .expect("served");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

fn tls_pair() -> (String, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

fn client_config(cert_pem: &str) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

#[tokio::test]
async fn tls_is_terminated_with_the_given_certificate_and_sends_hsts() {
    let (cert, key) = tls_pair();
    let tls = TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    let (address, stop, server) = start(move |serve| serve.tls(tls)).await;
    let connector = tokio_rustls::TlsConnector::from(client_config(&cert));
    let stream = TcpStream::connect(address).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let stream = connector.connect(name, stream).await.unwrap();
    let response = exchange(stream, "/peer").await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(
        response.contains("strict-transport-security: max-age=31536000; includeSubDomains"),
        "{response}"
    );
    // A plain-HTTP client on the TLS port gets nothing served.
    let plain = tokio::time::timeout(Duration::from_secs(5), fetch(address, "/peer"))
        .await
        .expect("the server closes a connection that is not TLS");
    assert!(!plain.contains("200 OK"), "{plain}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn tls_files_in_the_config_make_serve_speak_https() {
    let (cert, key) = tls_pair();
    let dir = std::env::temp_dir().join(format!("secure-api-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, &cert).unwrap();
    std::fs::write(&key_path, &key).unwrap();
    let vars = [
        ("JWT_SECRET", SECRET.to_owned()),
        ("TLS_CERT", cert_path.display().to_string()),
        ("TLS_KEY", key_path.display().to_string()),
    ];
    let config = secure_api::SecurityConfig::from_lookup(|name| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap();
    assert!(config.tls().is_some());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = secure_api::Router::new()
        .route("/peer", get(peer))
        .with_config(config);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = secure_api::serve(listener, app).with_graceful_shutdown(async {
        let _ = stopped.await;
    });
    let server = tokio::spawn(server.into_future());
    let connector = tokio_rustls::TlsConnector::from(client_config(&cert));
    let stream = TcpStream::connect(address).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let response = exchange(connector.connect(name, stream).await.unwrap(), "/peer").await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("strict-transport-security"), "{response}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_certificates_are_refused_when_the_config_is_built() {
    let (cert, key) = tls_pair();
    assert!(TlsConfig::from_pem(b"not pem", key.as_bytes()).is_err());
    assert!(TlsConfig::from_pem(cert.as_bytes(), b"not pem").is_err());
    let (_, other_key) = tls_pair();
    let mismatch = TlsConfig::from_pem(cert.as_bytes(), other_key.as_bytes());
    assert!(mismatch.is_err(), "a key that is not the certificate's");
    assert!(TlsConfig::from_pem_files("/no/such/cert.pem", "/no/such/key.pem").is_err());
}

#[tokio::test]
async fn the_http_port_only_redirects_to_the_https_origin() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = redirect_http(listener, "https://api.example.com")
        .unwrap()
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        });
    let server = tokio::spawn(server.into_future());
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"POST /api/v1/posts?draft=1 HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 308"), "{response}");
    assert!(
        response.contains("location: https://api.example.com/api/v1/posts?draft=1"),
        "{response}"
    );
    assert!(response.contains("x-content-type-options: nosniff"));
    assert!(!response.contains("strict-transport-security"));
    assert!(redirect_http(TcpListener::bind("127.0.0.1:0").await.unwrap(), "http://x").is_err());
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// An unset `SECURE_API_ENV` means development, with its ephemeral key and no HTTPS redirect:
/// fine on loopback (the quick start), refused on any other address, unless chosen.
#[tokio::test]
async fn a_defaulted_development_mode_is_refused_beyond_loopback() {
    let listener = TcpListener::bind("0.0.0.0:0").await.unwrap();
    let error = secure_api::serve(listener, app())
        .into_future()
        .await
        .expect_err("served a defaulted mode on 0.0.0.0");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("SECURE_API_ENV"), "{error}");

    // Chosen on purpose, development serves on the network too.
    let chosen = secure_api::SecurityConfig::builder()
        .auth(hs256_config().auth().clone())
        .mode(secure_api::Mode::Development)
        .build()
        .unwrap();
    let listener = TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = oneshot::channel::<()>();
    let app = secure_api::Router::new()
        .route("/peer", get(peer))
        .with_config(chosen);
    let server = tokio::spawn(
        secure_api::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );
    let response = fetch(SocketAddr::from(([127, 0, 0, 1], port)), "/peer").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
