//! The self-audit over the whole blog: every route probed for the attacks the framework knows
//! (`secure_api::testing`), with Ada as the caller and Bob's draft as the resource she must not
//! reach. The blog must come out clean.

use secure_api::testing::{Caller, Probe, Report, SelfAudit};
use serde_json::json;

use crate::app;
use crate::harness::{Blog, User, session_id};

#[tokio::test]
async fn the_blog_passes_its_own_audit() {
    let blog = Blog::start_with(&[("PUBLIC_URL", "https://blog.example.com")]).await;
    let ada = blog.user("ada").await;
    let bob = blog.user("bob").await;

    // Bob's draft, with values that appear nowhere else.
    let draft =
        json!({ "title": "Quokka census notes", "content": "Bob's unpublished quokka draft" });
    let (id, draft) = create_post(&bob, &draft).await;
    // Ada's own post, on which the owner routes' inputs are probed (and which they may change).
    let mine = json!({ "title": "Ada's audit post", "content": "Probed by the audit" });
    let (mine, _) = create_post(&ada, &mine).await;

    // Ada's other credentials: a key, and a browser session.
    let key = ada
        .client
        .post(
            "/api/v1/users/me/keys",
            &json!({ "name": "audit", "scopes": ["posts:read"] }),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let body = json!({ "email": ada.email, "password": ada.password }).to_string();
    let login = blog
        .client()
        .send(
            "POST",
            "/api/v1/auth/session",
            &[
                ("x-forwarded-proto", "https"),
                ("content-type", "application/json"),
            ],
            Some(&body),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.text);
    let cookie = format!("__Host-session={}", session_id(&login).unwrap());
    let csrf = login.body["csrfToken"].as_str().unwrap().to_owned();

    // A second app on the same database and config, made afresh for each probe.
    // With the blog's own general limit (the harness relaxes it for the other tests): each
    // group of probes gets a fresh app, so the audit spends it only where it probes it.
    let var = |name: &str| (name != "BLOG_API_RATE").then(|| blog.var(name)).flatten();
    let settings = app::Settings::from_lookup(var).unwrap();
    let db = app::open(&settings).await.unwrap();
    let config = app::security_config(var, &db).unwrap();
    let state = app::prepare(&settings, db, &config).await.unwrap();
    let report = SelfAudit::new(|| app::router(&settings, config.clone(), state.clone()))
        .caller_a(
            Caller::new()
                .bearer(&ada.token)
                .api_key(key.body["key"].as_str().unwrap())
                .session(cookie, csrf),
        )
        .caller_b(Caller::new().bearer(&bob.token))
        .resource_of_b("/api/v1/posts/{id}", &id, draft)
        .resource_of_a("/api/v1/posts/{id}", &mine)
        .run()
        .await;
    println!("{report}");
    assert!(report.is_clean(), "{report}");
    every_probe_was_made(&report);
}

/// `user`'s new post of `post`: its id, and the post as the API answered it.
async fn create_post(user: &User, post: &serde_json::Value) -> (String, serde_json::Value) {
    let created = user.client.post("/api/v1/posts", post).await;
    assert_eq!(created.status, 201, "{}", created.text);
    (
        created.body["id"].as_str().unwrap().to_owned(),
        created.body,
    )
}

/// Every probe ran somewhere, and each kind of input was reached.
fn every_probe_was_made(report: &Report) {
    // Every probe ran somewhere (a key confusion needs an RSA key, which the blog has not).
    for probe in [
        Probe::NoCredential,
        Probe::OtherScheme,
        Probe::MalformedCredential,
        Probe::AlgNone,
        Probe::TamperedPayload,
        Probe::TruncatedSignature,
        Probe::ExpiredToken,
        Probe::OtherAudience,
        Probe::OtherIssuer,
        Probe::RevokedToken,
        Probe::CrossSiteRequest,
        Probe::MissingRole,
        Probe::OthersResource,
        Probe::RateLimit,
        Probe::AccountLimit,
        Probe::GeneralLimit,
        Probe::UnknownField,
        Probe::WrongType,
        Probe::OverBound,
        Probe::MalformedJson,
        Probe::ArrayBody,
        Probe::WrongContentType,
        Probe::BodyTooLarge,
        Probe::EchoedInput,
    ] {
        assert!(report.made(probe) > 0, "{probe} was never made:\n{report}");
    }
    // The inputs of every kind: the update's body on Ada's post, the list's query.
    for (route, probe) in [
        ("PUT /api/v1/posts/{id}", Probe::UnknownField),
        ("PUT /api/v1/posts/{id}", Probe::OverBound),
        ("GET /api/v1/posts", Probe::WrongType),
        ("GET /api/v1/posts", Probe::OverBound),
        ("POST /api/v1/auth/login", Probe::AccountLimit),
    ] {
        assert!(
            report.made_on(route, probe) > 0,
            "{probe} on {route}:\n{report}"
        );
    }
}
