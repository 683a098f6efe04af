//! Sessions over time: a restart keeps the data and the revocations; a logout revokes one
//! token; a password reset revokes them all, and its token (only the latest one mailed) works
//! once, within 30 minutes; it goes to the mailer, never to the log.

use serde_json::json;

use crate::harness::{Blog, create_post};

const RESET: &str = "/api/v1/auth/reset-password";
const CONFIRM: &str = "/api/v1/auth/reset-password/confirm";

#[tokio::test]
async fn data_and_revocations_survive_a_restart() {
    let mut blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let id = create_post(&ada, "persistent", true).await;
    let draft = create_post(&ada, "a draft", false).await;
    let other = ada.client.login(&ada.email, &ada.password).await;
    let logout = ada
        .client
        .with_token(&other)
        .post("/api/v1/auth/logout", &json!({}))
        .await;
    assert_eq!(logout.status, 204);

    blog.restart().await;

    // Same secret, same database: Ada's token still works; the one she logged out does not.
    assert_eq!(
        ada.client.get("/api/v1/users/me").await.body["id"],
        ada.id.as_str()
    );
    ada.client
        .with_token(&other)
        .get("/api/v1/users/me")
        .await
        .assert_error(401, "Invalid token");
    // Her password and her posts are still there, drafts still hidden.
    blog.client().login(&ada.email, &ada.password).await;
    let post = ada.client.get(&format!("/api/v1/posts/{id}")).await;
    assert_eq!(post.body["title"], "persistent");
    let list = blog.client().get("/api/v1/posts").await;
    assert_eq!(list.body["total"], 1);
    let bob = blog.user("bob").await;
    bob.client
        .get(&format!("/api/v1/posts/{draft}"))
        .await
        .assert_error(404, "Not found");
}

#[tokio::test]
async fn the_admin_follows_the_environment_at_each_start_and_a_new_password_logs_out() {
    let mut blog = Blog::start_with(&[
        ("BLOG_ADMIN_EMAIL", "root@example.com"),
        ("BLOG_ADMIN_PASSWORD", "the first admin passphrase"),
    ])
    .await;
    let root = blog.client();
    let first = root
        .login("root@example.com", "the first admin passphrase")
        .await;
    // A restart with the same password keeps the admin's sessions.
    blog.restart().await;
    let me = root.with_token(&first).get("/api/v1/users/me").await;
    assert_eq!(me.status, 200, "{}", me.text);

    // A rotated password logs out every session of the old one.
    blog.set_var("BLOG_ADMIN_PASSWORD", "the second admin passphrase");
    blog.restart().await;
    root.with_token(&first)
        .get("/api/v1/users/me")
        .await
        .assert_error(401, "Invalid token");
    root.post(
        "/api/v1/auth/login",
        &json!({ "email": "root@example.com", "password": "the first admin passphrase" }),
    )
    .await
    .assert_error(401, "Invalid credentials");
    let token = root
        .login("root@example.com", "the second admin passphrase")
        .await;
    let list = root.with_token(&token).get("/api/v1/admin/users").await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.body.as_array().unwrap().len(),
        1,
        "updated, not duplicated"
    );
}

#[tokio::test]
async fn an_in_memory_database_works() {
    let blog = Blog::start_with(&[("DATABASE_URL", "sqlite::memory:")]).await;
    let ada = blog.user("ada").await;
    let id = create_post(&ada, "in memory", false).await;
    let post = ada.client.get(&format!("/api/v1/posts/{id}")).await;
    assert_eq!(post.body["title"], "in memory");
    assert_eq!(ada.client.get("/api/v1/users/me").await.status, 200);
}

#[tokio::test]
async fn logout_revokes_that_token_only() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let laptop = blog.client();
    let other = laptop.login(&ada.email, &ada.password).await;

    let logout = ada.client.post("/api/v1/auth/logout", &json!({})).await;
    assert_eq!(logout.status, 204);
    ada.client
        .get("/api/v1/users/me")
        .await
        .assert_error(401, "Invalid token");
    ada.client
        .post("/api/v1/auth/logout", &json!({}))
        .await
        .assert_error(401, "Invalid token");
    let me = laptop.with_token(&other).get("/api/v1/users/me").await;
    assert_eq!(me.status, 200);
}

#[tokio::test]
async fn a_password_reset_logs_out_every_session_and_its_token_works_once() {
    let mut blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let laptop = blog.client();
    let laptop = laptop.with_token(&laptop.login(&ada.email, &ada.password).await);

    let forgetful = blog.client();
    for sent in 1..=2 {
        let reply = forgetful.post(RESET, &json!({ "email": ada.email })).await;
        assert_eq!(reply.status, 202);
        // Each mail is sent after its answer: wait for it, so that the mails are in the
        // order the tokens were issued (under load the second could overtake the first).
        assert_eq!(blog.mails(sent).await.len(), sent);
    }
    let tokens = blog.mailed_reset_tokens(2).await;
    let [first, second] = tokens.as_slice() else {
        panic!("two reset tokens, got {tokens:?}");
    };
    // 256 random bits, base64url.
    assert_eq!(first.len(), 43);
    assert_ne!(first, second);

    // Only the latest mail works: the newer request retired the older token.
    let new_password = "a brand new long passphrase";
    blog.client()
        .post(
            CONFIRM,
            &json!({ "token": first, "newPassword": new_password }),
        )
        .await
        .assert_error(400, "Invalid or expired token");
    let confirmed = forgetful
        .post(
            CONFIRM,
            &json!({ "token": second, "newPassword": new_password }),
        )
        .await;
    assert_eq!(confirmed.status, 204, "{}", confirmed.text);
    assert_eq!(confirmed.text, "");

    // Every session of Ada's is over, and only the new password opens a new one.
    for session in [&ada.client, &laptop] {
        session
            .get("/api/v1/users/me")
            .await
            .assert_error(401, "Invalid token");
    }
    blog.client()
        .post(
            "/api/v1/auth/login",
            &json!({ "email": ada.email, "password": ada.password }),
        )
        .await
        .assert_error(401, "Invalid credentials");
    let fresh = blog.client();
    let token = fresh.login(&ada.email, new_password).await;
    assert_eq!(
        fresh
            .with_token(&token)
            .get("/api/v1/users/me")
            .await
            .status,
        200
    );

    // The token is spent; so is the other one issued before the reset; made-up ones fail alike.
    for token in [first.as_str(), second.as_str(), "made-up", &"A".repeat(43)] {
        forgetful
            .post(
                CONFIRM,
                &json!({ "token": token, "newPassword": "yet another passphrase" }),
            )
            .await
            .assert_error(400, "Invalid or expired token");
    }

    // The revocations hold after a restart, when the store in memory starts empty.
    blog.restart().await;
    laptop
        .get("/api/v1/users/me")
        .await
        .assert_error(401, "Invalid token");
    assert_eq!(
        fresh
            .with_token(&token)
            .get("/api/v1/users/me")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn an_expired_reset_token_is_refused() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let client = blog.client();
    assert_eq!(
        client
            .post(RESET, &json!({ "email": ada.email }))
            .await
            .status,
        202
    );
    let token = blog.mailed_reset_tokens(1).await.pop().unwrap();

    // Issued for 30 minutes; move its expiry to the past rather than wait.
    let db = sqlx::SqlitePool::connect(blog.database_url())
        .await
        .unwrap();
    let expires_at: i64 = sqlx::query_scalar("SELECT expires_at FROM password_resets")
        .fetch_one(&db)
        .await
        .unwrap();
    let issued_for = expires_at - crate::app::db::unix_now();
    assert!((29 * 60..=30 * 60).contains(&issued_for), "{issued_for}");
    sqlx::query("UPDATE password_resets SET expires_at = ?")
        .bind(crate::app::db::unix_now() - 1)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;

    client
        .post(
            CONFIRM,
            &json!({ "token": token, "newPassword": "a brand new long passphrase" }),
        )
        .await
        .assert_error(400, "Invalid or expired token");
    // Nothing changed.
    assert_eq!(ada.client.get("/api/v1/users/me").await.status, 200);
    blog.client().login(&ada.email, &ada.password).await;
}

#[tokio::test]
async fn in_production_only_a_configured_mailer_sends_and_tokens_are_never_logged() {
    // Without trusted proxies (production requires PUBLIC_URL behind them), TLS ending in front.
    let production = [
        ("SECURE_API_ENV", "production"),
        ("TRUSTED_PROXIES", ""),
        ("HTTPS_ONLY", "true"),
    ];
    // No mailer configured: the request is accepted all the same, and a warning says that no
    // mail went out. No token is issued that nobody could receive.
    let mut unset = production.to_vec();
    unset.push(("BLOG_MAIL_OUTBOX", ""));
    let blog = Blog::start_with(&unset).await;
    let ada = blog.user("ada").await;
    let reply = blog
        .client()
        .post(RESET, &json!({ "email": ada.email }))
        .await;
    assert_eq!(reply.status, 202);
    assert_eq!(reply.body, json!({ "status": "accepted" }));
    let warning = wait_for_log(&blog, "no mail was sent").await;
    assert_eq!(warning.fields["user"], ada.id.as_str());
    assert!(blog.mails(0).await.is_empty());
    let db = sqlx::SqlitePool::connect(blog.database_url())
        .await
        .unwrap();
    let issued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_resets")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(issued, 0);
    db.close().await;

    // A configured outbox: the mail goes there, the token is stored as its SHA-256 only, and
    // the log names the account, never the token.
    let blog = Blog::start_with(&production).await;
    let ada = blog.user("ada").await;
    let reply = blog
        .client()
        .post(RESET, &json!({ "email": ada.email }))
        .await;
    assert_eq!(reply.status, 202);
    let token = blog.mailed_reset_tokens(1).await.pop().unwrap();
    let sent = wait_for_log(&blog, "password reset mail sent").await;
    assert_eq!(sent.fields["user"], ada.id.as_str());
    assert!(!blog.logs.all_text().contains(&token));
    let db = sqlx::SqlitePool::connect(blog.database_url())
        .await
        .unwrap();
    let hashes: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM password_resets")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1);
    assert_eq!(hashes[0].len(), 32);
    db.close().await;
}

/// The first event of the mail target whose message is `message`, waiting up to 10 s for the
/// work done after an answer.
async fn wait_for_log(blog: &Blog, message: &str) -> crate::common::Event {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = blog
            .logs
            .events(crate::app::mail::TARGET)
            .into_iter()
            .find(|event| {
                event.fields["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(message))
            });
        if let Some(event) = found {
            return event;
        }
        assert!(std::time::Instant::now() < deadline, "no log: {message}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_secret_check_catches_a_leak() {
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned();
    for (text, expected) in [
        (format!(r#"{{"passwordHash":"{hash}"}}"#), "password hash"),
        (
            r#"{"password":"the long passphrase"}"#.to_owned(),
            "password in",
        ),
        (
            r#"{"token":"eyJhbGciOiJIUzI1NiJ9.e30.sig"}"#.to_owned(),
            "JWT",
        ),
    ] {
        let caught = std::panic::catch_unwind(|| {
            crate::harness::assert_no_secret(&text, &["the long passphrase".into()], &[]);
        });
        let message = *caught.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains(expected), "{message}");
    }
}

/// A login checking the old password while a reset commits must not end with a token the
/// reset missed: either the login fails, or its token is revoked like every other.
#[tokio::test]
async fn a_login_racing_a_reset_keeps_no_working_token() {
    let blog = Blog::start().await;
    let mut logins_that_won = 0;
    // An account per round: an account gets three reset mails an hour.
    for round in 0..8 {
        let ada = blog.user(&format!("ada{round}")).await;
        let password = ada.password.clone();
        let requester = blog.client();
        let reply = requester.post(RESET, &json!({ "email": ada.email })).await;
        assert_eq!(reply.status, 202);
        let token = blog.mailed_reset_tokens(round + 1).await.pop().unwrap();
        let new_password = format!("round {round} long passphrase");
        let login_body = json!({ "email": ada.email, "password": password });
        let confirm_body = json!({ "token": token, "newPassword": new_password });
        let attacker = blog.client();
        let (login, confirm) = tokio::join!(
            attacker.post("/api/v1/auth/login", &login_body),
            requester.post(CONFIRM, &confirm_body),
        );
        assert_eq!(confirm.status, 204, "{}", confirm.text);
        if login.status == 200 {
            logins_that_won += 1;
            let session = blog
                .client()
                .with_token(login.body["token"].as_str().unwrap());
            session
                .get("/api/v1/users/me")
                .await
                .assert_error(401, "Invalid token");
        } else {
            login.assert_error(401, "Invalid credentials");
        }
    }
    eprintln!("logins with the old password that got a token: {logins_that_won} of 8");
}
