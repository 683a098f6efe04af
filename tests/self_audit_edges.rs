//! The self-audit at the edges of its input and limit probes, each case one a review found it
//! getting wrong: fields bounded under the marker's length, a sample its own rules would
//! refuse, a route taking a query and a body at once, limits that answer before the one
//! probed, a handler's own 400 on a login, inputs behind a role, and a missing id's 404.

#[path = "audit_fixtures/mod.rs"]
mod audit_fixtures;
mod common;

use audit_fixtures::{Login, found, skipped_reason, store_that_always_allows};
use common::*;
use secure_api::auth::TokenRequest;
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use secure_api::testing::{Caller, Probe, Report, SelfAudit};
use secure_api::{Router, SecurityConfig};
use serde::Deserialize;
use validator::Validate;

async fn audit(app: impl Fn(&SecurityConfig) -> Router) -> Report {
    let config = hs256_config();
    let token = |user: &str| config.auth().mint(&TokenRequest::new(user)).unwrap().token;
    SelfAudit::new(|| app(&config).with_config(config.clone()))
        .caller_a(Caller::new().bearer(token("user-a")))
        .caller_b(Caller::new().bearer(token("user-b")))
        .run()
        .await
}

// ---------------------------------------------------------------------------------------
// 1. A string field bounded under the marker's length (26): the sample holds a truncated
//    marker, and the echo check looks for the whole one.

#[derive(Deserialize, Validate, Input)]
struct ShortSearch {
    #[validate(length(min = 1, max = 20))]
    q: String,
}

#[secure(public)]
async fn short_search_echoing(Query(search): Query<ShortSearch>) -> ApiResult<String> {
    Err(ApiError::client(
        StatusCode::BAD_REQUEST,
        format!("Nothing found for {}", search.q),
    ))
}

#[tokio::test]
async fn a_query_echoing_a_short_field_is_found() {
    let report = audit(|_| Router::new().route("/search", get(short_search_echoing))).await;
    assert_eq!(
        found(&report),
        [(Probe::EchoedInput, "GET /search".to_owned())],
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------
// 2. A sample the input refuses (an integer bounded by `max` only, under 1): the echo probe
//    never reaches the handler, and passes silently.

#[derive(Deserialize, Validate, Input)]
struct Offset {
    #[validate(length(min = 1, max = 40))]
    q: String,
    #[validate(range(max = 0))]
    offset: i64,
}

#[secure(public)]
async fn offset_echoing(Query(search): Query<Offset>) -> ApiResult<String> {
    Err(ApiError::client(
        StatusCode::BAD_REQUEST,
        format!("Nothing found for {} at {}", search.q, search.offset),
    ))
}

#[tokio::test]
async fn a_query_echoing_its_input_is_found_when_a_field_is_bounded_by_max_only() {
    let report = audit(|_| Router::new().route("/search", get(offset_echoing))).await;
    assert_eq!(
        found(&report),
        [(Probe::EchoedInput, "GET /search".to_owned())],
        "{report}"
    );
}

#[derive(Deserialize, Validate, Input)]
struct ShortEmail {
    #[validate(email, length(max = 32))]
    email: String,
}

#[secure(public)]
async fn short_email_echoing(Json(body): Json<ShortEmail>) -> ApiResult<()> {
    Err(ApiError::client(
        StatusCode::CONFLICT,
        format!("{} is subscribed already", body.email),
    ))
}

#[tokio::test]
async fn a_body_echoing_an_email_bounded_under_38_is_found() {
    let report = audit(|_| Router::new().route("/subscribe", post(short_email_echoing))).await;
    assert_eq!(
        found(&report),
        [(Probe::EchoedInput, "POST /subscribe".to_owned())],
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------
// 3. A route with a query and a JSON body, both sound.

#[derive(Deserialize, Validate, Input)]
struct Filter {
    #[validate(length(min = 1, max = 40))]
    q: String,
}

#[derive(Deserialize, Validate, Input)]
struct Edit {
    #[validate(length(min = 1, max = 80))]
    title: String,
}

#[secure(public)]
async fn filtered_edit(Query(filter): Query<Filter>, Json(edit): Json<Edit>) -> StatusCode {
    let _ = (filter.q, edit.title);
    StatusCode::NO_CONTENT
}

#[tokio::test]
async fn a_sound_route_with_a_query_and_a_body_is_clean() {
    let report = audit(|_| Router::new().route("/edit", post(filtered_edit))).await;
    assert!(report.is_clean(), "{report}");
    for probe in [
        Probe::WrongContentType,
        Probe::BodyTooLarge,
        Probe::OverBound,
        Probe::EchoedInput,
    ] {
        assert!(report.made_on("POST /edit", probe) > 0, "{probe}: {report}");
        assert_eq!(
            skipped_reason(&report, "POST /edit", probe),
            None,
            "{report}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 4. A limit by account on an `auth` route, whose own limit (by user, the default) is smaller
//    than the account's quota.

#[derive(Deserialize, Validate, Input)]
struct Reauth {
    #[validate(email, length(max = 100))]
    email: String,
    #[validate(length(min = 1, max = 100))]
    password: String,
}

#[secure(auth, rate = "2/1m", account_rate = "3/15m", account_key = "email")]
async fn reauth(Json(body): Json<Reauth>) -> ApiResult<()> {
    let _ = (body.email, body.password);
    Err(ApiError::client(
        StatusCode::UNAUTHORIZED,
        "Invalid credentials",
    ))
}

#[tokio::test]
async fn a_limit_by_account_behind_a_smaller_limit_by_user_is_no_finding() {
    let report = audit(|_| Router::new().route("/reauth", post(reauth))).await;
    assert!(report.is_clean(), "{report}");
    let reason = skipped_reason(&report, "POST /reauth", Probe::AccountLimit);
    assert!(
        reason.unwrap_or_default().contains("limit by user"),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------
// 5. Two general limits, the wider one larger, and one read under both.

#[secure(public)]
async fn ping() -> &'static str {
    "pong"
}

#[tokio::test]
async fn a_general_limit_behind_a_smaller_general_limit_is_no_finding() {
    let report = audit(|_| {
        Router::new()
            .route("/api/ping", get(ping))
            .rate_limit("/", "50/1m")
            .rate_limit("/api", "10/1m")
    })
    .await;
    assert!(report.is_clean(), "{report}");
    // The smaller one is probed; the larger one has no read of its own, and says so.
    assert_eq!(
        report.made_on("GET /api/ping", Probe::GeneralLimit),
        11,
        "{report}"
    );
    let reason = skipped_reason(&report, "GET /", Probe::GeneralLimit);
    assert!(
        reason.unwrap_or_default().contains("another general"),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------
// 6. A login that answers a failed attempt with 400, its limit by account failing open: the
//    probe must find the limit not working, not skip it.

#[secure(public, rate = "50/1m", account_rate = "3/15m", account_key = "email")]
async fn login_400(Json(login): Json<Login>) -> ApiResult<()> {
    let _ = (login.email, login.password);
    Err(ApiError::client(
        StatusCode::BAD_REQUEST,
        "Invalid credentials",
    ))
}

#[tokio::test]
async fn a_broken_limit_by_account_on_a_login_answering_400_is_found() {
    let config = SecurityConfig::builder()
        .redis(store_that_always_allows())
        .build()
        .unwrap();
    let report = SelfAudit::new(|| {
        Router::new()
            .route("/login", post(login_400))
            .with_config(config.clone())
    })
    .run()
    .await;
    assert!(
        found(&report).contains(&(Probe::AccountLimit, "POST /login".to_owned())),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------
// 7. A query on a route that requires a role A does not have.

#[secure(auth, role = "admin")]
async fn admin_search(Query(search): Query<Filter>) -> String {
    search.q.len().to_string()
}

#[tokio::test]
async fn a_sound_query_on_a_route_requiring_a_role_is_no_finding() {
    let report = audit(|_| Router::new().route("/admin/search", get(admin_search))).await;
    assert!(report.is_clean(), "{report}");
    let reason = skipped_reason(&report, "GET /admin/search", Probe::OverBound);
    assert!(
        reason.unwrap_or_default().contains("role or scope"),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------
// 8. A form with a bool field, and a query whose first bounded field is an Option.

#[derive(Deserialize, Validate, Input)]
struct Prefs {
    newsletter: bool,
    #[validate(length(min = 1, max = 40))]
    name: String,
}

#[secure(public)]
async fn prefs(Form(form): Form<Prefs>) -> StatusCode {
    let _ = (form.newsletter, form.name);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize, Validate, Input)]
struct Tagged {
    #[validate(length(max = 40))]
    a_tag: Option<String>,
    #[validate(range(min = 1, max = 9))]
    page: Option<u32>,
}

#[secure(public)]
async fn tagged(Query(q): Query<Tagged>) -> String {
    format!("{:?} {:?}", q.a_tag, q.page)
}

#[tokio::test]
async fn a_form_with_a_flag_and_a_query_of_options_are_probed_and_clean() {
    let report = audit(|_| {
        Router::new()
            .route("/prefs", post(prefs))
            .route("/tagged", get(tagged))
    })
    .await;
    assert!(report.is_clean(), "{report}");
    for (route, probe) in [
        ("POST /prefs", Probe::WrongType),
        ("POST /prefs", Probe::OverBound),
        ("POST /prefs", Probe::EchoedInput),
        ("GET /tagged", Probe::OverBound),
        ("GET /tagged", Probe::WrongType),
    ] {
        assert!(
            report.made_on(route, probe) > 0,
            "{route} {probe}: {report}"
        );
        assert_eq!(skipped_reason(&report, route, probe), None, "{report}");
    }
}

// ---------------------------------------------------------------------------------------
// 9. A query on a route with a path parameter, the id missing.

#[secure(public)]
async fn item(Path(id): Path<String>, Query(search): Query<Filter>) -> ApiResult<String> {
    let _ = search;
    Err(ApiError::not_found().with_reason(format!("no item {id}")))
}

#[tokio::test]
async fn a_query_on_a_path_with_a_string_parameter_says_why_it_is_skipped() {
    let report = audit(|_| Router::new().route("/items/{id}", get(item))).await;
    let reason = skipped_reason(&report, "GET /items/{id}", Probe::EchoedInput);
    assert!(
        reason.unwrap_or_default().contains("the missing id"),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------
// 10. The same route with a query and a body: the body's probes are refused for the query
//     missing, so a body that takes unknown fields passes (a false pass).

#[derive(Deserialize, Validate, Input)]
#[input(allow_unknown_fields)]
struct LooseEdit {
    #[validate(length(min = 1, max = 80))]
    title: String,
}

#[secure(public)]
async fn filtered_loose_edit(
    Query(filter): Query<Filter>,
    Json(edit): Json<LooseEdit>,
) -> StatusCode {
    let _ = (filter.q, edit.title);
    StatusCode::NO_CONTENT
}

#[secure(public)]
async fn loose_edit(Json(edit): Json<LooseEdit>) -> StatusCode {
    let _ = edit.title;
    StatusCode::NO_CONTENT
}

#[tokio::test]
async fn a_body_taking_unknown_fields_is_found_on_a_route_with_a_query_too() {
    // Control: alone, the body is found.
    let report = audit(|_| Router::new().route("/edit", post(loose_edit))).await;
    assert_eq!(
        found(&report),
        [(Probe::UnknownField, "POST /edit".to_owned())],
        "{report}"
    );
    let report = audit(|_| Router::new().route("/edit", post(filtered_loose_edit))).await;
    assert!(
        found(&report).contains(&(Probe::UnknownField, "POST /edit".to_owned())),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------
// 11. Control for 2: the same handler, its integer bounded on both sides, is found.

#[derive(Deserialize, Validate, Input)]
struct OffsetBoth {
    #[validate(length(min = 1, max = 40))]
    q: String,
    #[validate(range(min = -5, max = 0))]
    offset: i64,
}

#[secure(public)]
async fn offset_both_echoing(Query(search): Query<OffsetBoth>) -> ApiResult<String> {
    Err(ApiError::client(
        StatusCode::BAD_REQUEST,
        format!("Nothing found for {} at {}", search.q, search.offset),
    ))
}

#[tokio::test]
async fn control_a_query_echoing_with_a_two_sided_range_is_found() {
    let report = audit(|_| Router::new().route("/search", get(offset_both_echoing))).await;
    assert_eq!(
        found(&report),
        [(Probe::EchoedInput, "GET /search".to_owned())],
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------
// 12. General limits whose only read is an owner route or a role route; a limit by account
//     with a small limit by address.

#[secure(auth, role = "admin")]
async fn admin_stats() -> &'static str {
    "stats"
}

#[secure(public, rate = "2/1m", account_rate = "3/15m", account_key = "email")]
async fn login_small_ip(Json(login): Json<Login>) -> ApiResult<()> {
    let _ = (login.email, login.password);
    Err(ApiError::client(
        StatusCode::UNAUTHORIZED,
        "Invalid credentials",
    ))
}

#[tokio::test]
async fn general_limit_on_a_role_route_and_account_limit_with_small_ip_limit_are_clean() {
    let report = audit(|_| {
        Router::new()
            .route("/admin/stats", get(admin_stats))
            .route("/login", post(login_small_ip))
            .rate_limit("/admin", "7/1m")
    })
    .await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.made_on("GET /admin/stats", Probe::GeneralLimit), 8);
    assert_eq!(report.made_on("POST /login", Probe::AccountLimit), 4);
}
