//! API keys end to end: a user creates, lists and revokes their keys under `/users/me/keys`
//! with their token; a key reads and writes the user's posts like the token, with no more than
//! the user holds now; every refused key is the same `401` with a challenge per scheme.

use serde_json::{Value, json};
use sqlx::Connection;

use crate::harness::{Blog, Client, Reply, User, assert_rfc3339, keys};

const KEYS: &str = "/api/v1/users/me/keys";

/// Creates a key of `user`, and returns the answer's body.
async fn create_key(user: &User, name: &str, scopes: &[&str]) -> Value {
    let reply = user
        .client
        .post(KEYS, &json!({ "name": name, "scopes": scopes }))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body
}

async fn send_with_key(
    client: &Client,
    key: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Reply {
    let body = body.map(Value::to_string);
    let mut headers = vec![("x-api-key", key)];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    client.send(method, path, &headers, body.as_deref()).await
}

/// `401 {"error":"Invalid API key"}` with a challenge for the bearer token, the key and the
/// session cookie (`session` over the tests' plain HTTP).
#[track_caller]
fn assert_refused_key(reply: &Reply) {
    reply.assert_error(401, "Invalid API key");
    assert_eq!(
        reply.headers("www-authenticate"),
        [
            "Bearer",
            "ApiKey header=\"X-API-Key\"",
            "Session cookie=\"session\""
        ]
    );
}

#[tokio::test]
async fn a_user_creates_lists_and_revokes_their_keys_and_a_key_is_shown_once() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let created = create_key(&ada, "nightly-export", &["posts:write", "posts:read"]).await;
    assert_eq!(
        keys(&created),
        ["createdAt", "expiresAt", "id", "key", "name", "scopes"]
    );
    let key = created["key"].as_str().unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(key.starts_with(&format!("sk_{id}_")), "{key}");
    assert_eq!(key.len(), 3 + 16 + 1 + 43);
    assert_eq!(created["scopes"], json!(["posts:read", "posts:write"]));
    assert_eq!(created["expiresAt"], Value::Null);
    assert_rfc3339(&created["createdAt"]);

    // The key works, and its use shows in the list, which never shows the key again.
    let me = send_with_key(&blog.client(), key, "GET", "/api/v1/users/me", None).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["id"], ada.id.as_str());
    let list = ada.client.get(KEYS).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let items = list.body.as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        keys(&items[0]),
        ["createdAt", "id", "lastUsedAt", "name", "scopes"]
    );
    assert_eq!(items[0]["id"], id);
    assert_eq!(items[0]["name"], "nightly-export");
    assert_rfc3339(&items[0]["lastUsedAt"]);
    assert!(!list.text.contains(&key[20..]));

    // Another user sees none of it, and cannot revoke it.
    let grace = blog.user("grace").await;
    assert_eq!(grace.client.get(KEYS).await.body, json!([]));
    let others = format!("{KEYS}/{id}");
    grace
        .client
        .delete(&others)
        .await
        .assert_error(404, "Not found");

    // Revoked: gone from the list, and refused at once.
    assert_eq!(ada.client.delete(&others).await.status, 204);
    assert_eq!(ada.client.get(KEYS).await.body, json!([]));
    let refused = send_with_key(&blog.client(), key, "GET", "/api/v1/users/me", None).await;
    assert_refused_key(&refused);
    ada.client
        .delete(&others)
        .await
        .assert_error(404, "Not found");

    // No log line holds the key's secret; the audit names the key by its id.
    let logs = blog.logs.all_text();
    assert!(!logs.contains(&key[20..]), "a key in the logs");
    assert!(logs.contains(id));
}

#[tokio::test]
async fn a_key_reads_and_writes_its_owners_posts_within_its_scopes() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let writer = create_key(&ada, "writer", &["posts:read", "posts:write"]).await;
    let writer = writer["key"].as_str().unwrap();
    let client = blog.client();

    let created = send_with_key(
        &client,
        writer,
        "POST",
        "/api/v1/posts",
        Some(&json!({ "title": "By key", "content": "text" })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["authorId"], ada.id.as_str());
    let post = format!("/api/v1/posts/{}", created.body["id"].as_str().unwrap());
    // The owner's token sees the key's draft, the key sees and changes it.
    assert_eq!(ada.client.get(&post).await.status, 200);
    let updated = send_with_key(
        &client,
        writer,
        "PUT",
        &post,
        Some(&json!({ "title": "Changed by key" })),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.text);

    // Another user's key is another user: their draft is a 404.
    let grace = blog.user("grace").await;
    let graces = create_key(&grace, "g", &["posts:read"]).await;
    let graces = graces["key"].as_str().unwrap();
    send_with_key(&client, graces, "GET", &post, None)
        .await
        .assert_error(404, "Not found");
    send_with_key(&client, graces, "DELETE", &post, None)
        .await
        .assert_error(404, "Not found");
    assert_eq!(
        send_with_key(&client, writer, "DELETE", &post, None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn keys_cannot_manage_keys_or_log_out_and_unknown_scopes_are_refused() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let created = create_key(&ada, "k", &["posts:read"]).await;
    let key = created["key"].as_str().unwrap();
    let client = blog.client();
    // Key routes take a bearer token only: a key cannot mint a key that outlives it.
    for (method, path) in [
        ("GET", KEYS.to_owned()),
        ("POST", KEYS.to_owned()),
        (
            "DELETE",
            format!("{KEYS}/{}", created["id"].as_str().unwrap()),
        ),
        ("POST", "/api/v1/auth/logout".to_owned()),
    ] {
        let body = (method == "POST").then(|| json!({ "name": "n", "scopes": ["posts:read"] }));
        let reply = send_with_key(&client, key, method, &path, body.as_ref()).await;
        assert_eq!(reply.status, 401, "{method} {path}: {}", reply.text);
        // The key routes take a token or a browser session; logout a token only.
        let expected: &[&str] = if path.ends_with("/logout") {
            &["Bearer"]
        } else {
            &["Bearer", "Session cookie=\"session\""]
        };
        assert_eq!(
            reply.headers("www-authenticate"),
            expected,
            "{method} {path}"
        );
    }
    // Only the blog's scopes, at least one; a name of 1 to 64 characters.
    for body in [
        json!({ "name": "k", "scopes": ["admin:all"] }),
        json!({ "name": "k", "scopes": [] }),
        json!({ "name": "", "scopes": ["posts:read"] }),
        json!({ "name": "x".repeat(65), "scopes": ["posts:read"] }),
        json!({ "name": "k", "scopes": ["posts:read"], "expiresInDays": 0 }),
        json!({ "name": "k", "scopes": ["posts:read"], "owner": "someone" }),
    ] {
        let reply = ada.client.post(KEYS, &body).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text);
    }
}

#[tokio::test]
async fn every_wrong_key_is_the_same_401_with_the_challenges() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let grace = blog.user("grace").await;
    let created = create_key(&ada, "k", &["posts:read"]).await;
    let key = created["key"].as_str().unwrap().to_owned();
    let graces = create_key(&grace, "g", &["posts:read"]).await;
    let graces_id = graces["id"].as_str().unwrap();

    // An expired key: expiry set in the past in the database, as time would.
    let expiring = create_key(&ada, "expiring", &["posts:read"]).await;
    let mut conn = sqlx::SqliteConnection::connect(blog.database_url())
        .await
        .unwrap();
    sqlx::query("UPDATE api_keys SET expires_at = 1 WHERE id = ?")
        .bind(expiring["id"].as_str().unwrap())
        .execute(&mut conn)
        .await
        .unwrap();

    let wrong_secret = format!("{}{}", &key[..20], "A".repeat(42) + "A");
    let unknown_id = format!("sk_0123456789abcdef_{}", &key[20..]);
    // Grace's id with Ada's secret: the secret of another key does not open this one.
    let guessed = format!("sk_{graces_id}_{}", &key[20..]);
    for presented in [
        wrong_secret.as_str(),
        unknown_id.as_str(),
        guessed.as_str(),
        expiring["key"].as_str().unwrap(),
        "sk_short",
        "not a key at all",
    ] {
        let reply = send_with_key(&blog.client(), presented, "GET", "/api/v1/users/me", None).await;
        assert_refused_key(&reply);
    }
    // A key and a token together: judged on one credential, never a fallback to the other.
    let both = ada
        .client
        .send(
            "GET",
            "/api/v1/users/me",
            &[("x-api-key", &wrong_secret)],
            None,
        )
        .await;
    assert_eq!(both.status, 401, "{}", both.text);
}

#[tokio::test]
async fn a_demoted_owners_key_loses_the_role_at_once() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let mut conn = sqlx::SqliteConnection::connect(blog.database_url())
        .await
        .unwrap();
    let set_role = |role: &'static str| {
        sqlx::query("UPDATE users SET role = ? WHERE id = ?")
            .bind(role)
            .bind(ada.id.clone())
    };
    set_role("admin").execute(&mut conn).await.unwrap();
    let created = create_key(&ada, "admin-export", &["posts:read"]).await;
    let key = created["key"].as_str().unwrap();
    let client = blog.client();
    let list = send_with_key(&client, key, "GET", "/api/v1/admin/users", None).await;
    assert_eq!(list.status, 200, "{}", list.text);

    set_role("user").execute(&mut conn).await.unwrap();
    send_with_key(&client, key, "GET", "/api/v1/admin/users", None)
        .await
        .assert_error(403, "Access denied");
    // The user is deleted: the key stops working.
    sqlx::query("DELETE FROM users WHERE id = ?")
        .bind(&ada.id)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_refused_key(&send_with_key(&client, key, "GET", "/api/v1/users/me", None).await);
}

#[tokio::test]
async fn a_user_holds_at_most_ten_live_keys() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(create_key(&ada, &format!("k{n}"), &["posts:read"]).await["id"].clone());
    }
    let refused = ada
        .client
        .post(
            KEYS,
            &json!({ "name": "eleventh", "scopes": ["posts:read"] }),
        )
        .await;
    refused.assert_error(409, "Too many API keys: revoke one first");
    let path = format!("{KEYS}/{}", ids[0].as_str().unwrap());
    assert_eq!(ada.client.delete(&path).await.status, 204);
    create_key(&ada, "eleventh", &["posts:read"]).await;
}

#[tokio::test]
async fn the_document_declares_keys_where_routes_take_them() {
    let blog = Blog::start().await;
    let document = blog.client().get("/api/v1/openapi.json").await.body;
    assert_eq!(
        document["components"]["securitySchemes"]["apiKeyAuth"],
        json!({ "type": "apiKey", "in": "header", "name": "X-API-Key" })
    );
    assert_eq!(
        document["paths"]["/api/v1/posts"]["post"]["security"],
        json!([{ "bearerAuth": [] }, { "apiKeyAuth": [] }, { "sessionCookie": [] }])
    );
    for method in ["get", "post"] {
        assert_eq!(
            document["paths"][KEYS][method]["security"],
            json!([{ "bearerAuth": [] }, { "sessionCookie": [] }]),
            "{method}"
        );
    }
    assert_eq!(
        document["paths"]["/api/v1/auth/logout"]["post"]["security"],
        json!([{ "bearerAuth": [] }])
    );
}
