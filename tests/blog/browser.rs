//! Browser sessions end to end: a cookie login under `/auth/session`, the cookie's attributes
//! behind the trusted proxy, the CSRF token on every unsafe request, the routes of every
//! scheme taking the cookie, the login budgets shared with the token login, and a password
//! reset ending every session. The id of a session is checked, as a token is, never to come
//! back in any other response (`harness::Client`).

use serde_json::{Value, json};

use crate::harness::{Blog, Client, Reply, User, keys, session_id};

const SESSION: &str = "/api/v1/auth/session";
/// The blog's public origin in these tests: where its pages are.
const ORIGIN: &str = "https://blog.example.com";

async fn blog() -> Blog {
    Blog::start_with(&[("PUBLIC_URL", ORIGIN)]).await
}

/// A browser: its cookie and CSRF token, requests from the blog's own pages over HTTPS (the
/// trusted proxy says so).
struct Browser {
    client: Client,
    cookie: String,
    csrf: String,
}

impl Browser {
    /// Logs `user` in with a cookie from a client of its own.
    async fn log_in(blog: &Blog, user: &User) -> Self {
        let client = blog.client();
        let reply = cookie_login(&client, &user.email, &user.password).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let id = session_id(&reply).expect("a session cookie");
        Self {
            client,
            cookie: format!("__Host-session={id}"),
            csrf: reply.body["csrfToken"].as_str().unwrap().to_owned(),
        }
    }

    /// Sends with the cookie and the token, from the blog's own origin.
    async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        self.send_with(
            method,
            path,
            &[("origin", ORIGIN), ("x-csrf-token", &self.csrf)],
            body,
        )
        .await
    }

    /// Sends with the cookie and exactly these other headers.
    async fn send_with(
        &self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let body = body.map(Value::to_string);
        let mut headers = vec![("x-forwarded-proto", "https"), ("cookie", &self.cookie)];
        headers.extend_from_slice(extra);
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.client
            .send(method, path, &headers, body.as_deref())
            .await
    }
}

async fn cookie_login(client: &Client, email: &str, password: &str) -> Reply {
    let body = json!({ "email": email, "password": password }).to_string();
    client
        .send(
            "POST",
            SESSION,
            &[
                ("x-forwarded-proto", "https"),
                ("content-type", "application/json"),
            ],
            Some(&body),
        )
        .await
}

async fn post_count(blog: &Blog) -> usize {
    let reply = blog.client().get("/api/v1/posts").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["total"].as_u64().unwrap().try_into().unwrap()
}

#[tokio::test]
async fn a_browser_logs_in_works_with_its_csrf_token_and_logs_out() {
    let blog = blog().await;
    let ada = blog.user("ada").await;
    let client = blog.client();
    let reply = cookie_login(&client, &ada.email, &ada.password).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let id = session_id(&reply).unwrap();
    assert_eq!(
        reply.header("set-cookie").unwrap(),
        format!("__Host-session={id}; HttpOnly; SameSite=Lax; Secure; Path=/")
    );
    assert_eq!(
        keys(&reply.body),
        ["csrfToken", "expiresAt", "roles", "userId"]
    );
    assert_eq!(reply.body["userId"], ada.id.as_str());
    let browser = Browser::log_in(&blog, &ada).await;

    // Who am I, with the token again for a page that reloaded.
    let me = browser.send("GET", SESSION, None).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["csrfToken"], browser.csrf.as_str());
    assert_eq!(me.body["roles"], json!(["user"]));

    // A post written from the blog's pages; the same without the token writes nothing.
    let post = json!({ "title": "From a browser", "content": "Hello" });
    let before = post_count(&blog).await;
    browser
        .send_with("POST", "/api/v1/posts", &[("origin", ORIGIN)], Some(&post))
        .await
        .assert_error(403, "Access denied");
    browser
        .send_with(
            "POST",
            "/api/v1/posts",
            &[
                ("origin", "https://evil.example"),
                ("x-csrf-token", &browser.csrf),
            ],
            Some(&post),
        )
        .await
        .assert_error(403, "Access denied");
    assert_eq!(post_count(&blog).await, before, "a refused request wrote");
    let created = browser.send("POST", "/api/v1/posts", Some(&post)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["authorId"], ada.id.as_str());
    // Every `auth` route takes the cookie: the user's own key routes too.
    let key = browser
        .send(
            "POST",
            "/api/v1/users/me/keys",
            Some(&json!({ "name": "cli", "scopes": ["posts:read"] })),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);

    // Logout ends this session only, and tells the browser to forget the cookie.
    let out = browser.send("DELETE", SESSION, None).await;
    assert_eq!(out.status, 204, "{}", out.text);
    assert!(
        out.header("set-cookie")
            .unwrap()
            .starts_with("__Host-session=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0"),
        "{out:?}"
    );
    browser
        .send("GET", SESSION, None)
        .await
        .assert_error(401, "Authentication required");
    let other = Browser {
        client: blog.client(),
        cookie: format!("__Host-session={id}"),
        csrf: reply.body["csrfToken"].as_str().unwrap().to_owned(),
    };
    assert_eq!(other.send("GET", SESSION, None).await.status, 200);
    // The token login is unaffected by any of it.
    assert_eq!(ada.client.get("/api/v1/users/me").await.status, 200);
}

#[tokio::test]
async fn over_plain_http_in_development_the_cookie_is_session_without_secure() {
    let blog = blog().await;
    let ada = blog.user("ada").await;
    let body = json!({ "email": ada.email, "password": ada.password }).to_string();
    let reply = blog
        .client()
        .send(
            "POST",
            SESSION,
            &[("content-type", "application/json")],
            Some(&body),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let id = session_id(&reply).unwrap();
    assert_eq!(
        reply.header("set-cookie").unwrap(),
        format!("session={id}; HttpOnly; SameSite=Lax; Path=/")
    );
    let me = blog
        .client()
        .send(
            "GET",
            SESSION,
            &[("cookie", &format!("session={id}"))],
            None,
        )
        .await;
    assert_eq!(me.status, 200, "{}", me.text);
}

#[tokio::test]
async fn the_cookie_login_spends_the_token_logins_budgets() {
    let blog = blog().await;
    let ada = blog.user("ada").await;
    let client = blog.client();
    // 5 attempts per address in all, whichever login they use.
    for attempt in 0..5 {
        let reply = if attempt % 2 == 0 {
            cookie_login(&client, &ada.email, "a wrong password").await
        } else {
            client
                .post(
                    "/api/v1/auth/login",
                    &json!({ "email": ada.email, "password": "a wrong password" }),
                )
                .await
        };
        reply.assert_error(401, "Invalid credentials");
        assert!(
            reply
                .header("ratelimit-policy")
                .unwrap()
                .contains("\"login\";q=5;w=900")
        );
    }
    let refused = cookie_login(&client, &ada.email, &ada.password).await;
    refused.assert_error(429, "Too many login attempts");
    assert!(session_id(&refused).is_none());
    client
        .post(
            "/api/v1/auth/login",
            &json!({ "email": ada.email, "password": ada.password }),
        )
        .await
        .assert_error(429, "Too many login attempts");
}

#[tokio::test]
async fn a_password_reset_ends_every_browser_session_and_token() {
    let blog = blog().await;
    let ada = blog.user("ada").await;
    let laptop = Browser::log_in(&blog, &ada).await;
    let phone = Browser::log_in(&blog, &ada).await;
    let requester = blog.client();
    let reply = requester
        .post(
            "/api/v1/auth/reset-password",
            &json!({ "email": ada.email }),
        )
        .await;
    assert_eq!(reply.status, 202);
    let token = blog.mailed_reset_tokens(1).await.pop().unwrap();
    let confirmed = requester
        .post(
            "/api/v1/auth/reset-password/confirm",
            &json!({ "token": token, "newPassword": "a brand new long passphrase" }),
        )
        .await;
    assert_eq!(confirmed.status, 204, "{}", confirmed.text);
    for browser in [&laptop, &phone] {
        browser
            .send("GET", SESSION, None)
            .await
            .assert_error(401, "Authentication required");
    }
    ada.client
        .get("/api/v1/users/me")
        .await
        .assert_error(401, "Invalid token");
    // The rows are gone, not only refused.
    let rows: i64 = {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(blog.database_url())
            .await
            .unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM browser_sessions")
            .fetch_one(&mut db)
            .await
            .unwrap()
    };
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn the_document_declares_the_cookie_scheme_and_the_csrf_header() {
    let blog = blog().await;
    let document = blog.client().get("/api/v1/openapi.json").await.body;
    let scheme = &document["components"]["securitySchemes"]["sessionCookie"];
    assert_eq!(scheme["type"], "apiKey");
    assert_eq!(scheme["in"], "cookie");
    assert_eq!(scheme["name"], "__Host-session");
    let operation = |path: &str, method: &str| document["paths"][path][method].clone();
    let csrf_header = |operation: &Value| {
        operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "X-CSRF-Token" && p["in"] == "header")
    };
    let create = operation("/api/v1/posts", "post");
    assert!(
        create["security"]
            .as_array()
            .unwrap()
            .contains(&json!({ "sessionCookie": [] }))
    );
    assert!(csrf_header(&create), "{create}");
    assert!(create["responses"]["403"].is_object());
    // Safe methods, and routes the cookie cannot reach, carry no CSRF header.
    assert!(!csrf_header(&operation("/api/v1/posts/{id}", "get")));
    let logout = operation("/api/v1/auth/logout", "post");
    assert_eq!(logout["security"], json!([{ "bearerAuth": [] }]));
    assert!(!csrf_header(&logout));
    let end = operation("/api/v1/auth/session", "delete");
    assert_eq!(end["security"], json!([{ "sessionCookie": [] }]));
    assert!(csrf_header(&end));
}
