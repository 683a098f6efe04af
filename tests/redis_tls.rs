//! Redis over TLS, against a real `redis-server` listening with `--tls-port` only, its
//! certificate issued by a test authority made here: configured from the environment
//! (`REDIS_URL=rediss://...`, `REDIS_CA_CERT`), two instances share one budget and one
//! revocation list through it, and a server whose certificate the configured roots do not
//! vouch for is never talked to (the limits fail closed).
//!
//! The server is the test's own child on a free port, killed when the test ends, even on panic.
//! Without `redis-server` on PATH the tests fail if `CI` is set, and otherwise say `SKIPPED`.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::*;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use secure_api::SecurityConfig;
use secure_api::auth::TokenRequest;
use secure_api::prelude::*;
use secure_api::routing::get;
use serde_json::json;
use tower::ServiceExt;

const CLIENT: ([u8; 4], u16) = ([203, 0, 113, 9], 4000);

/// The longest an answer may take when Redis cannot be used: the store's timeout is 500 ms.
const PROMPT: Duration = Duration::from_secs(3);

#[secure(public, rate = "3/1m")]
async fn limited() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

type Service = secure_api::routing::SecureService;

/// A test authority and a `redis-server` speaking TLS only, with a certificate it issued for
/// `localhost` and `127.0.0.1`. Killed, and its files removed, on drop.
struct TlsRedis {
    port: u16,
    dir: PathBuf,
    child: Child,
}

/// A CA certificate (PEM) and the issuer that signs with its key.
fn authority() -> (String, CertifiedIssuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    (issuer.pem(), issuer)
}

impl TlsRedis {
    async fn start() -> Option<Self> {
        let dir =
            std::env::temp_dir().join(format!("secure-api-redis-tls-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let (ca_pem, issuer) = authority();
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let certificate = params.signed_by(&key, &issuer).unwrap();
        std::fs::write(dir.join("ca.pem"), ca_pem).unwrap();
        std::fs::write(dir.join("server.pem"), certificate.pem()).unwrap();
        std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
        let spawned = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--tls-cert-file", &path("server.pem")])
            .args(["--tls-key-file", &path("server.key")])
            .args(["--tls-ca-cert-file", &path("ca.pem")])
            .args(["--tls-auth-clients", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                skip_or_fail("no `redis-server` on PATH", "install redis-server");
                return None;
            }
            Err(error) => panic!("cannot start redis-server: {error}"),
        };
        let mut server = Self { port, dir, child };
        server.wait_until_listening().await;
        Some(server)
    }

    /// The TLS port accepts connections once the server is ready; a server built without TLS
    /// exits instead, and fails the test.
    async fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("redis-server with --tls-port exited: {status} (built without TLS?)");
            }
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn ca_file(&self) -> String {
        self.dir.join("ca.pem").to_str().unwrap().to_owned()
    }

    fn url(&self) -> String {
        format!("rediss://localhost:{}/", self.port)
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One instance configured as an operator would, from environment variables (each test has
/// its own server, so instances of one test share the default key prefix).
fn instance(vars: &[(&str, &str)]) -> (SecurityConfig, Service) {
    let config = SecurityConfig::from_lookup(|name| {
        if name == "JWT_SECRET" {
            return Some(SECRET.to_owned());
        }
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| (*value).to_owned())
    })
    .unwrap();
    let service = secure_api::Router::new()
        .route("/limited", get(limited))
        .route("/me", get(me))
        .with_config(config.clone())
        .into_service();
    (config, service)
}

async fn call(service: &Service, mut request: http::Request<Body>) -> Reply {
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(CLIENT)));
    tokio::time::timeout(PROMPT, async {
        read(service.clone().oneshot(request).await.unwrap()).await
    })
    .await
    .expect("the app hung instead of answering")
}

#[tokio::test]
async fn limits_and_revocations_are_shared_over_tls() {
    let Some(redis) = TlsRedis::start().await else {
        return;
    };
    let (url, ca) = (redis.url(), redis.ca_file());
    let vars = [("REDIS_URL", url.as_str()), ("REDIS_CA_CERT", ca.as_str())];
    let (config, first) = instance(&vars);
    let (_, second) = instance(&vars);
    assert!(config.redis().unwrap().is_tls());

    // One budget of 3 across both instances: only the server can have counted them.
    for n in 0..6 {
        let service = if n % 2 == 0 { &first } else { &second };
        let reply = call(service, get_request("/limited")).await;
        let expected = if n < 3 {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(reply.status, expected, "request {n}: {reply:?}");
    }

    // A token revoked through one instance is refused by the other.
    let issued = config.auth().mint(&TokenRequest::new("user-1")).unwrap();
    let reply = call(&second, get_with_token("/me", &issued.token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    config
        .auth()
        .revoke(&issued.token_id, issued.expires_at)
        .await
        .unwrap();
    let reply = call(&second, get_with_token("/me", &issued.token)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    assert_eq!(
        reply.body_without_request_id(),
        json!({"error": "Invalid token"})
    );
}

#[tokio::test]
async fn a_server_the_roots_do_not_vouch_for_is_never_used() {
    let Some(redis) = TlsRedis::start().await else {
        return;
    };
    let url = redis.url();
    // Another authority's roots, then the system's roots: neither issued the server's
    // certificate, so no limit is ever decided there and requests fail closed.
    let other = std::env::temp_dir().join(format!("secure-api-other-ca-{}", uuid::Uuid::new_v4()));
    std::fs::write(&other, authority().0).unwrap();
    let other_ca = other.to_str().unwrap().to_owned();
    for vars in [
        vec![
            ("REDIS_URL", url.as_str()),
            ("REDIS_CA_CERT", other_ca.as_str()),
        ],
        vec![("REDIS_URL", url.as_str())],
    ] {
        let (_, service) = instance(&vars);
        let reply = call(&service, get_request("/limited")).await;
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{vars:?}: {reply:?}"
        );
        assert_eq!(
            reply.body_without_request_id(),
            json!({"error": "Service unavailable"})
        );
    }
    std::fs::remove_file(&other).unwrap();

    // Plain Redis protocol to the TLS port gets no answer it accepts either.
    let plain = format!("redis://127.0.0.1:{}/", redis.port);
    let (_, service) = instance(&[("REDIS_URL", plain.as_str())]);
    let reply = call(&service, get_request("/limited")).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{reply:?}");
}
