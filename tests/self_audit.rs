//! The self-audit (`secure_api::testing`), unchanged, over a small app and four broken
//! variants of it, each broken through an ordinary extension point: it reports nothing on the
//! sound app, and on each variant exactly the finding that variant deserves.
//!
//! 1. B's draft served by a public route: the scan of every answer for B's values;
//! 2. a claims mapping that gives every caller the admin role: the role probe;
//! 3. a rate-limit store that always allows (Redis unreachable, failing open): the limit probe;
//! 4. a handler that echoes its input in `ApiError::client`: the input probe;
//! 5. a handler whose error names a `#[sensitive]` field of its response: the answer check.

#[path = "audit_fixtures/mod.rs"]
mod audit_fixtures;
mod common;

use audit_fixtures::{Note, Notes, found, notes_of_b, store_that_always_allows};
use common::*;
use secure_api::auth::{AuthConfig, JwtKey, TokenRequest};
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use secure_api::testing::{Caller, Probe, Report, SelfAudit};
use secure_api::{Router, SecurityConfig};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

#[secure(auth, owner = "author_id")]
async fn read_note(note: Owned<Note>) -> Json<Note> {
    Json(note.into_inner())
}

#[secure(auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth, role = "admin")]
async fn admin() -> &'static str {
    "admin"
}

#[secure(public, rate = "3/1m")]
async fn ping() -> &'static str {
    "pong"
}

#[derive(Deserialize, Validate, Input)]
struct Greeting {
    #[validate(length(min = 1, max = 60))]
    name: String,
}

#[secure(public, rate = "50/1m")]
async fn greet(Json(greeting): Json<Greeting>) -> ApiResult<String> {
    Ok(format!("hello, {} characters", greeting.name.len()))
}

/// Variant 4: the handler refuses the input with a message made of it.
#[secure(public, rate = "50/1m")]
async fn greet_echoing(Json(greeting): Json<Greeting>) -> ApiResult<String> {
    Err(ApiError::client(
        StatusCode::BAD_REQUEST,
        format!("No greeting for {}", greeting.name),
    ))
}

#[derive(Sanitized)]
struct Account {
    name: String,
    #[sensitive]
    password_hash: String,
}

#[secure(public, rate = "50/1m")]
async fn open_account(Json(greeting): Json<Greeting>) -> ApiResult<Json<Account>> {
    Ok(Json(Account {
        name: greeting.name,
        password_hash: "$argon2id$v=19$...".into(),
    }))
}

/// Variant 5: the handler's error names the secret field of its answer.
#[secure(public, rate = "50/1m")]
async fn open_account_naming(Json(greeting): Json<Greeting>) -> ApiResult<Json<Account>> {
    let _ = greeting;
    Err(ApiError::client(
        StatusCode::CONFLICT,
        "password_hash could not be computed",
    ))
}

/// Variant 1: a public route that serves every note, drafts of others' included.
#[secure(public, rate = "50/1m")]
async fn all_notes(State(notes): State<Notes>) -> Json<Vec<Note>> {
    Json(notes.0.lock().unwrap().values().cloned().collect())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Sound,
    PublicDraft,
    AdminForAll,
    LimitsAlwaysAllow,
    EchoingHandler,
    NamesSecret,
}

/// The app's config: the sound app reads roles from `roles`; variant 2 maps the identity
/// provider's `groups` to roles, and every token lists `admin` there.
fn config(variant: Variant) -> SecurityConfig {
    let mut auth = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap())
        .issuer(ISSUER)
        .audience(AUDIENCE);
    if variant == Variant::AdminForAll {
        auth = auth.roles_claim("groups");
    }
    let mut builder = SecurityConfig::builder().auth(auth.build().unwrap());
    if variant == Variant::LimitsAlwaysAllow {
        builder = builder.redis(store_that_always_allows());
    }
    builder.build().unwrap()
}

fn app(variant: Variant, config: &SecurityConfig, notes: &Notes) -> Router {
    let greet = if variant == Variant::EchoingHandler {
        post(greet_echoing)
    } else {
        post(greet)
    };
    let accounts = if variant == Variant::NamesSecret {
        post(open_account_naming)
    } else {
        post(open_account)
    };
    let mut router = Router::new()
        .route("/accounts", accounts)
        .route("/notes/{id}", get(read_note))
        .route("/me", get(me))
        .route("/admin", get(admin))
        .route("/ping", get(ping))
        .route("/greet", greet);
    if variant == Variant::PublicDraft {
        router = router.route("/notes", get(all_notes));
    }
    router.with_state(notes.clone()).with_config(config.clone())
}

/// The audit of `variant`, with users A and B and B's note.
async fn audit(variant: Variant) -> Report {
    let config = config(variant);
    let (notes, note) = notes_of_b("B's private plans for the quokkas");
    // Tokens as an identity provider issues them: every user's lists the group `admin` in
    // `groups`, a claim the sound app does not read roles from.
    let issuer = self::config(Variant::Sound);
    let mint = |user: &str| {
        let request = TokenRequest::new(user).claim("groups", json!(["admin"]));
        issuer.auth().mint(&request).unwrap().token
    };
    let record = json!({ "id": note.id, "authorId": note.author_id, "title": note.title });
    SelfAudit::new(|| app(variant, &config, &notes))
        .caller_a(Caller::new().bearer(mint("user-a")))
        .caller_b(Caller::new().bearer(mint("user-b")))
        .resource_of_b("/notes/{id}", &note.id, record)
        .run()
        .await
}

#[tokio::test]
async fn the_sound_app_is_clean() {
    let report = audit(Variant::Sound).await;
    assert!(report.is_clean(), "{report}");
    assert!(report.requests > 40, "{report}");
    // Probes the config cannot make are listed, with why.
    assert!(
        report
            .skipped
            .iter()
            .any(|skip| skip.probe == Probe::KeyConfusion),
        "{report}"
    );
}

/// With an RSA key given as public PEM, the key-confusion probe runs too: an `HS256` token
/// signed with the PEM text as its secret is refused like every other forgery.
#[tokio::test]
async fn an_rsa_app_is_probed_for_key_confusion_and_is_clean() {
    use secure_api::auth::Algorithm;
    let key = JwtKey::public_pem(Algorithm::RS256, RSA_PUBLIC)
        .unwrap()
        .with_signing_pem(RSA_PRIVATE)
        .unwrap();
    let auth = AuthConfig::builder()
        .key(key)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let config = SecurityConfig::builder().auth(auth).build().unwrap();
    let token = |user: &str| config.auth().mint(&TokenRequest::new(user)).unwrap().token;
    let notes = Notes::default();
    let report = SelfAudit::new(|| app(Variant::Sound, &config, &notes))
        .caller_a(Caller::new().bearer(token("user-a")))
        .caller_b(Caller::new().bearer(token("user-b")))
        .run()
        .await;
    assert!(report.is_clean(), "{report}");
    assert!(report.made(Probe::KeyConfusion) > 0, "{report}");
}

#[tokio::test]
async fn a_public_route_serving_bs_draft_is_found_by_its_values() {
    let report = audit(Variant::PublicDraft).await;
    assert_eq!(
        found(&report),
        [(Probe::Answer, "GET /notes".to_owned())],
        "{report}"
    );
    assert!(report.findings[0].got.contains("B's value"), "{report}");
}

#[tokio::test]
async fn a_claims_mapping_giving_everyone_admin_is_found_by_the_role_probe() {
    let report = audit(Variant::AdminForAll).await;
    assert_eq!(
        found(&report),
        [(Probe::MissingRole, "GET /admin".to_owned())],
        "{report}"
    );
}

#[tokio::test]
async fn a_limit_store_that_always_allows_is_found_by_the_limit_probe() {
    let report = audit(Variant::LimitsAlwaysAllow).await;
    assert_eq!(
        found(&report),
        [
            (Probe::RateLimit, "POST /accounts".to_owned()),
            (Probe::RateLimit, "GET /ping".to_owned()),
            (Probe::RateLimit, "POST /greet".to_owned()),
        ],
        "{report}"
    );
}

#[tokio::test]
async fn a_handler_echoing_its_input_is_found_by_the_input_probe() {
    let report = audit(Variant::EchoingHandler).await;
    assert_eq!(
        found(&report),
        [(Probe::EchoedInput, "POST /greet".to_owned())],
        "{report}"
    );
}

#[tokio::test]
async fn an_error_naming_a_sensitive_field_is_found_by_the_answer_check() {
    let report = audit(Variant::NamesSecret).await;
    assert_eq!(
        found(&report),
        [(Probe::Answer, "POST /accounts".to_owned())],
        "{report}"
    );
    assert!(report.findings[0].got.contains("password_hash"), "{report}");
}

/// A fixture that proves nothing is a finding, not a pass: when B cannot read the resource
/// said to be B's, A's refusal on it shows nothing.
#[tokio::test]
async fn a_resource_b_cannot_read_is_reported_as_a_wrong_fixture() {
    let config = config(Variant::Sound);
    let notes = Notes::default();
    let token = |user: &str| config.auth().mint(&TokenRequest::new(user)).unwrap().token;
    let report = SelfAudit::new(|| app(Variant::Sound, &config, &notes))
        .caller_a(Caller::new().bearer(token("user-a")))
        .caller_b(Caller::new().bearer(token("user-b")))
        .resource_of_b("/notes/{id}", "no-such-note", json!({ "title": "gone" }))
        .run()
        .await;
    assert_eq!(
        found(&report),
        [(Probe::OthersResource, "GET /notes/{id}".to_owned())],
        "{report}"
    );
    assert!(report.findings[0].expected.contains("fixture"), "{report}");
}
