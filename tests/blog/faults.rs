//! The blog when its database misbehaves: a database held by another writer answers a generic,
//! retryable `503` (never a `500`, never SQL), and leaves nothing half-written; concurrent
//! writes by one user all persist.

use serde_json::json;
use sqlx::Connection;

use crate::harness::Blog;

/// A write lock on the blog's database, held by the test until dropped or released: every
/// write the blog tries meanwhile waits out its 5 s busy timeout, then fails `SQLITE_BUSY`.
struct WriteLock(sqlx::SqliteConnection);

impl WriteLock {
    async fn take(blog: &Blog) -> Self {
        let mut connection = sqlx::SqliteConnection::connect(blog.database_url())
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut connection)
            .await
            .unwrap();
        Self(connection)
    }

    async fn release(mut self) {
        sqlx::query("ROLLBACK").execute(&mut self.0).await.unwrap();
    }
}

fn assert_busy(reply: &crate::harness::Reply) {
    reply.assert_error(503, "Service unavailable");
    assert_eq!(reply.header("retry-after"), Some("1"), "{reply:?}");
    let text = reply.text.to_lowercase();
    for leak in ["sqlite", "database", "locked", "busy", "insert", "update"] {
        assert!(!text.contains(leak), "{leak} in {}", reply.text);
    }
}

#[tokio::test]
async fn a_locked_database_answers_a_retryable_503_and_leaves_nothing_half_written() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let requester = blog.client();
    let reply = requester
        .post(
            "/api/v1/auth/reset-password",
            &json!({ "email": ada.email }),
        )
        .await;
    assert_eq!(reply.status, 202);
    let token = blog.mailed_reset_tokens(1).await.pop().unwrap();

    let lock = WriteLock::take(&blog).await;
    let post = json!({ "title": "while locked", "content": "x" });
    let create = ada.client.post("/api/v1/posts", &post);
    let new_password = "a new passphrase, set while locked";
    let reset = json!({ "token": token, "newPassword": new_password });
    let confirm = requester.post("/api/v1/auth/reset-password/confirm", &reset);
    let (create, confirm) = tokio::join!(create, confirm);
    assert_busy(&create);
    assert_busy(&confirm);
    let logs = blog.logs.all_text();
    assert!(logs.contains("database busy"), "the cause is logged");
    lock.release().await;

    // Nothing of either was written: no post, the password and the sessions as they were, and
    // the reset token still unspent.
    let db = sqlx::SqlitePool::connect(blog.database_url())
        .await
        .unwrap();
    let posts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(posts, 0);
    let spent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_resets WHERE used = 1")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(spent, 0);
    db.close().await;
    assert_eq!(ada.client.get("/api/v1/users/me").await.status, 200);
    blog.client().login(&ada.email, &ada.password).await;

    // The retry succeeds.
    let retried = ada
        .client
        .post(
            "/api/v1/posts",
            &json!({ "title": "after the lock", "content": "x" }),
        )
        .await;
    assert_eq!(retried.status, 201, "{}", retried.text);
    let confirmed = requester
        .post(
            "/api/v1/auth/reset-password/confirm",
            &json!({ "token": token, "newPassword": new_password }),
        )
        .await;
    assert_eq!(confirmed.status, 204, "{}", confirmed.text);
}

#[tokio::test]
async fn a_hundred_concurrent_creates_by_one_user_all_persist() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let creates: Vec<_> = (0..100)
        .map(|n| {
            let client = ada.client.clone();
            tokio::spawn(async move {
                let body = json!({ "title": format!("post {n}"), "content": "x" });
                client.post("/api/v1/posts", &body).await
            })
        })
        .collect();
    let mut ids = Vec::new();
    for create in creates {
        let reply = create.await.unwrap();
        assert_eq!(reply.status, 201, "{}", reply.text);
        ids.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        let post = ada.client.get(&format!("/api/v1/posts/{id}")).await;
        assert_eq!(post.status, 200, "{id}: {}", post.text);
    }
    let db = sqlx::SqlitePool::connect(blog.database_url())
        .await
        .unwrap();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE author_id = ?")
        .bind(&ada.id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(count, 100);
    db.close().await;
}
