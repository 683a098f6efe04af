//! 2.-5. A session's life: a new id at login (fixation), logout of one or all, the idle and
//! absolute timeouts, the cap on sessions a user.

use std::time::Duration;

use secure_api::auth::{ManualClock, MemorySessions, SessionConfig};

use crate::app::{Login, MINUTE, Setup};

/// Login never keeps the id the browser came with: neither one an attacker planted before
/// the victim logged in, nor a real session's. The presented session ends when it is the same
/// user's (a login again); another user's is theirs, and a login with this user's password
/// does not end it (the browser's cookie is replaced all the same).
#[tokio::test]
async fn login_makes_a_new_id_and_ends_the_presented_session() {
    let app = Setup::memory(&ManualClock::starting_now()).start().await;
    let planted = "A".repeat(43);
    let planted_cookie = format!("__Host-session={planted}");
    let (_, login) = app.log_in_with("user-1", Some(&planted_cookie)).await;
    assert_ne!(login.id, planted);
    assert_eq!(app.me(&login).await, 200);
    let attacker = Login {
        cookie: planted_cookie,
        id: planted,
        csrf: String::new(),
    };
    assert_eq!(app.me(&attacker).await, 401);

    // The attacker's own real session, planted in the victim's browser.
    let other = app.log_in("user-2").await;
    assert_eq!(app.me(&other).await, 200);
    let (_, again) = app.log_in_with("user-1", Some(&other.cookie)).await;
    assert_ne!(again.id, other.id);
    assert_ne!(again.csrf, other.csrf);
    assert_eq!(app.me(&again).await, 200);
    assert_eq!(
        app.me(&other).await,
        200,
        "another user's session is theirs"
    );

    // The same user logging in again from the same browser: the old session ends.
    let (_, renewed) = app.log_in_with("user-1", Some(&again.cookie)).await;
    assert_ne!(renewed.id, again.id);
    assert_eq!(
        app.me(&again).await,
        401,
        "the presented session ended at login"
    );
    assert_eq!(app.me(&renewed).await, 200);
    assert_eq!(app.me(&login).await, 200, "the user's other session stays");
}

/// Logout ends this session only; `end_all` (in a handler, or `AuthConfig::end_sessions`
/// outside a request) ends every session of the user, and no other user's.
#[tokio::test]
async fn logout_ends_this_session_and_end_all_every_one_of_the_user() {
    let app = Setup::memory(&ManualClock::starting_now()).start().await;
    let (first, second) = (app.log_in("user-1").await, app.log_in("user-1").await);
    let bystander = app.log_in("user-9").await;
    assert_eq!(
        app.unsafe_request("POST", "/logout", &first).await.status,
        204
    );
    assert_eq!(app.me(&first).await, 401);
    assert_eq!(app.me(&second).await, 200);

    let third = app.log_in("user-1").await;
    let reply = app
        .unsafe_request("POST", "/logout-everywhere", &second)
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "2"), "{reply:?}");
    assert_eq!((app.me(&second).await, app.me(&third).await), (401, 401));
    assert_eq!(app.me(&bystander).await, 200);

    let fourth = app.log_in("user-1").await;
    assert_eq!(app.config.auth().end_sessions("user-1").await.unwrap(), 1);
    assert_eq!(app.me(&fourth).await, 401);
    assert_eq!(app.me(&bystander).await, 200);
}

/// The idle timeout slides: 29 minutes, a use, 29 more minutes is alive (58 since login);
/// 31 minutes unused ends it (30, and the minute in which a use may go unrecorded).
#[tokio::test]
async fn an_idle_session_ends_and_each_use_extends_it() {
    let clock = ManualClock::starting_now();
    let app = Setup::memory(&clock).start().await;
    let login = app.log_in("user-1").await;
    clock.advance(29 * MINUTE);
    assert_eq!(app.me(&login).await, 200);
    clock.advance(29 * MINUTE);
    assert_eq!(app.me(&login).await, 200);
    clock.advance(31 * MINUTE);
    assert_eq!(app.me(&login).await, 401);
    assert_eq!(app.me(&app.log_in("user-1").await).await, 200);
}

/// However busy (a use every 20 minutes), a session ends 12 hours after login.
#[tokio::test]
async fn a_busy_session_ends_at_the_absolute_timeout() {
    let clock = ManualClock::starting_now();
    let app = Setup::memory(&clock).start().await;
    let login = app.log_in("user-1").await;
    for at in 1..36 {
        clock.advance(20 * MINUTE);
        assert_eq!(app.me(&login).await, 200, "after {} minutes", at * 20);
    }
    clock.advance(20 * MINUTE);
    assert_eq!(app.me(&login).await, 401, "12 hours after login");
}

/// Past the cap (3 here, 10 by default) a login ends the user's oldest session; the others
/// and other users' stay. Logins a second apart.
#[tokio::test]
async fn a_login_past_the_cap_ends_the_oldest_session() {
    for cap in [3, 10] {
        let clock = ManualClock::starting_now();
        let mut sessions = SessionConfig::new(MemorySessions::new()).clock(clock.clone());
        if cap == 3 {
            sessions = sessions.max_per_user(3);
        }
        let app = Setup::new(sessions).start().await;
        let bystander = app.log_in("user-9").await;
        let mut logins = Vec::new();
        for _ in 0..=cap {
            logins.push(app.log_in("user-1").await);
            clock.advance(Duration::from_secs(1));
        }
        assert_eq!(app.me(&logins[0]).await, 401, "cap {cap}: the oldest ended");
        for (at, login) in logins.iter().enumerate().skip(1) {
            assert_eq!(app.me(login).await, 200, "cap {cap}: login {at} stays");
        }
        assert_eq!(app.me(&bystander).await, 200);
    }
}

/// The oldest is ended even when the logins came within one second (two tabs, a script):
/// the order of logins is known, whatever the clock's resolution. Eight users, so that a
/// random choice among the three passes by chance once in 6561 runs.
#[tokio::test]
async fn the_cap_ends_the_oldest_even_within_one_second() {
    let clock = ManualClock::starting_now();
    let sessions = SessionConfig::new(MemorySessions::new()).max_per_user(3);
    let app = Setup::new(sessions.clock(clock.clone())).start().await;
    let mut wrong = Vec::new();
    for user in 0..8 {
        let user = format!("user-{user}");
        let mut logins = Vec::new();
        for _ in 0..4 {
            logins.push(app.log_in(&user).await);
        }
        let mut alive = Vec::new();
        for login in &logins {
            alive.push(app.me(login).await == 200);
        }
        assert_eq!(
            alive.iter().filter(|a| !**a).count(),
            1,
            "{user}: one ended"
        );
        if alive != [false, true, true, true] {
            wrong.push(format!("{user}: alive {alive:?}"));
        }
    }
    assert!(wrong.is_empty(), "not the oldest ended: {wrong:#?}");
}
