//! 1. The cookie's name and attributes, in each deployment, and its removal at logout.

use secure_api::auth::{ManualClock, MemorySessions, SameSite, SessionConfig};

use crate::app::{Login, Setup};
use crate::client::is_session_id;

/// Behind a trusted proxy reporting HTTPS the cookie is exactly `__Host-session=<id>;
/// HttpOnly; SameSite=Lax; Secure; Path=/`: no `Domain` (no subdomain shares it), no
/// `Max-Age`/`Expires` (it ends with the browser). Logout answers its removal. Production sets
/// the `__Host-` cookie even when no proxy says the scheme.
#[tokio::test]
async fn the_cookie_has_exactly_the_host_attributes() {
    let app = Setup::memory(&ManualClock::starting_now()).start().await;
    let (reply, login) = app.log_in_with("user-1", None).await;
    let set = reply.header("set-cookie").unwrap();
    assert_eq!(
        set,
        format!(
            "__Host-session={}; HttpOnly; SameSite=Lax; Secure; Path=/",
            login.id
        )
    );
    assert!(is_session_id(&login.id), "{}", login.id);
    for absent in ["domain", "max-age", "expires"] {
        assert!(!set.to_ascii_lowercase().contains(absent), "{set}");
    }
    assert_eq!(app.me(&login).await, 200);

    let reply = app.unsafe_request("POST", "/logout", &login).await;
    assert_eq!(reply.status, 204, "{reply:?}");
    let removal = reply.header("set-cookie").unwrap();
    assert!(
        removal.starts_with("__Host-session=; HttpOnly; SameSite=Lax; Secure; Path=/"),
        "{removal}"
    );
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(app.me(&login).await, 401);

    // Production, and the proxy says nothing of the scheme.
    let mut production =
        Setup::memory(&ManualClock::starting_now()).var("SECURE_API_ENV", "production");
    production.https = false;
    let production = production.start().await;
    let (reply, login) = production.log_in_with("user-1", None).await;
    let set = reply.header("set-cookie").unwrap();
    assert!(
        set.starts_with("__Host-session=") && set.contains("; Secure"),
        "{set}"
    );
    assert_eq!(production.me(&login).await, 200);
}

/// `SameSite::Strict` is the one attribute that changes.
#[tokio::test]
async fn same_site_strict_is_the_one_attribute_that_changes() {
    let sessions = SessionConfig::new(MemorySessions::new()).same_site(SameSite::Strict);
    let app = Setup::new(sessions).start().await;
    let (reply, login) = app.log_in_with("user-1", None).await;
    let expected = format!(
        "__Host-session={}; HttpOnly; SameSite=Strict; Secure; Path=/",
        login.id
    );
    assert_eq!(reply.header("set-cookie").unwrap(), expected);
    let removal = app.unsafe_request("POST", "/logout", &login).await;
    assert!(
        removal
            .header("set-cookie")
            .unwrap()
            .contains("SameSite=Strict")
    );
}

/// In development over plain HTTP the cookie is `session`, without `Secure` (a browser would
/// drop a `__Host-` cookie there); it authenticates, and a `__Host-session` cookie sent over
/// plain HTTP is not looked at.
#[tokio::test]
async fn development_over_plain_http_uses_the_plain_cookie() {
    let mut setup = Setup::memory(&ManualClock::starting_now());
    setup.https = false;
    let app = setup.start().await;
    let (reply, login) = app.log_in_with("user-1", None).await;
    let set = reply.header("set-cookie").unwrap();
    assert_eq!(
        set,
        format!("session={}; HttpOnly; SameSite=Lax; Path=/", login.id)
    );
    assert!(is_session_id(&login.id));
    assert_eq!(app.me(&login).await, 200);
    let host = Login {
        cookie: format!("__Host-session={}", login.id),
        ..login.clone()
    };
    assert_eq!(app.me(&host).await, 401);
    let removal = app.unsafe_request("POST", "/logout", &login).await;
    let removal = removal.header("set-cookie").unwrap();
    assert!(
        removal.starts_with("session=;") && !removal.contains("Secure"),
        "{removal}"
    );
    assert!(removal.contains("Max-Age=0"), "{removal}");
}
