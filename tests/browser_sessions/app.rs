//! The app under test: a login that starts a session, routes for each scheme, unsafe routes
//! that record what they did, served by `secure_api::serve` on a free loopback port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secure_api::SecurityConfig;
use secure_api::auth::{
    ManualClock, MemoryApiKeys, MemorySessions, SessionConfig, SessionCookie, SessionRequest,
    Sessions,
};
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use tokio::net::TcpListener;

use crate::client::{Reply, exchange};
use crate::common::SECRET;

pub(crate) const PUBLIC_URL: &str = "https://app.example.com";
pub(crate) const CORS_ORIGIN: &str = "https://spa.example.com";
pub(crate) const FOREIGN: &str = "https://evil.example";
pub(crate) const MINUTE: Duration = Duration::from_secs(60);

// The app.

/// What the unsafe handlers did: the test checks that a refused request wrote nothing.
#[derive(Clone, Default)]
pub(crate) struct Writes(pub(crate) Arc<Mutex<Vec<String>>>);

impl Writes {
    pub(crate) fn push(&self, what: String) -> StatusCode {
        self.0.lock().unwrap().push(what);
        StatusCode::NO_CONTENT
    }

    pub(crate) fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

#[derive(Sanitized)]
struct LoggedIn {
    user_id: String,
    #[expose]
    csrf_token: String,
}

#[secure(public)]
async fn log_in(
    sessions: Sessions,
    Path(user): Path<String>,
) -> ApiResult<(SessionCookie, Json<LoggedIn>)> {
    let started = sessions
        .start(SessionRequest::new(&user).role("member"))
        .await?;
    let view = LoggedIn {
        user_id: user,
        csrf_token: started.csrf_token,
    };
    Ok((started.cookie, Json(view)))
}

/// The page a reloaded app asks for its CSRF token again.
#[secure(auth = "session")]
async fn page(user: AuthUser, sessions: Sessions) -> ApiResult<Json<LoggedIn>> {
    let token = sessions
        .csrf_token()
        .ok_or_else(|| ApiError::internal("no session"))?;
    Ok(Json(LoggedIn {
        user_id: user.id().to_owned(),
        csrf_token: token.to_owned(),
    }))
}

#[secure(auth = "session")]
async fn log_out(sessions: Sessions) -> ApiResult<(SessionCookie, StatusCode)> {
    Ok((sessions.end().await?, StatusCode::NO_CONTENT))
}

/// A logout on a public route: `Sessions::end` must check the cookie it acts on itself.
#[secure(public)]
async fn public_log_out(sessions: Sessions) -> ApiResult<(SessionCookie, StatusCode)> {
    Ok((sessions.end().await?, StatusCode::NO_CONTENT))
}

#[secure(auth = "session")]
async fn log_out_everywhere(user: AuthUser, sessions: Sessions) -> ApiResult<String> {
    Ok(sessions.end_all(user.id()).await?.to_string())
}

/// A public page that greets a logged-in visitor.
#[secure(public)]
async fn greeting(user: Option<AuthUser>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| user.id().to_owned())
}

#[secure(auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth = "bearer")]
async fn bearer_only(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth = any("bearer", "session"))]
async fn bearer_or_session(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth)]
async fn create(State(writes): State<Writes>, user: AuthUser) -> StatusCode {
    writes.push(format!("POST {}", user.id()))
}

#[secure(auth)]
async fn replace(State(writes): State<Writes>, user: AuthUser) -> StatusCode {
    writes.push(format!("PUT {}", user.id()))
}

#[secure(auth)]
async fn remove(State(writes): State<Writes>, user: AuthUser) -> StatusCode {
    writes.push(format!("DELETE {}", user.id()))
}

/// The deployment: environment variables on top of the defaults, and the sessions.
pub(crate) struct Setup {
    pub(crate) vars: Vec<(&'static str, &'static str)>,
    pub(crate) sessions: SessionConfig,
    pub(crate) keys: Option<Arc<MemoryApiKeys>>,
    /// Whether the client says `X-Forwarded-Proto: https`, as the trusted proxy would.
    pub(crate) https: bool,
}

impl Setup {
    pub(crate) fn new(sessions: SessionConfig) -> Self {
        Self {
            vars: vec![
                ("JWT_SECRET", SECRET),
                ("TRUSTED_PROXIES", "127.0.0.1"),
                ("PUBLIC_URL", PUBLIC_URL),
                ("CORS_ALLOWED_ORIGINS", CORS_ORIGIN),
            ],
            sessions,
            keys: None,
            https: true,
        }
    }

    pub(crate) fn memory(clock: &ManualClock) -> Self {
        Self::new(SessionConfig::new(MemorySessions::new()).clock(clock.clone()))
    }

    pub(crate) fn var(mut self, name: &'static str, value: &'static str) -> Self {
        self.vars.retain(|(n, _)| *n != name);
        self.vars.push((name, value));
        self
    }

    pub(crate) async fn start(self) -> App {
        let Setup {
            vars,
            sessions,
            keys,
            https,
        } = self;
        let lookup = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).into())
        };
        let config = SecurityConfig::from_lookup_with(lookup, |builder| {
            builder.configure_auth(|auth| match keys {
                Some(keys) => auth.sessions(sessions).api_keys_shared(keys),
                None => auth.sessions(sessions),
            })
        })
        .unwrap();
        let writes = Writes::default();
        let router = secure_api::Router::new()
            .route("/login/{user}", post(log_in))
            .route("/page", get(page))
            .route("/logout", post(log_out))
            .route("/public-logout", post(public_log_out))
            .route("/logout-everywhere", post(log_out_everywhere))
            .route("/me", get(me))
            .route("/greeting", get(greeting))
            .route("/bearer-only", get(bearer_only))
            .route("/bearer-or-session", get(bearer_or_session))
            .route("/notes", post(create).put(replace).delete(remove))
            .with_state(writes.clone())
            .with_config(config.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(secure_api::serve(listener, router).into_future());
        App {
            address,
            https,
            config,
            writes,
            bodies: Mutex::default(),
        }
    }
}

/// A browser's session: its cookie as it sends it back, and the token its page holds.
#[derive(Clone, Debug)]
pub(crate) struct Login {
    /// `name=value`, as a `Cookie` header carries it.
    pub(crate) cookie: String,
    pub(crate) id: String,
    pub(crate) csrf: String,
}

/// The app being served, and what every response body said (to search for leaks).
pub(crate) struct App {
    pub(crate) address: SocketAddr,
    pub(crate) https: bool,
    pub(crate) config: SecurityConfig,
    pub(crate) writes: Writes,
    pub(crate) bodies: Mutex<Vec<String>>,
}

impl App {
    pub(crate) async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut all = headers.to_vec();
        if self.https {
            all.push(("X-Forwarded-Proto", "https"));
        }
        let reply = exchange(self.address, method, path, &all).await;
        self.bodies.lock().unwrap().push(reply.body.clone());
        reply
    }

    /// Logs `user` in, presenting `cookie` if given; the reply and the new session.
    pub(crate) async fn log_in_with(&self, user: &str, cookie: Option<&str>) -> (Reply, Login) {
        let cookie = cookie.map(|cookie| ("Cookie", cookie));
        let reply = self
            .send("POST", &format!("/login/{user}"), cookie.as_slice())
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        let set = reply.all("set-cookie");
        assert_eq!(set.len(), 1, "one Set-Cookie: {set:?}");
        let pair = set[0].split(';').next().unwrap();
        let (_, id) = pair.split_once('=').unwrap();
        let login = Login {
            cookie: pair.to_owned(),
            id: id.to_owned(),
            csrf: reply.json()["csrf_token"].as_str().unwrap().to_owned(),
        };
        (reply, login)
    }

    pub(crate) async fn log_in(&self, user: &str) -> Login {
        self.log_in_with(user, None).await.1
    }

    /// The status of `GET /me` with the session's cookie: 200 while it lives.
    pub(crate) async fn me(&self, login: &Login) -> u16 {
        let reply = self.send("GET", "/me", &[("Cookie", &login.cookie)]).await;
        reply.status
    }

    /// An unsafe request with the session's cookie and token, from the public origin.
    pub(crate) async fn unsafe_request(&self, method: &str, path: &str, login: &Login) -> Reply {
        let headers = [
            ("Cookie", login.cookie.as_str()),
            ("Origin", PUBLIC_URL),
            ("X-CSRF-Token", login.csrf.as_str()),
        ];
        self.send(method, path, &headers).await
    }
}
