//! 6. The CSRF check of unsafe requests authenticated by the cookie, and what it leaves alone.

use std::sync::Arc;

use secure_api::auth::{KeyOwner, ManualClock, MemoryApiKeys, TokenRequest};

use crate::app::{CORS_ORIGIN, FOREIGN, PUBLIC_URL, Setup};
use crate::client::assert_denied;
use crate::common::Captured;

/// An unsafe request on the cookie needs an allowed origin (or, without `Origin`,
/// `Sec-Fetch-Site: same-origin`) and this session's token; every other combination is the
/// generic 403, audited `forbidden` with scheme `session`, and the handler never runs.
#[tokio::test]
async fn unsafe_cookie_requests_need_an_allowed_origin_and_the_token() {
    let capture = Captured::default();
    let _guard = capture.install();
    let app = Setup::memory(&ManualClock::starting_now()).start().await;
    let login = app.log_in("user-1").await;
    let other = app.log_in("user-2").await;
    let (cookie, token) = (login.cookie.as_str(), login.csrf.as_str());
    let refused: &[(&str, &[(&str, &str)])] = &[
        ("no token", &[("Origin", PUBLIC_URL)]),
        (
            "another session's token",
            &[("Origin", PUBLIC_URL), ("X-CSRF-Token", &other.csrf)],
        ),
        (
            "Origin: null",
            &[("Origin", "null"), ("X-CSRF-Token", token)],
        ),
        (
            "a foreign Origin",
            &[("Origin", FOREIGN), ("X-CSRF-Token", token)],
        ),
        (
            "neither Origin nor Sec-Fetch-Site",
            &[("X-CSRF-Token", token)],
        ),
        (
            "cross-site fetch",
            &[("Sec-Fetch-Site", "cross-site"), ("X-CSRF-Token", token)],
        ),
        (
            "same-origin fetch, no token",
            &[("Sec-Fetch-Site", "same-origin")],
        ),
    ];
    for method in ["POST", "PUT", "DELETE"] {
        for (case, headers) in refused {
            let mut headers = headers.to_vec();
            headers.push(("Cookie", cookie));
            let reply = app.send(method, "/notes", &headers).await;
            assert_denied(&reply, &format!("{method} with {case}"));
        }
    }
    assert_eq!(app.writes.count(), 0, "a refused request wrote");
    let audit = capture.events("secure_api::audit");
    let denied: Vec<_> = audit.iter().filter(|e| e.fields["status"] == 403).collect();
    assert_eq!(denied.len(), 3 * refused.len());
    for event in denied {
        assert_eq!(event.fields["decision"], "forbidden", "{event:?}");
        assert_eq!(event.fields["auth_scheme"], "session", "{event:?}");
    }

    let allowed: &[&[(&str, &str)]] = &[
        &[("Origin", PUBLIC_URL), ("X-CSRF-Token", token)],
        &[("Origin", CORS_ORIGIN), ("X-CSRF-Token", token)],
        &[("Sec-Fetch-Site", "same-origin"), ("X-CSRF-Token", token)],
    ];
    for method in ["POST", "PUT", "DELETE"] {
        for headers in allowed {
            let mut headers = headers.to_vec();
            headers.push(("Cookie", cookie));
            let reply = app.send(method, "/notes", &headers).await;
            assert_eq!(reply.status, 204, "{method} {headers:?}: {reply:?}");
        }
    }
    assert_eq!(app.writes.count(), 9);
    assert_eq!(app.writes.0.lock().unwrap()[0], "POST user-1");
}

/// Safe methods need no token, whatever the origin; a bearer token or an API key, even with
/// a foreign `Origin` and the session cookie beside it, is judged by itself (a browser never
/// attaches those on its own).
#[tokio::test]
async fn safe_methods_and_header_credentials_skip_the_csrf_check() {
    let keys = Arc::new(MemoryApiKeys::default());
    keys.set_owner("user-7", KeyOwner::default());
    let (key, _) = keys.create("user-7", "ci", &[], None).unwrap();
    let mut setup = Setup::memory(&ManualClock::starting_now());
    setup.keys = Some(keys);
    let app = setup.start().await;
    let login = app.log_in("user-1").await;
    let reply = app
        .send(
            "GET",
            "/me",
            &[("Cookie", &login.cookie), ("Origin", FOREIGN)],
        )
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "user-1"));
    let head = app
        .send(
            "HEAD",
            "/me",
            &[("Cookie", &login.cookie), ("Origin", FOREIGN)],
        )
        .await;
    assert_eq!(head.status, 200);

    let token = app
        .config
        .auth()
        .mint(&TokenRequest::new("user-b"))
        .unwrap()
        .token;
    let bearer = format!("Bearer {token}");
    for method in ["POST", "PUT", "DELETE"] {
        let headers = [("Authorization", bearer.as_str()), ("Origin", FOREIGN)];
        assert_eq!(
            app.send(method, "/notes", &headers).await.status,
            204,
            "{method} bearer"
        );
        let headers = [
            ("Authorization", bearer.as_str()),
            ("Origin", FOREIGN),
            ("Cookie", &login.cookie),
        ];
        assert_eq!(
            app.send(method, "/notes", &headers).await.status,
            204,
            "{method} both"
        );
        let headers = [("X-API-Key", key.as_str()), ("Origin", FOREIGN)];
        assert_eq!(
            app.send(method, "/notes", &headers).await.status,
            204,
            "{method} key"
        );
    }
    let writes = app.writes.0.lock().unwrap().clone();
    assert_eq!(writes.len(), 9);
    assert!(
        writes
            .iter()
            .all(|w| w.ends_with("user-b") || w.ends_with("user-7")),
        "{writes:?}"
    );
}
