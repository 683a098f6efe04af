//! 7. Neither the session id nor the CSRF token reaches a log line; the id no response body.

use secure_api::auth::ManualClock;

use crate::app::{MINUTE, PUBLIC_URL, Setup};
use crate::common::Captured;

/// Across a login, uses, refusals and a logout, the session id is in no log line and no
/// response body, and the CSRF token is in no log line (it is in the login's body, on
/// purpose). An id the client made up is not logged either.
#[tokio::test]
async fn no_session_id_or_csrf_token_reaches_a_log_or_a_body() {
    let capture = Captured::default();
    let _guard = capture.install();
    let clock = ManualClock::starting_now();
    let app = Setup::memory(&clock).start().await;
    let login = app.log_in("user-1").await;
    let page = app.send("GET", "/page", &[("Cookie", &login.cookie)]).await;
    assert_eq!(page.json()["csrf_token"], login.csrf.as_str());
    assert_eq!(
        app.unsafe_request("POST", "/notes", &login).await.status,
        204
    );
    let no_token = [("Cookie", login.cookie.as_str()), ("Origin", PUBLIC_URL)];
    assert_eq!(app.send("PUT", "/notes", &no_token).await.status, 403);
    let made_up = format!("__Host-session={}", "Z".repeat(43));
    assert_eq!(
        app.send("GET", "/me", &[("Cookie", &made_up)]).await.status,
        401
    );
    assert_eq!(
        app.send("GET", "/me", &[("Cookie", "__Host-session=short")])
            .await
            .status,
        401
    );
    let second = app.log_in_with("user-1", Some(&login.cookie)).await.1;
    assert_eq!(
        app.unsafe_request("POST", "/logout", &second).await.status,
        204
    );
    clock.advance(31 * MINUTE);
    assert_eq!(app.me(&second).await, 401);

    let audit = capture.events("secure_api::audit");
    let used = audit
        .iter()
        .find(|e| e.fields["route"] == "/page")
        .expect("audited");
    assert_eq!(
        (&used.fields["auth_scheme"], &used.fields["user_id"]),
        (&"session".into(), &"user-1".into())
    );
    let logs = capture.all_text();
    assert!(logs.contains("user-1"), "the capture saw the requests");
    for secret in [
        &login.id,
        &login.csrf,
        &second.id,
        &second.csrf,
        &"Z".repeat(43),
    ] {
        assert!(!logs.contains(secret.as_str()), "logged: {secret}");
    }
    for body in app.bodies.lock().unwrap().iter() {
        assert!(
            !body.contains(&login.id) && !body.contains(&second.id),
            "{body}"
        );
    }
}
