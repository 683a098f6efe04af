//! What a review of the sessions found, one test each: races on the cap, the Redis index of a
//! user's sessions, a cookie header that is not ASCII, a refused request that wrote, a logout
//! outside the CSRF check, the idle timeout's rounding, and two readings of one cookie.

use std::time::Duration;

use futures_util::future::join_all;
use secure_api::auth::{
    ManualClock, MemorySessions, SessionConfig, SessionRecord, SessionStore, StoreError,
    StoreFuture,
};
use secure_api::rate::RedisStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::app::{FOREIGN, MINUTE, Setup};
use crate::client::assert_denied;
use crate::common::{redis_address, shared_redis};

/// "A refused request writes nothing": a CSRF-refused request must not slide the session's
/// idle timeout. Today `verify_session` records the use (`touch`) before the CSRF check, so a
/// forged request keeps an idle session alive.
#[tokio::test]
async fn a_csrf_refused_request_does_not_extend_the_idle_timeout() {
    let clock = ManualClock::starting_now();
    let app = Setup::memory(&clock).start().await;
    let login = app.log_in("user-1").await;
    clock.advance(20 * MINUTE);
    let forged = app
        .send(
            "POST",
            "/notes",
            &[("Cookie", &login.cookie), ("Origin", FOREIGN)],
        )
        .await;
    assert_denied(&forged, "a forged POST");
    // 35 minutes since the last request that was not refused.
    clock.advance(15 * MINUTE);
    assert_eq!(
        app.me(&login).await,
        401,
        "the refused request at minute 20 extended the idle timeout"
    );
}

/// A cookie of someone else's with a non-ASCII value (set by a page script, or by a sibling
/// subdomain for the parent domain) sits in the same `Cookie` header as the session's: the
/// session must still be found. Today the whole header is skipped when it is not visible
/// ASCII, and the user is logged out.
#[tokio::test]
async fn a_non_ascii_cookie_beside_the_session_does_not_log_the_user_out() {
    let app = Setup::memory(&ManualClock::starting_now()).start().await;
    let login = app.log_in("user-1").await;
    assert_eq!(app.me(&login).await, 200);
    let cookie = format!("{}; lang=fran\u{e7}ais", login.cookie);
    let reply = app.send("GET", "/me", &[("Cookie", &cookie)]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "user-1"),
        "{reply:?}"
    );
}

/// A store with the latency of any networked one (Redis, a database): `of_subject`'s answer
/// takes a moment to arrive.
struct SlowSessions(MemorySessions);

impl SessionStore for SlowSessions {
    fn create<'a>(&'a self, record: &'a SessionRecord) -> StoreFuture<'a, Result<(), StoreError>> {
        self.0.create(record)
    }
    fn find<'a>(
        &'a self,
        id_hash: &'a [u8; 32],
    ) -> StoreFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        self.0.find(id_hash)
    }
    fn touch<'a>(
        &'a self,
        id_hash: &'a [u8; 32],
        at: u64,
    ) -> StoreFuture<'a, Result<(), StoreError>> {
        self.0.touch(id_hash, at)
    }
    fn remove<'a>(&'a self, id_hash: &'a [u8; 32]) -> StoreFuture<'a, Result<bool, StoreError>> {
        self.0.remove(id_hash)
    }
    fn of_subject<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<Vec<SessionRecord>, StoreError>> {
        Box::pin(async move {
            // The answer is read, then travels back.
            let answer = self.0.of_subject(subject).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            answer
        })
    }
    fn remove_subject<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<usize, StoreError>> {
        self.0.remove_subject(subject)
    }
}

/// At most `max_per_user` live sessions, however the logins arrive: today `make_room` and
/// `create` are separate store calls, so concurrent logins each see room and all create.
#[tokio::test]
async fn concurrent_logins_stay_within_the_cap() {
    let clock = ManualClock::starting_now();
    let sessions = SessionConfig::new(SlowSessions(MemorySessions::new()))
        .clock(clock.clone())
        .max_per_user(3);
    let app = Setup::new(sessions).start().await;
    let logins = join_all((0..8).map(|_| app.log_in("user-1"))).await;
    let mut live = 0;
    for login in &logins {
        if app.me(login).await == 200 {
            live += 1;
        }
    }
    assert!(live <= 3, "{live} live sessions for a cap of 3");
}

/// The same on the shipped Redis store, without any artificial latency.
#[tokio::test]
async fn concurrent_logins_stay_within_the_cap_on_redis() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let prefix = format!("test-{}:", uuid::Uuid::new_v4());
    let store = RedisStore::open(&url).unwrap().key_prefix(prefix);
    let sessions = SessionConfig::new(store.sessions()).max_per_user(3);
    let app = Setup::new(sessions).start().await;
    let logins = join_all((0..10).map(|_| app.log_in("user-1"))).await;
    let mut live = 0;
    for login in &logins {
        if app.me(login).await == 200 {
            live += 1;
        }
    }
    assert!(live <= 3, "{live} live sessions for a cap of 3 on Redis");
}

/// `SCARD key` over raw RESP.
async fn scard(url: &str, key: &str) -> i64 {
    let mut stream = TcpStream::connect(redis_address(url)).await.unwrap();
    let command = format!("*2\r\n$5\r\nSCARD\r\n${}\r\n{key}\r\n", key.len());
    stream.write_all(command.as_bytes()).await.unwrap();
    let mut buffer = [0u8; 64];
    let read = stream.read(&mut buffer).await.unwrap();
    let reply = std::str::from_utf8(&buffer[..read]).unwrap();
    reply.trim_start_matches(':').trim().parse().unwrap()
}

/// On Redis a session that reaches its absolute timeout is dropped by its TTL, but its id
/// stayed in the user's set `{prefix}sessions:{subject}`, whose TTL every new login renews:
/// the set (and the work of every login, one HGETALL per member) grew without bound. Each
/// login now takes the dropped ids out.
#[tokio::test]
async fn expired_sessions_leave_the_users_set_on_redis() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let prefix = format!("test-{}:", uuid::Uuid::new_v4());
    let store = RedisStore::open(&url).unwrap().key_prefix(prefix.clone());
    let sessions = SessionConfig::new(store.sessions())
        .idle_timeout(Duration::from_secs(2))
        .absolute_timeout(Duration::from_secs(2));
    let app = Setup::new(sessions).start().await;
    // A login every 1.2 s (every few hours, with the default 12 h): each session reaches its
    // absolute timeout and Redis drops it, but the set is renewed by the next login.
    let mut logins = Vec::new();
    for _ in 0..6 {
        logins.push(app.log_in("user-1").await);
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    // The next login tidies the set: it holds the live sessions only.
    logins.push(app.log_in("user-1").await);
    let mut live = 0;
    for login in &logins {
        if app.me(login).await == 200 {
            live += 1;
        }
    }
    let members = scard(&url, &format!("{prefix}sessions:user-1")).await;
    assert!(
        members <= live,
        "{members} ids in the user's set, for {live} live sessions"
    );
}

/// "Idle timeout 30 min sliding" and `SessionConfig::idle_timeout`'s "every use extends it":
/// a session used 29.5 minutes ago is alive. Today a use within a minute of the last recorded
/// one is not recorded, and the session ends up to a minute early.
#[tokio::test]
async fn a_session_used_less_than_the_idle_timeout_ago_is_alive() {
    let clock = ManualClock::starting_now();
    let app = Setup::memory(&clock).start().await;
    let login = app.log_in("user-1").await;
    clock.advance(Duration::from_secs(59));
    assert_eq!(app.me(&login).await, 200, "the last use");
    clock.advance(29 * MINUTE + Duration::from_secs(30));
    assert_eq!(
        app.me(&login).await,
        200,
        "used 29 minutes 30 seconds ago, within the 30-minute idle timeout"
    );
}

/// The CSRF check is "built in", but `Sessions::end` on a public route acts on whatever
/// cookie came, without verifying it or checking the request's origin and token: a forged
/// cross-site POST logs the user out.
#[tokio::test]
async fn sessions_end_on_a_public_route_is_csrf_checked() {
    let app = Setup::memory(&ManualClock::starting_now()).start().await;
    let login = app.log_in("user-1").await;
    let forged = app
        .send(
            "POST",
            "/public-logout",
            &[("Cookie", &login.cookie), ("Origin", FOREIGN)],
        )
        .await;
    assert_eq!(
        app.me(&login).await,
        200,
        "a forged POST from {FOREIGN} ended the session (answered {})",
        forged.status
    );
}

/// `Option<AuthUser>` and `AuthUser` must agree on whether a request carries the session
/// cookie: `carries` (a byte scan wanting `name=` right after `; `) and `presented` (the cookie
/// crate, which trims around the `=`) read `__Host-session =<id>` differently, so the same
/// live session is the user on `/me` and anonymous on the optional-login page (and the audit
/// record names no scheme).
#[tokio::test]
async fn optional_login_sees_the_cookie_authuser_sees() {
    let app = Setup::memory(&ManualClock::starting_now()).start().await;
    let login = app.log_in("user-1").await;
    let cookie = format!("a=1; __Host-session ={}", login.id);
    let me = app.send("GET", "/me", &[("Cookie", &cookie)]).await;
    let greeting = app.send("GET", "/greeting", &[("Cookie", &cookie)]).await;
    assert_eq!(
        greeting.body, me.body,
        "/me answered {} {:?}",
        me.status, me.body
    );
}
