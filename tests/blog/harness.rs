//! The blog on a real socket, a plain HTTP/1.1 client for it, and the check every response
//! goes through: no password, no password hash, no token but a login's own.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app;
use crate::common::{CaptureGuard, Captured};

/// The JWT secret of the tests' blogs.
pub const SECRET: &str = "blog-test-secret-of-more-than-thirty-two-bytes";

/// A blog served on `127.0.0.1` with its own SQLite file, for one test. It trusts
/// `X-Forwarded-For` from the loopback proxy, so each [`Client`] can be a different address.
pub struct Blog {
    shared: Arc<Shared>,
    vars: HashMap<String, String>,
    dir: PathBuf,
    server: Option<(oneshot::Sender<()>, JoinHandle<std::io::Result<()>>)>,
    /// What the blog logged on this thread (use a current-thread runtime: `#[tokio::test]`).
    pub logs: Captured,
    _capture: CaptureGuard,
}

/// What every client of one blog shares: where it listens, and the secrets no response may
/// contain.
struct Shared {
    address: Mutex<SocketAddr>,
    secrets: Mutex<Secrets>,
    next_client: AtomicU32,
}

#[derive(Default)]
struct Secrets {
    /// Every password a client sent (of the 12 characters or more the API accepts), the
    /// admin's, and the JWT secret.
    passwords: Vec<String>,
    /// Every token a login answered with, and every reset token.
    tokens: Vec<String>,
}

impl Blog {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// A blog with these environment variables on top of the tests' defaults (an empty value
    /// unsets one).
    pub async fn start_with(vars: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("secure-api-blog-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let database = format!("sqlite://{}", dir.join("blog.db").display());
        let outbox = dir.join("outbox.jsonl").display().to_string();
        let mut env: HashMap<String, String> = [
            ("DATABASE_URL", database.as_str()),
            ("JWT_SECRET", SECRET),
            ("TRUSTED_PROXIES", "127.0.0.1"),
            ("BLOG_API_RATE", "10000/15m"),
            ("BLOG_MAIL_OUTBOX", outbox.as_str()),
        ]
        .into_iter()
        .chain(vars.iter().copied())
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        env.retain(|_, value| !value.is_empty());
        let logs = Captured::default();
        let capture = logs.install();
        let shared = Arc::new(Shared {
            address: Mutex::new(SocketAddr::from(([127, 0, 0, 1], 0))),
            secrets: Mutex::new(Secrets::default()),
            next_client: AtomicU32::new(1),
        });
        {
            let mut secrets = shared.secrets.lock().unwrap();
            secrets
                .passwords
                .extend(env.get("BLOG_ADMIN_PASSWORD").cloned());
            secrets.passwords.push(SECRET.to_owned());
        }
        let mut blog = Self {
            shared,
            vars: env,
            dir,
            server: None,
            logs,
            _capture: capture,
        };
        blog.serve().await;
        blog
    }

    /// Builds the app as `main` does, from the variables, and serves it on a free port.
    async fn serve(&mut self) {
        let var = |name: &str| self.vars.get(name).cloned();
        let settings = app::Settings::from_lookup(var).unwrap();
        let db = app::open(&settings).await.unwrap();
        let config = app::security_config(var, &db).unwrap();
        let app = app::build(&settings, db, config).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        *self.shared.address.lock().unwrap() = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = secure_api::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        self.server = Some((stop, tokio::spawn(server.into_future())));
    }

    /// Stops the server, then builds a new app on the same database and serves it: what a
    /// restart of the process does (the revocation store in memory starts empty).
    pub async fn restart(&mut self) {
        if let Some((stop, server)) = self.server.take() {
            stop.send(()).unwrap();
            server.await.unwrap().unwrap();
        }
        self.serve().await;
    }

    /// Changes a variable for the next [`restart`](Self::restart).
    pub fn set_var(&mut self, name: &str, value: &str) {
        if name.ends_with("PASSWORD") {
            self.shared
                .secrets
                .lock()
                .unwrap()
                .passwords
                .push(value.to_owned());
        }
        self.vars.insert(name.to_owned(), value.to_owned());
    }

    /// Where the blog listens.
    pub fn address(&self) -> SocketAddr {
        *self.shared.address.lock().unwrap()
    }

    /// The value of the variable `name` the blog was started with (for a test that builds a
    /// second app on the same database and config).
    pub fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    /// The database URL, for a test that must reach behind the API (to expire a token).
    pub fn database_url(&self) -> &str {
        &self.vars["DATABASE_URL"]
    }

    /// A client from an address of its own.
    pub fn client(&self) -> Client {
        new_client(&self.shared)
    }

    /// Registers `name` (`name@example.com`) and logs in, from a client of its own.
    pub async fn user(&self, name: &str) -> User {
        let client = self.client();
        let email = format!("{name}@example.com");
        let password = format!("{name}'s long passphrase {}", uuid::Uuid::new_v4());
        let registered = client
            .post(
                "/api/v1/auth/register",
                &json!({ "email": email, "name": name, "password": password }),
            )
            .await;
        assert_eq!(registered.status, 201, "{}", registered.text);
        let token = client.login(&email, &password).await;
        User {
            id: registered.body["id"].as_str().unwrap().to_owned(),
            client: client.with_token(&token),
            email,
            password,
            token,
        }
    }

    /// The messages in the blog's outbox (`BLOG_MAIL_OUTBOX`), oldest first, once there are at
    /// least `count` (reset mails are sent after the answer; this waits up to 10 s).
    pub async fn mails(&self, count: usize) -> Vec<Value> {
        let path = self.dir.join("outbox.jsonl");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let mails: Vec<Value> = text
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect();
            if mails.len() >= count || std::time::Instant::now() > deadline {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The reset tokens of the outbox's mails, oldest first, once there are at least `count`;
    /// each is remembered as a secret that no response may contain.
    pub async fn mailed_reset_tokens(&self, count: usize) -> Vec<String> {
        let tokens: Vec<String> = self
            .mails(count)
            .await
            .iter()
            .filter_map(|mail| {
                let body = mail["body"].as_str()?;
                Some(body.rsplit(' ').next()?.to_owned())
            })
            .collect();
        self.shared
            .secrets
            .lock()
            .unwrap()
            .tokens
            .extend(tokens.iter().cloned());
        tokens
    }
}

impl Drop for Blog {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A client from an address of its own, of the blog `shared` describes.
fn new_client(shared: &Arc<Shared>) -> Client {
    // The documentation ranges of RFC 5737 (750 clients), then 10.0.0.0/8 for a load test.
    const NETWORKS: [&str; 3] = ["192.0.2", "198.51.100", "203.0.113"];
    let n = shared.next_client.fetch_add(1, Ordering::Relaxed) as usize;
    let ip = if n < 750 {
        format!("{}.{}", NETWORKS[n / 250], 1 + n % 250)
    } else {
        format!("10.{}.{}.{}", n >> 16 & 0xff, n >> 8 & 0xff, n & 0xff)
    };
    Client {
        shared: Arc::clone(shared),
        ip,
        token: None,
    }
}

/// Clients of a blog served elsewhere (a child process), each from an address of its own,
/// with the same check of every response as a [`Blog`]'s.
pub struct Clients {
    shared: Arc<Shared>,
}

impl Clients {
    /// Clients of the blog at `address`, whose admin password (if any) and JWT secret no
    /// response may contain.
    pub fn at(address: SocketAddr, passwords: &[&str]) -> Self {
        let shared = Arc::new(Shared {
            address: Mutex::new(address),
            secrets: Mutex::new(Secrets {
                passwords: passwords.iter().map(|&p| p.to_owned()).collect(),
                tokens: Vec::new(),
            }),
            next_client: AtomicU32::new(1),
        });
        Self { shared }
    }

    pub fn client(&self) -> Client {
        new_client(&self.shared)
    }
}

/// A registered, logged-in user.
pub struct User {
    pub id: String,
    pub email: String,
    pub password: String,
    pub token: String,
    /// Sends this user's token.
    pub client: Client,
}

/// A plain HTTP/1.1 client: one connection per request, read to the end.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    /// The address the blog sees, through the trusted loopback proxy.
    pub ip: String,
    token: Option<String>,
}

/// What the client saw of a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub text: String,
    pub body: Value,
}

impl Reply {
    /// The first value of the header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers(name).first().copied()
    }

    /// Every value of the header `name`, in order.
    pub fn headers(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The `error` of an error body.
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    /// The body without the per-request `requestId`, which must match `X-Request-Id`.
    pub fn body_without_request_id(&self) -> Value {
        let mut body = self.body.clone();
        if let Some(id) = body.as_object_mut().and_then(|o| o.remove("requestId")) {
            assert_eq!(id.as_str(), self.header("x-request-id"));
        }
        body
    }

    /// Asserts an error answer: this status, and exactly `{"error": message, "requestId"}`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, message: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body_without_request_id(), json!({ "error": message }));
    }
}

impl Client {
    /// The same address, sending `token` as its bearer token.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// Logs in and returns the token; asserts the login succeeded.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self
            .post(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body["token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], None).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, &[], None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send_json("POST", path, body).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send_json("PUT", path, body).await
    }

    pub async fn send_json(&self, method: &str, path: &str, body: &Value) -> Reply {
        {
            let mut secrets = self.shared.secrets.lock().unwrap();
            for key in ["password", "newPassword"] {
                // Shorter ones are refused anyway, and would be found in ordinary words.
                if let Some(password) = body[key].as_str().filter(|p| p.len() >= 12) {
                    secrets.passwords.push(password.to_owned());
                }
            }
        }
        let body = body.to_string();
        self.send(
            method,
            path,
            &[("content-type", "application/json")],
            Some(&body),
        )
        .await
    }

    /// Sends one request with these extra headers (and the token, if any), and checks the
    /// answer for secrets before returning it.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let address = *self.shared.address.lock().unwrap();
        let mut head = vec![
            format!("{method} {path} HTTP/1.1"),
            "host: localhost".to_owned(),
            "connection: close".to_owned(),
            format!("x-forwarded-for: {}", self.ip),
        ];
        if let Some(token) = &self.token {
            head.push(format!("authorization: Bearer {token}"));
        }
        head.extend(
            headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}")),
        );
        let body = body.unwrap_or_default();
        if !body.is_empty() || matches!(method, "POST" | "PUT") {
            head.push(format!("content-length: {}", body.len()));
        }
        let request = format!("{}\r\n\r\n{body}", head.join("\r\n"));
        let raw = tokio::time::timeout(Duration::from_secs(30), async {
            let mut stream = TcpStream::connect(address).await.unwrap();
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await.unwrap();
            raw
        })
        .await
        .expect("the blog answers within 30 s");
        // The blog answers in UTF-8 only; the parser itself also reads what is not.
        assert!(
            std::str::from_utf8(&raw).is_ok(),
            "a response that is not UTF-8"
        );
        let reply = parse_response(&raw).expect("a complete HTTP response");
        self.check_secrets(path, &reply);
        reply
    }

    /// No response may carry a password, a password hash, a token other than the one a login
    /// answers with, or an API key other than at its creation; each is new, and remembered.
    fn check_secrets(&self, path: &str, reply: &Reply) {
        let mut secrets = self.shared.secrets.lock().unwrap();
        let mut seen = format!("{:?}\n{}", reply.headers, reply.text);
        if path == "/api/v1/auth/login" && reply.status == 200 {
            let token = reply.body["token"].as_str().unwrap().to_owned();
            assert!(
                !secrets.tokens.contains(&token),
                "a login answered an old token"
            );
            seen = seen.replace(&token, "");
            secrets.tokens.push(token);
        }
        // A session id is in the cookie of the login that started it, and nowhere else.
        if path == "/api/v1/auth/session"
            && let Some(id) = session_id(reply)
        {
            assert!(
                !secrets.tokens.contains(&id),
                "a login answered an old session"
            );
            seen = seen.replace(&id, "");
            secrets.tokens.push(id);
        }
        // An API key is shown once, by the answer that created it.
        if path == "/api/v1/users/me/keys" && reply.status == 201 {
            let key = reply.body["key"].as_str().unwrap().to_owned();
            assert!(
                !secrets.tokens.contains(&key),
                "a creation answered an old key"
            );
            seen = seen.replace(&key, "");
            secrets.tokens.push(key);
        }
        assert_no_secret(&seen, &secrets.passwords, &secrets.tokens);
    }
}

/// The session id a response's `Set-Cookie` holds (`__Host-session` or development's
/// `session`), if it sets one with a value.
pub fn session_id(reply: &Reply) -> Option<String> {
    let cookie = reply.header("set-cookie")?;
    let (name, rest) = cookie.split_once('=')?;
    let value = rest.split(';').next()?;
    (matches!(name, "__Host-session" | "session") && !value.is_empty()).then(|| value.to_owned())
}

/// The rule [`Client`] applies to every response it receives.
#[track_caller]
pub fn assert_no_secret(text: &str, passwords: &[String], tokens: &[String]) {
    assert!(
        !text.contains("$argon2"),
        "a password hash in a response: {text}"
    );
    for password in passwords {
        assert!(
            !text.contains(password.as_str()),
            "a password in a response: {text}"
        );
    }
    for token in tokens {
        assert!(
            !text.contains(token.as_str()),
            "a token in a response: {text}"
        );
    }
    // A JWT's header starts `{"`, which is `eyJ` in base64url.
    assert!(!text.contains("eyJ"), "a JWT in a response: {text}");
}

// What the tests assert about the API's answers.

/// A well-formed post id that no post has.
pub const MISSING: &str = "/api/v1/posts/00000000-0000-4000-8000-000000000000";

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// The claims of a JWT, read without checking it.
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[track_caller]
pub fn assert_rfc3339(value: &Value) {
    chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap();
}

#[track_caller]
pub fn assert_uuid_v4(value: &Value) {
    let id = uuid::Uuid::parse_str(value.as_str().unwrap()).unwrap();
    assert_eq!(id.get_version_num(), 4);
}

/// Creates a post as `user` and returns its id.
pub async fn create_post(user: &User, title: &str, published: bool) -> String {
    let created = user
        .client
        .post(
            "/api/v1/posts",
            &json!({ "title": title, "content": "text" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    if published {
        let path = format!("/api/v1/posts/{id}");
        let reply = user
            .client
            .put(&path, &json!({ "isPublished": true }))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    id
}

/// The first final answer in `raw` (interim `1xx` ones skipped), or `None` when `raw` is not
/// a complete HTTP/1.1 response.
pub fn parse_response(mut raw: &[u8]) -> Option<Reply> {
    loop {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let rest = &raw[end + 4..];
        let mut lines = head.lines();
        let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        if (100..200).contains(&status) {
            raw = rest;
            continue;
        }
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
        let body = if chunked {
            dechunk(rest)?
        } else {
            rest.to_vec()
        };
        return Some(Reply {
            status,
            headers,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&body).into_owned(),
        });
    }
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line = body.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line]).ok()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(line + 2..line + 2 + size)?);
        body = body.get(line + 4 + size..)?;
    }
}
