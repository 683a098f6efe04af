//! Every row of the API table of issue 7: status codes, exact bodies, limits.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::harness::{Blog, User};

pub const MISSING: &str = "/api/v1/posts/00000000-0000-4000-8000-000000000000";

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// The claims of a JWT, read without checking it.
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[track_caller]
fn assert_rfc3339(value: &Value) {
    chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap();
}

#[track_caller]
fn assert_uuid_v4(value: &Value) {
    let id = uuid::Uuid::parse_str(value.as_str().unwrap()).unwrap();
    assert_eq!(id.get_version_num(), 4);
}

/// Creates a post as `user` and returns its id.
pub async fn create_post(user: &User, title: &str, published: bool) -> String {
    let created = user
        .client
        .post(
            "/api/v1/posts",
            &json!({ "title": title, "content": "text" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    if published {
        let path = format!("/api/v1/posts/{id}");
        let reply = user
            .client
            .put(&path, &json!({ "isPublished": true }))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    id
}

#[tokio::test]
async fn health_is_public() {
    let blog = Blog::start().await;
    let reply = blog.client().get("/health").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, json!({ "status": "ok" }));
    // Outside /api, so outside the general limit.
    assert_eq!(reply.header("ratelimit"), None);
}

#[tokio::test]
async fn public_routes_ignore_an_authorization_header() {
    let blog = Blog::start().await;
    let stranger = blog.client().with_token("not-a-token");
    for path in ["/health", "/api/v1/posts", "/api/v1/openapi.json"] {
        assert_eq!(stranger.get(path).await.status, 200, "{path}");
    }
}

#[tokio::test]
async fn register_answers_the_user_view() {
    let blog = Blog::start().await;
    let reply = blog
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "Ada@Example.com", "name": "Ada", "password": "a long enough passphrase" }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(keys(&reply.body), ["createdAt", "email", "id", "name"]);
    assert_eq!(reply.body["name"], "Ada");
    assert_eq!(reply.body["email"], "ada@example.com");
    assert_uuid_v4(&reply.body["id"]);
    assert_rfc3339(&reply.body["createdAt"]);
}

#[tokio::test]
async fn register_refuses_a_taken_email_and_invalid_input() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let client = blog.client();
    let register = |email: &str, name: &str, password: &str| {
        let body = json!({ "email": email, "name": name, "password": password });
        let client = client.clone();
        async move { client.post("/api/v1/auth/register", &body).await }
    };
    // Taken, in any case.
    register(&ada.email.to_uppercase(), "Ada", "another long passphrase")
        .await
        .assert_error(409, "Email already registered");

    for (email, name, password, field) in [
        ("not-an-email", "Bea", "a long enough passphrase", "email"),
        ("bea@example.com", "", "a long enough passphrase", "name"),
        (
            "bea@example.com",
            &"n".repeat(101),
            "a long enough passphrase",
            "name",
        ),
        ("bea@example.com", "Bea", "11 chars ok", "password"),
        ("bea@example.com", "Bea", &"p".repeat(129), "password"),
    ] {
        let reply = register(email, name, password).await;
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert_eq!(reply.error(), "Invalid input");
        assert_eq!(reply.body["details"][0]["field"], field, "{}", reply.text);
    }
    // The bounds themselves are accepted.
    assert_eq!(
        register("bea@example.com", "B", &"p".repeat(12))
            .await
            .status,
        201
    );
    assert_eq!(
        register("cy@example.com", &"n".repeat(100), &"p".repeat(128))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn register_is_limited_to_10_an_hour_per_address() {
    let blog = Blog::start().await;
    let client = blog.client();
    let invalid = json!({ "email": "x", "name": "x", "password": "x" });
    for _ in 0..10 {
        assert_eq!(
            client.post("/api/v1/auth/register", &invalid).await.status,
            400
        );
    }
    let refused = client.post("/api/v1/auth/register", &invalid).await;
    refused.assert_error(429, "Too many requests");
    assert!(refused.header("retry-after").is_some());
    // Another address has its own budget.
    assert_eq!(
        blog.client()
            .post("/api/v1/auth/register", &invalid)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn login_answers_the_documented_token() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let reply = blog
        .client()
        .post(
            "/api/v1/auth/login",
            &json!({ "email": ada.email, "password": ada.password }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(keys(&reply.body), ["expiresIn", "token", "tokenType"]);
    assert_eq!(reply.body["tokenType"], "Bearer");
    assert_eq!(reply.body["expiresIn"], 900);

    let token = reply.body["token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "HS256");
    let claims = claims(token);
    assert_eq!(
        keys(&claims),
        ["aud", "exp", "iat", "iss", "jti", "nbf", "roles", "sub"]
    );
    assert_eq!(claims["sub"], ada.id.as_str());
    assert_eq!(claims["iss"], "secure-api-blog");
    assert_eq!(claims["aud"], "secure-api-blog");
    assert_eq!(claims["roles"], json!(["user"]));
    let iat = claims["iat"].as_u64().unwrap();
    assert_eq!(claims["exp"].as_u64().unwrap() - iat, 900);
    assert_eq!(claims["nbf"].as_u64().unwrap(), iat);
    assert_uuid_v4(&claims["jti"]);
    assert_ne!(claims["jti"], self::claims(&ada.token)["jti"]);

    let me = blog
        .client()
        .with_token(token)
        .get("/api/v1/users/me")
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["id"], ada.id.as_str());
}

/// The median time of a failed login by a fresh client, over `runs` runs.
async fn median_failed_login(blog: &Blog, email: &str, runs: usize) -> Duration {
    let mut times = Vec::new();
    for _ in 0..runs {
        let client = blog.client();
        let started = Instant::now();
        let reply = client
            .post(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": "a wrong passphrase!" }),
            )
            .await;
        times.push(started.elapsed());
        reply.assert_error(401, "Invalid credentials");
    }
    times.sort_unstable();
    times[runs / 2]
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_look_the_same() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let login = |email: &str| {
        let body = json!({ "email": email, "password": "a wrong passphrase!" });
        let client = blog.client();
        async move { client.post("/api/v1/auth/login", &body).await }
    };
    let unknown = login("nobody@example.com").await;
    let wrong = login(&ada.email).await;
    unknown.assert_error(401, "Invalid credentials");
    assert_eq!(
        unknown.body_without_request_id(),
        wrong.body_without_request_id()
    );

    // Both verify an argon2 hash, which takes milliseconds; skipping it for an unknown email
    // would make that answer tens of times faster. Medians, and a wide margin for a busy
    // machine: this only catches the hash being skipped.
    let unknown = median_failed_login(&blog, "nobody@example.com", 5).await;
    let wrong = median_failed_login(&blog, &ada.email, 5).await;
    assert!(
        unknown * 5 > wrong && wrong * 5 > unknown,
        "unknown email {unknown:?}, wrong password {wrong:?}"
    );
}

#[tokio::test]
async fn login_allows_5_attempts_per_15_minutes_and_every_attempt_counts() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await; // logged in once, from its own address
    let client = blog.client();
    let attempt = |password: &str| {
        let body = json!({ "email": ada.email, "password": password });
        let client = client.clone();
        async move { client.post("/api/v1/auth/login", &body).await }
    };
    let right = ada.password.as_str();
    for password in [right, "wrong one", right, "wrong two", "wrong three"] {
        assert_ne!(attempt(password).await.status, 429);
    }
    let refused = attempt(&ada.password).await;
    refused.assert_error(429, "Too many login attempts");
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=180).contains(&retry_after), "{retry_after}");
    assert!(
        refused
            .header("ratelimit-policy")
            .unwrap()
            .contains("q=5;w=900")
    );
    // Ada, from her own address, is not locked out by someone else's attempts.
    ada.client.login(&ada.email, &ada.password).await;
}

#[tokio::test]
async fn reset_password_always_accepts_and_allows_3_an_hour() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let client = blog.client();
    let request = |email: &str| {
        let body = json!({ "email": email });
        let client = client.clone();
        async move { client.post("/api/v1/auth/reset-password", &body).await }
    };
    let known = request(&ada.email).await;
    let unknown = request("nobody@example.com").await;
    for reply in [&known, &unknown] {
        assert_eq!(reply.status, 202, "{}", reply.text);
        assert_eq!(reply.body, json!({ "status": "accepted" }));
    }
    // One email went out (to the log, in development): Ada's.
    let mails = blog.logs.events(crate::app::reset::MAIL_TARGET);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].fields["to"], ada.email.as_str());
    assert_eq!(blog.mailed_reset_tokens().len(), 1);

    assert_eq!(request(&ada.email).await.status, 202);
    request(&ada.email)
        .await
        .assert_error(429, "Too many password reset requests");
}

#[tokio::test]
async fn reset_password_confirm_allows_5_per_15_minutes() {
    let blog = Blog::start().await;
    let client = blog.client();
    let body = json!({ "token": "made-up", "newPassword": "a new long passphrase" });
    for _ in 0..5 {
        client
            .post("/api/v1/auth/reset-password/confirm", &body)
            .await
            .assert_error(400, "Invalid or expired token");
    }
    client
        .post("/api/v1/auth/reset-password/confirm", &body)
        .await
        .assert_error(429, "Too many requests");
}

#[tokio::test]
async fn logout_answers_204_and_needs_a_token() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let reply = ada.client.post("/api/v1/auth/logout", &json!({})).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(reply.text, "");
    blog.client()
        .post("/api/v1/auth/logout", &json!({}))
        .await
        .assert_error(401, "Authentication required");
}

#[tokio::test]
async fn users_me_and_users_by_id_answer_the_sanitized_view() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let bob = blog.user("bob").await;

    let me = ada.client.get("/api/v1/users/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(keys(&me.body), ["createdAt", "email", "id", "name"]);
    assert_eq!(me.body["id"], ada.id.as_str());
    assert_eq!(me.body["email"], ada.email.as_str());

    let other = ada.client.get(&format!("/api/v1/users/{}", bob.id)).await;
    assert_eq!(other.status, 200);
    assert_eq!(keys(&other.body), ["createdAt", "email", "id", "name"]);
    assert_eq!(other.body["name"], "bob");

    for path in [
        "/api/v1/users/00000000-0000-4000-8000-000000000000",
        "/api/v1/users/not-a-uuid",
        "/api/v1/users/1%20OR%201=1",
    ] {
        ada.client.get(path).await.assert_error(404, "Not found");
    }
    let stranger = blog.client();
    for path in ["/api/v1/users/me", &format!("/api/v1/users/{}", bob.id)] {
        stranger
            .get(path)
            .await
            .assert_error(401, "Authentication required");
    }
}

#[tokio::test]
async fn the_admin_list_shows_roles_to_admins_only() {
    let blog = Blog::start_with(&[
        ("BLOG_ADMIN_EMAIL", "root@example.com"),
        ("BLOG_ADMIN_PASSWORD", "the admin's long passphrase"),
    ])
    .await;
    let ada = blog.user("ada").await;
    let admin = blog.client();
    let token = admin
        .login("root@example.com", "the admin's long passphrase")
        .await;
    assert_eq!(claims(&token)["roles"], json!(["admin"]));

    let list = admin.with_token(&token).get("/api/v1/admin/users").await;
    assert_eq!(list.status, 200, "{}", list.text);
    let users = list.body.as_array().unwrap();
    assert_eq!(users.len(), 2);
    for user in users {
        assert_eq!(keys(user), ["createdAt", "email", "id", "name", "role"]);
    }
    let roles: Vec<(&str, &str)> = users
        .iter()
        .map(|u| (u["email"].as_str().unwrap(), u["role"].as_str().unwrap()))
        .collect();
    assert!(roles.contains(&("root@example.com", "admin")));
    assert!(roles.contains(&(ada.email.as_str(), "user")));

    ada.client
        .get("/api/v1/admin/users")
        .await
        .assert_error(403, "Access denied");
    blog.client()
        .get("/api/v1/admin/users")
        .await
        .assert_error(401, "Authentication required");
}

#[tokio::test]
async fn the_public_list_pages_published_posts_newest_first() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let first = create_post(&ada, "first", true).await;
    let _draft = create_post(&ada, "draft", false).await;
    let second = create_post(&ada, "second", true).await;
    let anyone = blog.client();

    let page = anyone.get("/api/v1/posts").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(keys(&page.body), ["items", "page", "perPage", "total"]);
    assert_eq!(
        (&page.body["page"], &page.body["perPage"]),
        (&json!(1), &json!(20))
    );
    assert_eq!(page.body["total"], 2);
    let ids: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|post| post["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);

    let page = anyone.get("/api/v1/posts?page=2&perPage=1").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body["items"][0]["id"], first.as_str());
    assert_eq!(
        (&page.body["page"], &page.body["perPage"]),
        (&json!(2), &json!(1))
    );
    let past_the_end = anyone.get("/api/v1/posts?page=3&perPage=1").await;
    assert_eq!(past_the_end.body["items"], json!([]));
    assert_eq!(anyone.get("/api/v1/posts?perPage=100").await.status, 200);

    for (query, field) in [
        ("page=0", "page"),
        ("perPage=0", "perPage"),
        ("perPage=101", "perPage"),
        ("page=-1", "page"),
        ("page=abc", "page"),
    ] {
        let reply = anyone.get(&format!("/api/v1/posts?{query}")).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.text);
        assert_eq!(reply.error(), "Invalid input", "{query}");
        assert_eq!(
            reply.body["details"][0]["field"], field,
            "{query}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn a_post_is_read_by_its_author_or_once_published() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let bob = blog.user("bob").await;
    let draft = create_post(&ada, "a draft", false).await;
    let path = format!("/api/v1/posts/{draft}");

    let own = ada.client.get(&path).await;
    assert_eq!(own.status, 200);
    assert_eq!(
        keys(&own.body),
        [
            "authorId",
            "content",
            "createdAt",
            "id",
            "isPublished",
            "tags",
            "title",
            "updatedAt"
        ]
    );
    assert_eq!(own.body["isPublished"], false);

    // Someone else's draft, a missing post and a malformed id answer alike.
    for path in [
        path.as_str(),
        MISSING,
        "/api/v1/posts/42",
        "/api/v1/posts/x'--",
    ] {
        bob.client.get(path).await.assert_error(404, "Not found");
    }
    blog.client()
        .get(&path)
        .await
        .assert_error(401, "Authentication required");

    let published = ada.client.put(&path, &json!({ "isPublished": true })).await;
    assert_eq!(published.body["isPublished"], true);
    let read = bob.client.get(&path).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["title"], "a draft");
}

#[tokio::test]
async fn creating_a_post_checks_the_articles_schema() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let create = |body: Value| {
        let client = ada.client.clone();
        async move { client.post("/api/v1/posts", &body).await }
    };

    let created = create(json!({ "title": "Hello", "content": "World", "tags": ["a", "b"] })).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_uuid_v4(&created.body["id"]);
    assert_rfc3339(&created.body["createdAt"]);
    assert_eq!(created.body["createdAt"], created.body["updatedAt"]);
    assert_eq!(created.body["title"], "Hello");
    assert_eq!(created.body["content"], "World");
    assert_eq!(created.body["tags"], json!(["a", "b"]));
    assert_eq!(created.body["authorId"], ada.id.as_str());
    assert_eq!(created.body["isPublished"], false);

    let untagged = create(json!({ "title": "Hey", "content": "" })).await;
    assert_eq!(untagged.status, 201, "{}", untagged.text);
    assert_eq!(untagged.body["tags"], json!([]));
    let longest = create(json!({
        "title": "t".repeat(200), "content": "c".repeat(50_000), "tags": vec!["t"; 10],
    }))
    .await;
    assert_eq!(longest.status, 201);

    for (body, field) in [
        (json!({ "title": "Hi", "content": "x" }), "title"),
        (json!({ "title": "t".repeat(201), "content": "x" }), "title"),
        (
            json!({ "title": "Hello", "content": "c".repeat(50_001) }),
            "content",
        ),
        (
            json!({ "title": "Hello", "content": "x", "tags": vec!["t"; 11] }),
            "tags",
        ),
        (json!({ "title": "Hello" }), "content"),
        (
            json!({ "title": "Hello", "content": "x", "isPublished": true }),
            "isPublished",
        ),
    ] {
        let reply = create(body).await;
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert_eq!(reply.body["details"][0]["field"], field, "{}", reply.text);
    }
    blog.client()
        .post(
            "/api/v1/posts",
            &json!({ "title": "Hello", "content": "x" }),
        )
        .await
        .assert_error(401, "Authentication required");
}

#[tokio::test]
async fn only_the_author_updates_or_deletes_a_post() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let bob = blog.user("bob").await;
    let id = create_post(&ada, "original", true).await;
    let path = format!("/api/v1/posts/{id}");

    // Published or not, the post is Ada's to change: Bob gets the 404 of a missing post.
    bob.client
        .put(&path, &json!({ "title": "defaced" }))
        .await
        .assert_error(404, "Not found");
    bob.client
        .delete(&path)
        .await
        .assert_error(404, "Not found");
    for path in [MISSING, "/api/v1/posts/nope"] {
        ada.client
            .put(path, &json!({ "title": "anything" }))
            .await
            .assert_error(404, "Not found");
        ada.client.delete(path).await.assert_error(404, "Not found");
    }
    assert_eq!(ada.client.get(&path).await.body["title"], "original");

    let updated = ada
        .client
        .put(
            &path,
            &json!({ "title": "edited", "tags": ["x"], "isPublished": false }),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["title"], "edited");
    assert_eq!(updated.body["content"], "text");
    assert_eq!(updated.body["tags"], json!(["x"]));
    assert_eq!(updated.body["isPublished"], false);
    assert_eq!(updated.body["authorId"], ada.id.as_str());
    assert!(updated.body["updatedAt"].as_str() >= updated.body["createdAt"].as_str());
    assert_eq!(ada.client.get(&path).await.body, updated.body);

    let invalid = ada.client.put(&path, &json!({ "title": "no" })).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.body["details"][0]["field"], "title");

    let deleted = ada.client.delete(&path).await;
    assert_eq!(deleted.status, 204);
    ada.client.get(&path).await.assert_error(404, "Not found");
}

#[tokio::test]
async fn the_openapi_document_is_public() {
    let blog = Blog::start().await;
    let reply = blog.client().get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let document = &reply.body;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/health",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/reset-password",
        "/api/v1/auth/reset-password/confirm",
        "/api/v1/users/me",
        "/api/v1/users/{id}",
        "/api/v1/admin/users",
        "/api/v1/posts",
        "/api/v1/posts/{id}",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} is missing");
    }
    // Public operations need no token, the others the bearer scheme.
    assert_eq!(paths["/api/v1/auth/login"]["post"]["security"], json!([]));
    assert_ne!(paths["/api/v1/posts/{id}"]["put"]["security"], json!([]));
}
