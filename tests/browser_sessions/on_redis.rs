//! 8. The same lifecycle on Redis, shared by two instances of the app.

use std::time::Duration;

use secure_api::auth::{ManualClock, SessionConfig};
use secure_api::rate::RedisStore;

use crate::app::{FOREIGN, MINUTE, Setup};
use crate::client::{assert_denied, is_session_id};
use crate::common::shared_redis;

/// On Redis, the same lifecycle, and two instances of the app share the sessions: a login
/// on one works on the other, a logout on either ends it on both; `end_all` and the cap too.
#[tokio::test]
async fn sessions_on_redis_have_the_same_lifecycle_across_instances() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let prefix = format!("test-{}:", uuid::Uuid::new_v4());
    let clock = ManualClock::starting_now();
    let instance = || {
        let store = RedisStore::open(&url).unwrap().key_prefix(prefix.clone());
        let sessions = SessionConfig::new(store.sessions())
            .clock(clock.clone())
            .max_per_user(3);
        Setup::new(sessions).start()
    };
    let (one, two) = (instance().await, instance().await);
    let first = one.log_in("user-1").await;
    assert!(is_session_id(&first.id));
    assert_eq!((one.me(&first).await, two.me(&first).await), (200, 200));
    let page = two.send("GET", "/page", &[("Cookie", &first.cookie)]).await;
    assert_eq!(page.json()["csrf_token"], first.csrf.as_str());
    assert_eq!(
        two.unsafe_request("POST", "/notes", &first).await.status,
        204
    );
    let csrf_less = [("Cookie", first.cookie.as_str()), ("Origin", FOREIGN)];
    assert_denied(
        &two.send("POST", "/notes", &csrf_less).await,
        "foreign origin on Redis",
    );

    // Fixation and logout, across instances.
    let second = two.log_in_with("user-1", Some(&first.cookie)).await.1;
    assert_eq!((one.me(&first).await, one.me(&second).await), (401, 200));
    let third = one.log_in("user-1").await;
    assert_eq!(
        one.unsafe_request("POST", "/logout", &second).await.status,
        204
    );
    assert_eq!((two.me(&second).await, two.me(&third).await), (401, 200));

    // Idle timeout: unused past 30 minutes and the minute a use may go unrecorded.
    clock.advance(32 * MINUTE);
    assert_eq!(one.me(&third).await, 401);

    // The cap, logins a second apart: the fourth ends the first.
    let mut logins = Vec::new();
    for _ in 0..4 {
        logins.push(one.log_in("user-2").await);
        clock.advance(Duration::from_secs(1));
    }
    let mut alive = Vec::new();
    for login in &logins {
        alive.push(two.me(login).await);
    }
    assert_eq!(alive, [401, 200, 200, 200]);

    // end_all: every session of the user, on every instance.
    let reply = two
        .unsafe_request("POST", "/logout-everywhere", &logins[1])
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "3"), "{reply:?}");
    for login in &logins {
        assert_eq!(one.me(login).await, 401);
    }
}
