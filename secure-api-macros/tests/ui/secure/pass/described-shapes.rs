// Every shape of handler keeps compiling now that `#[secure]` describes it for the OpenAPI
// document: generic handlers and `impl Trait` responses go undescribed, borrowed views and
// bounds written as constants are described.

use secure_api::prelude::*;
use secure_api::routing::{get, post};
use serde::Deserialize;
use validator::Validate;

const MAX_TITLE: u64 = 120;
const MAX_AMOUNT: u128 = 1_000_000;

fn not_blank(value: &str) -> Result<(), validator::ValidationError> {
    if value.trim().is_empty() {
        return Err(validator::ValidationError::new("blank"));
    }
    Ok(())
}

#[derive(Deserialize, Validate, Input)]
#[serde(default)]
struct Draft {
    #[validate(length(min = 1, max = MAX_TITLE, message = "1 to 120 characters"), custom(function = "not_blank"))]
    title: String,
    #[validate(range(min = 0.5, max = 2.0))]
    scale: f64,
    #[validate(range(min = 1, max = MAX_AMOUNT))]
    amount: u128,
    #[serde(skip)]
    internal: Vec<u8>,
}

impl Default for Draft {
    fn default() -> Self {
        Self { title: "untitled".into(), scale: 1.0, amount: 1, internal: Vec::new() }
    }
}

#[derive(Sanitized)]
struct Label<'a> {
    text: &'a str,
}

#[secure(public)]
async fn label() -> Json<Label<'static>> {
    Json(Label { text: "ok" })
}

#[secure(public)]
async fn save(Json(draft): Json<Draft>) -> StatusCode {
    let _ = (draft.title, draft.scale, draft.amount, draft.internal);
    StatusCode::NO_CONTENT
}

/// Read and sent back: an input and a response, each described as it is read or written.
#[derive(Deserialize, Validate, Input, Sanitized)]
#[serde(rename_all = "camelCase")]
struct Settings {
    #[validate(length(max = 20))]
    display_name: String,
}

#[secure(public)]
async fn settings(Json(settings): Json<Settings>) -> Json<Settings> {
    Json(settings)
}

#[secure(public)]
async fn nothing() {}

#[secure(public)]
async fn borrowed<'a>() -> Json<Label<'a>> {
    Json(Label { text: "ok" })
}

#[secure(public, raw_response)]
async fn legacy() -> impl axum::response::IntoResponse {
    "legacy"
}

#[secure(public)]
async fn generic<T: Default + std::fmt::Debug + Send + 'static>() -> StatusCode {
    let _ = T::default();
    StatusCode::OK
}

fn main() {
    let app: secure_api::Router = secure_api::Router::new()
        .route("/label", get(label))
        .route("/save", post(save))
        .route("/nothing", get(nothing))
        .route("/settings", post(settings))
        .route("/borrowed", get(borrowed))
        .route("/legacy", get(legacy))
        .route("/generic", get(generic::<u8>));
    let doc = app.openapi("Shapes", "1").json().clone();
    let draft = &doc["components"]["schemas"]["Draft"];
    assert_eq!(draft["properties"]["title"]["maxLength"], MAX_TITLE);
    assert_eq!(draft["properties"]["scale"]["maximum"], 2.0);
    assert_eq!(draft["properties"]["amount"]["maximum"], 1_000_000);
    assert!(draft.get("required").is_none(), "`#[serde(default)]`: nothing is required");
    assert!(draft["properties"].get("internal").is_none(), "a skipped field is not read");
    let settings = &doc["paths"]["/settings"]["post"];
    let accepted = &settings["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    let sent = &settings["responses"]["2XX"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(accepted, "#/components/schemas/Settings");
    assert_eq!(sent, "#/components/schemas/Settings2");
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Settings"]["properties"]["displayName"]["maxLength"], 20);
    assert!(schemas["Settings2"]["properties"]["displayName"].get("maxLength").is_none());
    let label = &doc["paths"]["/label"]["get"]["responses"]["2XX"]["content"];
    assert_eq!(label["application/json"]["schema"]["$ref"], "#/components/schemas/Label");
    assert!(doc["paths"]["/legacy"]["get"]["responses"]["2XX"].get("content").is_none());
    assert!(doc["paths"]["/generic"]["get"]["responses"]["2XX"].get("content").is_none());
}
