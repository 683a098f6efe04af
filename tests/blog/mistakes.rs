//! The article's "Common API Security Mistakes", row by row: each mistake attempted against
//! the blog, and the prevention the table names observed.
//!
//! | Mistake | Impact | Prevention |
//! |---|---|---|
//! | Missing authentication | Unauthorized access | Auth middleware on all routes |
//! | No authorization checks | Data from other users | Verify resource ownership |
//! | Trusting client user ID | Impersonation | Use server-side session |
//! | Verbose error messages | Information disclosure | Generic client messages |
//! | No rate limiting | Brute force, DoS | Implement rate limits |

use secure_api::policy::{Access, Schemes};
use serde_json::{Value, json};

use crate::app;
use crate::common::{now, raw_token, sign};
use crate::harness::{Blog, MISSING, SECRET, claims, create_post};

/// Claims the blog would accept, for tokens forged around them.
fn valid_claims(sub: &str) -> Value {
    let now = now();
    json!({
        "sub": sub, "iat": now, "nbf": now, "exp": now + 600, "jti": uuid::Uuid::new_v4(),
        "iss": "secure-api-blog", "aud": "secure-api-blog", "roles": ["admin"],
    })
}

fn hs256(claims: &Value, secret: &str) -> String {
    sign(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
}

/// Missing authentication: every route that is not deliberately public refuses a request
/// without a valid token, and the public ones are exactly those the API table names.
#[tokio::test]
async fn missing_authentication() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let sub = ada.id.as_str();
    let mut expired = valid_claims(sub);
    expired["exp"] = json!(now() - 3600);
    expired["iat"] = json!(now() - 4000);
    let mut foreign = valid_claims(sub);
    foreign["aud"] = json!("another-api");
    let forged = [
        hs256(
            &valid_claims(sub),
            "another secret of thirty-two bytes or more",
        ),
        raw_token(
            &json!({ "alg": "none", "typ": "JWT" }),
            &valid_claims(sub),
            "",
        ),
        hs256(&expired, SECRET),
        hs256(&foreign, SECRET),
        "garbage".to_owned(),
    ];

    let routes = app::routes("100/15m".parse().unwrap());
    let mut public = Vec::new();
    for route in routes.routes() {
        let path = route
            .path
            .replace("{id}", &MISSING["/api/v1/posts/".len()..]);
        let method = route.method.as_str();
        if route.policy.access() == Access::Public {
            public.push(format!("{method} {}", route.path));
            continue;
        }
        let anonymous = blog.client();
        let reply = anonymous.send_json(method, &path, &json!({})).await;
        reply.assert_error(401, "Authentication required");
        // A challenge for each scheme the route takes: a token first, where it takes one.
        let first = if route.policy.schemes().contains(Schemes::BEARER) {
            "Bearer"
        } else {
            "Session cookie=\"session\""
        };
        assert_eq!(
            reply.header("www-authenticate"),
            Some(first),
            "{method} {path}"
        );
        let basic = anonymous
            .send(method, &path, &[("authorization", "Basic YWRhOnB3")], None)
            .await;
        basic.assert_error(401, "Authentication required");
        // A forged token is refused; on a route of browser sessions only, a token is no
        // credential at all.
        let takes_tokens = route.policy.schemes().contains(Schemes::BEARER);
        for token in &forged {
            let reply = anonymous
                .with_token(token)
                .send_json(method, &path, &json!({}))
                .await;
            if takes_tokens {
                reply.assert_error(401, "Invalid token");
            } else {
                reply.assert_error(401, "Authentication required");
            }
        }
    }
    public.sort();
    assert_eq!(
        public,
        [
            "GET /api/v1/openapi.json",
            "GET /api/v1/posts",
            "GET /health",
            "POST /api/v1/auth/login",
            "POST /api/v1/auth/register",
            "POST /api/v1/auth/reset-password",
            "POST /api/v1/auth/reset-password/confirm",
            "POST /api/v1/auth/session",
        ]
    );
    // The same claims, signed with the blog's own secret, are accepted: the forgeries
    // failed for what they got wrong.
    let genuine = blog.client().with_token(&hs256(&valid_claims(sub), SECRET));
    assert_eq!(genuine.get("/api/v1/users/me").await.status, 200);
}

/// No authorization checks: Bob can neither read Ada's draft nor change or delete her posts,
/// nor use the admin's list; each refusal is an audited `forbidden`, and Ada's data is intact.
#[tokio::test]
async fn no_authorization_checks() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let bob = blog.user("bob").await;
    let draft = format!(
        "/api/v1/posts/{}",
        create_post(&ada, "ada's draft", false).await
    );
    let published = format!(
        "/api/v1/posts/{}",
        create_post(&ada, "ada's post", true).await
    );

    bob.client.get(&draft).await.assert_error(404, "Not found");
    for path in [&draft, &published] {
        bob.client
            .put(
                path,
                &json!({ "title": "bob was here", "isPublished": true }),
            )
            .await
            .assert_error(404, "Not found");
        bob.client.delete(path).await.assert_error(404, "Not found");
    }
    bob.client
        .get("/api/v1/admin/users")
        .await
        .assert_error(403, "Access denied");

    let refused = blog
        .logs
        .events("secure_api::audit")
        .into_iter()
        .filter(|event| event.fields.get("user_id") == Some(&json!(bob.id)))
        .filter(|event| event.fields.get("decision") == Some(&json!("forbidden")))
        .count();
    assert_eq!(refused, 6);

    let draft = ada.client.get(&draft).await;
    assert_eq!(
        (&draft.body["title"], &draft.body["isPublished"]),
        (&json!("ada's draft"), &json!(false))
    );
    assert_eq!(ada.client.get(&published).await.body["title"], "ada's post");
}

/// Trusting client user ID: the author, the owner and the role always come from the verified
/// token; a body that names a user or a role is refused, and a token cannot be forged.
#[tokio::test]
async fn trusting_client_user_id() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let bob = blog.user("bob").await;

    let impersonation = ada
        .client
        .post(
            "/api/v1/posts",
            &json!({ "title": "Bob says", "content": "x", "authorId": bob.id }),
        )
        .await;
    assert_eq!(impersonation.status, 400);
    assert_eq!(
        impersonation.body["details"],
        json!([{ "field": "authorId", "message": "is not an accepted field" }])
    );

    let id = create_post(&ada, "mine", false).await;
    let path = format!("/api/v1/posts/{id}");
    let reassign = ada.client.put(&path, &json!({ "authorId": bob.id })).await;
    assert_eq!(reassign.status, 400);
    assert_eq!(reassign.body["details"][0]["field"], "authorId");
    assert_eq!(
        ada.client.get(&path).await.body["authorId"],
        ada.id.as_str()
    );
    bob.client.get(&path).await.assert_error(404, "Not found");

    // Mass assignment at registration: no one makes themselves an admin.
    let escalation = blog
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "eve@example.com", "name": "Eve", "password": "eve's long passphrase", "role": "admin" }),
        )
        .await;
    assert_eq!(escalation.status, 400);
    assert_eq!(escalation.body["details"][0]["field"], "role");

    // Who the caller is comes from the token alone, and a token for Bob cannot be made
    // without the server's secret.
    let me = ada.client.get("/api/v1/users/me").await;
    assert_eq!(me.body["id"], ada.id.as_str());
    assert_eq!(claims(&ada.token)["sub"], ada.id.as_str());
    let forged = hs256(
        &valid_claims(&bob.id),
        "a guess at the secret, thirty-two bytes long",
    );
    blog.client()
        .with_token(&forged)
        .get("/api/v1/users/me")
        .await
        .assert_error(401, "Invalid token");
}

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

/// What an error body may say: the framework's generic messages, field names, and nothing
/// about the stack behind them.
fn assert_generic(reply: &crate::harness::Reply, status: u16) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let body = reply.body.as_object().expect("a JSON error body");
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert!(
        keys == ["error", "requestId"] || keys == ["details", "error", "requestId"],
        "{}",
        reply.text
    );
    let text = reply.text.to_lowercase();
    for leak in [
        "sqlx",
        "sqlite",
        "select",
        "syntax",
        "serde",
        "expected",
        "invalid type",
        "missing field",
        "line ",
        "column",
        "src/",
        ".rs",
        "panicked",
        "argon2",
        "axum",
        "hyper",
        "tokio",
        "secure_api",
        "rust",
    ] {
        assert!(!text.contains(leak), "`{leak}` in {}", reply.text);
    }
    assert_eq!(reply.header("server"), None);
    assert_eq!(reply.header("x-powered-by"), None);
}

/// Verbose error messages: malformed, mistyped, oversized, injected and misrouted requests
/// all get a generic message and a request id, never a detail of the implementation.
#[tokio::test]
async fn verbose_error_messages() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let client = &ada.client;
    let send = |method: &'static str,
                path: &'static str,
                headers: &'static [(&'static str, &'static str)],
                body: String| {
        let client = client.clone();
        async move { client.send(method, path, headers, Some(&body)).await }
    };

    let malformed = send("POST", "/api/v1/posts", JSON, r#"{"title": "x", "#.into()).await;
    assert_generic(&malformed, 400);
    let mistyped = send(
        "POST",
        "/api/v1/posts",
        JSON,
        r#"{"title": 5, "content": []}"#.into(),
    )
    .await;
    assert_generic(&mistyped, 400);
    let not_json = send(
        "POST",
        "/api/v1/posts",
        &[("content-type", "text/plain")],
        "title=x".into(),
    )
    .await;
    assert_generic(&not_json, 415);
    let huge = send(
        "POST",
        "/api/v1/posts",
        JSON,
        format!(r#"{{"title":"{}"}}"#, "x".repeat(1_100_000)),
    )
    .await;
    assert_generic(&huge, 413);
    let unknown_path = send("GET", "/api/v1/secrets", &[], String::new()).await;
    assert_generic(&unknown_path, 404);
    let wrong_method = send("PATCH", "/api/v1/posts", JSON, "{}".into()).await;
    assert_generic(&wrong_method, 405);
    assert!(wrong_method.header("allow").is_some());
    let injected_id = send("GET", "/api/v1/posts/1'%20OR%20'1'='1", &[], String::new()).await;
    assert_generic(&injected_id, 404);
    let injected_email = blog
        .client()
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "' OR '1'='1' --", "password": "x" }),
        )
        .await;
    assert_generic(&injected_email, 401);
    assert_eq!(injected_email.error(), "Invalid credentials");
    let bad_token = blog
        .client()
        .with_token("a.b.c")
        .get("/api/v1/users/me")
        .await;
    assert_generic(&bad_token, 401);

    // Invalid input names the fields, never the values sent.
    let invalid = client
        .post(
            "/api/v1/posts",
            &json!({ "title": "<script>x</script>", "content": "c".repeat(50_001) }),
        )
        .await;
    assert_generic(&invalid, 400);
    // Without the request id, a random UUID that may well contain `ccc`.
    let said = invalid.body_without_request_id().to_string();
    assert!(!said.contains("script") && !said.contains("ccc"), "{said}");

    // Text that looks like SQL is stored and answered as text (Best Practice 4).
    let title = "Robert'); DROP TABLE posts;--";
    let created = client
        .post("/api/v1/posts", &json!({ "title": title, "content": "x" }))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let path = format!("/api/v1/posts/{}", created.body["id"].as_str().unwrap());
    assert_eq!(client.get(&path).await.body["title"], title);
}

/// No rate limiting: the general `/api` limit per address (the article's `100/15m` by
/// default), and the stricter limit that stops guessing a password.
#[tokio::test]
async fn no_rate_limiting() {
    let default = Blog::start_with(&[("BLOG_API_RATE", "")]).await;
    let reply = default.client().get("/api/v1/posts").await;
    assert!(
        reply
            .header("ratelimit-policy")
            .unwrap()
            .contains("\"api\";q=100;w=900"),
        "{:?}",
        reply.header("ratelimit-policy")
    );

    let blog = Blog::start_with(&[("BLOG_API_RATE", "3/15m")]).await;
    let flood = blog.client();
    for _ in 0..3 {
        assert_eq!(flood.get("/api/v1/posts").await.status, 200);
    }
    let refused = flood.get("/api/v1/posts").await;
    refused.assert_error(429, "Too many requests");
    assert!(refused.header("retry-after").is_some());
    assert!(refused.header("ratelimit").unwrap().contains("\"api\";r=0"));
    // Only that address, and only under /api.
    assert_eq!(flood.get("/health").await.status, 200);
    assert_eq!(blog.client().get("/api/v1/posts").await.status, 200);

    // Brute force: five guesses at Ada's password, then even the right one is refused.
    let ada = default.user("ada").await;
    let attacker = default.client();
    for guess in ["123456", "password", "qwerty", "letmein", "dragon"] {
        attacker
            .post(
                "/api/v1/auth/login",
                &json!({ "email": ada.email, "password": guess }),
            )
            .await
            .assert_error(401, "Invalid credentials");
    }
    attacker
        .post(
            "/api/v1/auth/login",
            &json!({ "email": ada.email, "password": ada.password }),
        )
        .await
        .assert_error(429, "Too many login attempts");
}
