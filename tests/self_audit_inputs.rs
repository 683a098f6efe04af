//! The self-audit's probes of every kind of input and of the limits and keys beyond a route's
//! own: query strings, forms, bodies of owner routes (given a resource of A's), values past
//! their declared bounds, limits by account, RSA keys given as DER or JWK, and the session's
//! CSRF token. Each sound app comes out clean with the probe made; each variant, broken
//! through an ordinary extension point, is found by the probe meant for it and no other.

#[path = "audit_fixtures/mod.rs"]
mod audit_fixtures;
mod common;

use audit_fixtures::{
    Login, Note, Notes, found, notes_of_b, skipped_reason, store_that_always_allows,
};
use common::*;
use http::Method;
use secure_api::auth::{AuthConfig, JwtKey, TokenRequest};
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use secure_api::testing::{Caller, Probe, Report, SelfAudit};
use secure_api::{Router, SecurityConfig};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct Search {
    #[validate(length(min = 1, max = 40))]
    q: String,
    #[validate(range(min = 1, max = 50))]
    limit: Option<u32>,
}

#[secure(public)]
async fn search(Query(search): Query<Search>) -> String {
    format!("{} characters, {:?}", search.q.len(), search.limit)
}

/// Refuses a search with a message made of it.
#[secure(public)]
async fn search_echoing(Query(search): Query<Search>) -> ApiResult<String> {
    Err(ApiError::client(
        StatusCode::BAD_REQUEST,
        format!("Nothing found for {}", search.q),
    ))
}

#[derive(Deserialize, Validate, Input)]
struct Subscribe {
    #[validate(email, length(max = 100))]
    email: String,
    #[validate(range(min = 1, max = 12))]
    months: u32,
}

#[secure(public)]
async fn subscribe(Form(form): Form<Subscribe>) -> StatusCode {
    let _ = (form.email, form.months);
    StatusCode::NO_CONTENT
}

/// Refuses a subscription with a message made of it.
#[secure(public)]
async fn subscribe_echoing(Form(form): Form<Subscribe>) -> ApiResult<StatusCode> {
    Err(ApiError::client(
        StatusCode::CONFLICT,
        format!("{} is subscribed already", form.email),
    ))
}

#[derive(Deserialize, Validate, Input)]
#[serde(rename_all = "camelCase")]
struct NoteEdit {
    #[validate(length(min = 1, max = 80))]
    title: String,
}

#[secure(auth, owner = "author_id")]
async fn read_note(note: Owned<Note>) -> Json<Note> {
    Json(note.into_inner())
}

#[secure(auth, owner = "author_id")]
async fn edit_note(
    note: Owned<Note>,
    State(notes): State<Notes>,
    Json(edit): Json<NoteEdit>,
) -> StatusCode {
    let mut note = note.into_inner();
    note.title = edit.title;
    notes.0.lock().unwrap().insert(note.id.clone(), note);
    StatusCode::NO_CONTENT
}

/// Refuses an edit with a message made of it.
#[secure(auth, owner = "author_id")]
async fn edit_note_echoing(note: Owned<Note>, Json(edit): Json<NoteEdit>) -> ApiResult<()> {
    let _ = note;
    Err(ApiError::client(
        StatusCode::CONFLICT,
        format!("A note titled {} exists", edit.title),
    ))
}

#[derive(Deserialize, Validate, Input)]
#[input(allow_unknown_fields)]
struct Event {
    #[validate(length(min = 1, max = 30))]
    kind: String,
}

/// Why the app accepts unknown fields on `/events`, as its audit says.
const WEBHOOK: &str = "the sender adds fields to its events";

/// An input that accepts unknown fields on purpose (a webhook of a sender who adds some): the
/// audit finds it unless the app skips the probe there, with its reason.
#[secure(public)]
async fn event(Json(event): Json<Event>) -> StatusCode {
    let _ = event.kind;
    StatusCode::ACCEPTED
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Sound,
    EchoingQuery,
    EchoingForm,
    EchoingEdit,
}

fn inputs_app(variant: Variant, config: &SecurityConfig, notes: &Notes) -> Router {
    let search = if variant == Variant::EchoingQuery {
        get(search_echoing)
    } else {
        get(search)
    };
    let subscribe = if variant == Variant::EchoingForm {
        post(subscribe_echoing)
    } else {
        post(subscribe)
    };
    let notes_route = if variant == Variant::EchoingEdit {
        get(read_note).put(edit_note_echoing)
    } else {
        get(read_note).put(edit_note)
    };
    Router::new()
        .route("/search", search)
        .route("/subscribe", subscribe)
        .route("/events", post(event))
        .route("/notes/{id}", notes_route)
        .with_state(notes.clone())
        .with_config(config.clone())
}

/// The audit of `variant`: B's note, and one of A's for the inputs of its owner routes.
async fn audit_inputs(variant: Variant) -> Report {
    let config = hs256_config();
    let (notes, note) = notes_of_b("B's private plans for the quokkas");
    let mine = Note {
        id: "note-of-a".into(),
        author_id: "user-a".into(),
        title: "A's note".into(),
    };
    notes.0.lock().unwrap().insert(mine.id.clone(), mine);
    let token = |user: &str| config.auth().mint(&TokenRequest::new(user)).unwrap().token;
    let record = json!({ "id": note.id, "authorId": note.author_id, "title": note.title });
    SelfAudit::new(|| inputs_app(variant, &config, &notes))
        .caller_a(Caller::new().bearer(token("user-a")))
        .caller_b(Caller::new().bearer(token("user-b")))
        .resource_of_b("/notes/{id}", &note.id, record)
        .resource_of_a("/notes/{id}", "note-of-a")
        .skip(Method::POST, "/events", Probe::UnknownField, WEBHOOK)
        .run()
        .await
}

/// Whether the report made `probe` on `route` (`PUT /notes/{id}`), and skipped it nowhere
/// there.
fn made_on(report: &Report, route: &str, probe: Probe) -> bool {
    report.made_on(route, probe) > 0 && skipped_reason(report, route, probe).is_none()
}

#[tokio::test]
async fn queries_forms_and_owned_bodies_of_the_sound_app_are_probed_and_clean() {
    let report = audit_inputs(Variant::Sound).await;
    assert!(report.is_clean(), "{report}");
    for probe in [
        Probe::WrongType,
        Probe::OverBound,
        Probe::EchoedInput,
        Probe::UnknownField,
        Probe::WrongContentType,
        Probe::BodyTooLarge,
    ] {
        assert!(
            made_on(&report, "POST /subscribe", probe),
            "{probe}: {report}"
        );
    }
    for probe in [Probe::WrongType, Probe::OverBound, Probe::EchoedInput] {
        assert!(made_on(&report, "GET /search", probe), "{probe}: {report}");
    }
    for probe in [
        Probe::UnknownField,
        Probe::WrongType,
        Probe::ArrayBody,
        Probe::OverBound,
        Probe::EchoedInput,
    ] {
        assert!(
            made_on(&report, "PUT /notes/{id}", probe),
            "{probe}: {report}"
        );
    }
    // Unknown query parameters are ignored by design, and so not probed.
    assert!(
        !made_on(&report, "GET /search", Probe::UnknownField),
        "{report}"
    );
    // The input that allows unknown fields on purpose: skipped there, with the app's reason.
    let reason = skipped_reason(&report, "POST /events", Probe::UnknownField);
    assert_eq!(reason.as_deref(), Some(WEBHOOK), "{report}");
}

#[tokio::test]
async fn a_query_handler_echoing_its_input_is_found() {
    let report = audit_inputs(Variant::EchoingQuery).await;
    assert_eq!(
        found(&report),
        [(Probe::EchoedInput, "GET /search".to_owned())],
        "{report}"
    );
}

#[tokio::test]
async fn a_form_handler_echoing_its_input_is_found() {
    let report = audit_inputs(Variant::EchoingForm).await;
    assert_eq!(
        found(&report),
        [(Probe::EchoedInput, "POST /subscribe".to_owned())],
        "{report}"
    );
}

#[tokio::test]
async fn an_owner_route_echoing_its_body_is_found_given_a_resource_of_as() {
    let report = audit_inputs(Variant::EchoingEdit).await;
    assert_eq!(
        found(&report),
        [(Probe::EchoedInput, "PUT /notes/{id}".to_owned())],
        "{report}"
    );
}

/// Without a resource of A's, the owner route's inputs cannot be reached, and the report says
/// so rather than passing them.
#[tokio::test]
async fn without_a_resource_of_as_the_owner_routes_inputs_are_skipped_with_why() {
    let config = hs256_config();
    let (notes, note) = notes_of_b("B's private plans for the quokkas");
    let token = |user: &str| config.auth().mint(&TokenRequest::new(user)).unwrap().token;
    let record = json!({ "title": note.title });
    let report = SelfAudit::new(|| inputs_app(Variant::EchoingEdit, &config, &notes))
        .caller_a(Caller::new().bearer(token("user-a")))
        .caller_b(Caller::new().bearer(token("user-b")))
        .resource_of_b("/notes/{id}", &note.id, record)
        .skip(Method::POST, "/events", Probe::UnknownField, WEBHOOK)
        .run()
        .await;
    assert!(report.is_clean(), "{report}");
    let reason = skipped_reason(&report, "PUT /notes/{id}", Probe::EchoedInput);
    assert!(
        reason.unwrap_or_default().contains("resource_of_a"),
        "{report}"
    );
}

#[secure(public, rate = "50/1m", account_rate = "3/15m", account_key = "email")]
async fn login(Json(login): Json<Login>) -> ApiResult<()> {
    let _ = (login.email, login.password);
    Err(ApiError::client(
        StatusCode::UNAUTHORIZED,
        "Invalid credentials",
    ))
}

fn login_config(broken: bool) -> SecurityConfig {
    let mut builder = SecurityConfig::builder();
    if broken {
        builder = builder.redis(store_that_always_allows());
    }
    builder.build().unwrap()
}

async fn audit_login(broken: bool) -> Report {
    let config = login_config(broken);
    SelfAudit::new(|| {
        Router::new()
            .route("/login", post(login))
            .with_config(config.clone())
    })
    .run()
    .await
}

/// The limit by account counts attempts on one account from many addresses: the probe sends
/// quota + 1 from as many addresses, and wants the last refused.
#[tokio::test]
async fn a_limit_by_account_is_probed_from_many_addresses() {
    let report = audit_login(false).await;
    assert!(report.is_clean(), "{report}");
    assert!(
        made_on(&report, "POST /login", Probe::AccountLimit),
        "{report}"
    );
    let report = audit_login(true).await;
    assert_eq!(
        found(&report),
        [
            (Probe::RateLimit, "POST /login".to_owned()),
            (Probe::AccountLimit, "POST /login".to_owned()),
        ],
        "{report}"
    );
}

#[secure(auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

/// The PEM body of the test RSA key: its `SubjectPublicKeyInfo` DER.
fn rsa_public_der() -> Vec<u8> {
    use base64::Engine as _;
    let body: String = RSA_PUBLIC
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

async fn audit_rsa(key: JwtKey) -> Report {
    let key = key.with_signing_pem(RSA_PRIVATE).unwrap();
    let auth = AuthConfig::builder().key(key).build().unwrap();
    let config = config_with(auth);
    let token = |user: &str| config.auth().mint(&TokenRequest::new(user)).unwrap().token;
    SelfAudit::new(|| {
        Router::new()
            .route("/me", get(me))
            .with_config(config.clone())
    })
    .caller_a(Caller::new().bearer(token("user-a")))
    .caller_b(Caller::new().bearer(token("user-b")))
    .run()
    .await
}

/// Key confusion is probed whatever form the RSA key was given in: DER (its bytes, and the PEM
/// they make) or a JWK (its JSON, and the PEM of its modulus and exponent).
#[tokio::test]
async fn rsa_keys_given_as_der_or_jwk_are_probed_for_key_confusion() {
    use secure_api::auth::Algorithm;
    let der = JwtKey::public_der(Algorithm::RS256, &rsa_public_der()).unwrap();
    let report = audit_rsa(der).await;
    assert!(report.is_clean(), "{report}");
    assert!(made_on(&report, "GET /me", Probe::KeyConfusion), "{report}");

    let jwk: jsonwebtoken::jwk::Jwk = {
        let encoding = jsonwebtoken::EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap();
        let mut jwk =
            jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding, jsonwebtoken::Algorithm::RS256)
                .unwrap();
        jwk.common.key_id = Some("rsa-1".into());
        jwk
    };
    let report = audit_rsa(JwtKey::from_jwk(&jwk).unwrap()).await;
    assert!(report.is_clean(), "{report}");
    assert!(made_on(&report, "GET /me", Probe::KeyConfusion), "{report}");
}

#[secure(public)]
async fn ping() -> &'static str {
    "pong"
}

async fn audit_general(broken: bool) -> Report {
    let config = login_config(broken);
    SelfAudit::new(|| {
        Router::new()
            .route("/api/ping", get(ping))
            .rate_limit("/api", "30/1m")
            .with_config(config.clone())
    })
    .run()
    .await
}

/// A general limit is probed once, on a read it covers: its quota plus one, one `429`.
#[tokio::test]
async fn a_general_limit_is_probed_on_a_route_it_covers() {
    let report = audit_general(false).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(
        report.made_on("GET /api/ping", Probe::GeneralLimit),
        31,
        "{report}"
    );
    let report = audit_general(true).await;
    assert_eq!(
        found(&report),
        [(Probe::GeneralLimit, "GET /api/ping".to_owned())],
        "{report}"
    );
}
