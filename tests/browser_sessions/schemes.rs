//! 9. Routes narrowed to one scheme, and the challenges of their `401`s.

use secure_api::auth::{ManualClock, TokenRequest};

use crate::app::{MINUTE, Setup};

/// A route narrowed to sessions refuses a bearer token, one narrowed to bearer tokens refuses
/// the cookie (no fallback); the 401 of a route taking sessions challenges for the cookie.
#[tokio::test]
async fn routes_narrowed_to_a_scheme_refuse_the_other_one() {
    let app = Setup::memory(&ManualClock::starting_now()).start().await;
    let login = app.log_in("user-1").await;
    let token = app
        .config
        .auth()
        .mint(&TokenRequest::new("user-b"))
        .unwrap()
        .token;
    let bearer = format!("Bearer {token}");
    let cookie = [("Cookie", login.cookie.as_str())];
    let with_token = [("Authorization", bearer.as_str())];

    let reply = app.send("GET", "/page", &with_token).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(
        reply.all("www-authenticate"),
        ["Session cookie=\"__Host-session\""]
    );
    assert_eq!(app.send("GET", "/page", &cookie).await.status, 200);

    let reply = app.send("GET", "/bearer-only", &cookie).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(
        !reply
            .all("www-authenticate")
            .iter()
            .any(|c| c.starts_with("Session")),
        "{reply:?}"
    );
    assert_eq!(
        app.send("GET", "/bearer-only", &with_token).await.body,
        "user-b"
    );

    for path in ["/bearer-or-session", "/me"] {
        let reply = app.send("GET", path, &[]).await;
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.all("www-authenticate"),
            ["Bearer", "Session cookie=\"__Host-session\""]
        );
        assert_eq!(app.send("GET", path, &cookie).await.body, "user-1");
        assert_eq!(app.send("GET", path, &with_token).await.body, "user-b");
    }
}

/// On a route where login is optional, a cookie of a session that has ended (the browser keeps
/// sending it until it closes) is no login, not a `401` that would lock the visitor out of a
/// public page; a live session is the user, and a bad bearer token is still refused.
#[tokio::test]
async fn an_ended_session_on_an_optional_login_is_anonymous() {
    let clock = ManualClock::starting_now();
    let app = Setup::memory(&clock).start().await;
    let login = app.log_in("user-1").await;
    let cookie = [("Cookie", login.cookie.as_str())];
    assert_eq!(app.send("GET", "/greeting", &cookie).await.body, "user-1");
    assert_eq!(app.send("GET", "/greeting", &[]).await.body, "anonymous");

    clock.advance(31 * MINUTE);
    let reply = app.send("GET", "/greeting", &cookie).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "anonymous"),
        "{reply:?}"
    );
    let unknown = "__Host-session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let reply = app.send("GET", "/greeting", &[("Cookie", unknown)]).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "anonymous"),
        "{reply:?}"
    );
    // The same cookie on a route that requires login is refused.
    assert_eq!(app.send("GET", "/me", &cookie).await.status, 401);
    let forged = app
        .send(
            "GET",
            "/greeting",
            &[("Authorization", "Bearer not.a.token")],
        )
        .await;
    assert_eq!(forged.status, 401, "{forged:?}");
}
