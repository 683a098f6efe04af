//! The OpenAPI 3.1 document of an app, from the same policies the pipeline enforces.
//!
//! Paths, methods and path parameters come from the routes; the bearer `securityScheme`, each
//! operation's `security` (`[]` on public routes) and the error answers each route can give come
//! from its policy; a route with `raw_response` is marked. Bodies, query parameters and success
//! responses are described by the schemas of their `Input` and `Sanitized` types (see
//! [`crate::schema`]), collected in `components.schemas`: what a response leaves out, its
//! `#[sensitive]` fields, the document leaves out too.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::RouteInfo;
use crate::error::generic_message;
use crate::policy::{Access, InputKind, Policy, Schemes};
use crate::rate::{GeneralLimit, covers};
use crate::sanitize::SecureResponse;
use crate::schema::{Components, ResponseBody, ResponseSchema, option_value};

/// The name of the bearer scheme in `components.securitySchemes`.
const BEARER: &str = "bearerAuth";
/// The name of the API-key scheme.
const API_KEY: &str = "apiKeyAuth";
/// The name of the browser-session scheme.
const SESSION: &str = "sessionCookie";
/// The name of an identity provider's scheme: `oidc`, then `oidc2`, `oidc3`, ...
fn oidc_name(index: usize) -> String {
    if index == 0 {
        "oidc".to_owned()
    } else {
        format!("oidc{}", index + 1)
    }
}

/// Builds the document; see [`Router::openapi`](super::Router::openapi).
pub(crate) fn document(
    title: &str,
    version: &str,
    routes: &[RouteInfo],
    general: &[GeneralLimit],
    issuers: &[&str],
    configured: Schemes,
) -> Value {
    // Each identity provider is an `openIdConnect` scheme naming its discovery document; an
    // `auth` route accepts a bearer token by any of them (alternatives, in OpenAPI's terms).
    let mut schemes = Map::new();
    schemes.insert(
        BEARER.into(),
        json!({ "type": "http", "scheme": "bearer", "bearerFormat": "JWT" }),
    );
    if configured.contains(Schemes::API_KEY) {
        schemes.insert(
            API_KEY.into(),
            json!({ "type": "apiKey", "in": "header", "name": "X-API-Key" }),
        );
    }
    if configured.contains(Schemes::SESSION) {
        schemes.insert(
            SESSION.into(),
            json!({
                "type": "apiKey",
                "in": "cookie",
                "name": "__Host-session",
                "description": "A browser session (`session` in development over plain HTTP). \
                    Requests other than GET, HEAD and OPTIONS also need an allowed Origin and \
                    the session's X-CSRF-Token."
            }),
        );
    }
    // The bearer schemes (the framework's own tokens and each identity provider's).
    let mut bearer = vec![json!({ BEARER: [] })];
    for (index, issuer) in issuers.iter().enumerate() {
        let name = oidc_name(index);
        schemes.insert(
            name.clone(),
            json!({ "type": "openIdConnect", "openIdConnectUrl": crate::auth::discovery_url(issuer) }),
        );
        bearer.push(json!({ name: [] }));
    }
    let requirements = Requirements { bearer, configured };
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut operation_ids: HashMap<String, usize> = HashMap::new();
    // The modules each handler name is used in: a name used in several (`users::list` and
    // `posts::list`) is qualified by its module, so ids do not depend on the order of routes.
    let mut modules: HashMap<&str, HashSet<&str>> = HashMap::new();
    for route in routes {
        let policy = &route.policy;
        modules
            .entry(policy.handler())
            .or_default()
            .insert(policy.module());
    }
    let mut components = Components::with_reserved(&[("Error", error_schema())]);
    for route in routes {
        let limited = general
            .iter()
            .any(|limit| covers(&limit.prefix, &route.path));
        let mut operation = operation(route, limited, &requirements, &mut components);
        // Operation ids must be unique; a handler serving several routes gets a suffix.
        let policy = &route.policy;
        let name = if modules[policy.handler()].len() > 1 {
            let module = policy.module().rsplit("::").next().unwrap_or_default();
            format!("{module}_{}", policy.handler())
        } else {
            policy.handler().to_owned()
        };
        let seen = operation_ids.entry(name.clone()).or_insert(0);
        *seen += 1;
        let id = if *seen == 1 {
            name
        } else {
            format!("{name}_{seen}")
        };
        operation.insert("operationId".into(), id.into());
        paths
            .entry(route.path.replace("{*", "{"))
            .or_default()
            .insert(route.method.as_str().to_ascii_lowercase(), operation.into());
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": title, "version": version },
        "paths": paths,
        "components": {
            "securitySchemes": schemes,
            "schemas": components.into_schemas(),
        }
    })
}

/// The security requirements an `auth` route may have: alternatives, one per scheme it
/// accepts of those the app configured.
struct Requirements {
    bearer: Vec<Value>,
    configured: Schemes,
}

impl Requirements {
    fn of(&self, accepted: Schemes) -> Value {
        let accepted = accepted.intersection(self.configured);
        let mut alternatives = Vec::new();
        if accepted.contains(Schemes::BEARER) {
            alternatives.extend(self.bearer.iter().cloned());
        }
        if accepted.contains(Schemes::API_KEY) {
            alternatives.push(json!({ API_KEY: [] }));
        }
        if accepted.contains(Schemes::SESSION) {
            alternatives.push(json!({ SESSION: [] }));
        }
        Value::Array(alternatives)
    }

    /// Whether an operation of `policy` by `method` can be called with a session cookie and
    /// so must carry `X-CSRF-Token` then.
    fn needs_csrf_token(&self, policy: &Policy, method: &http::Method) -> bool {
        policy.access() == Access::Authenticated
            && policy
                .schemes()
                .intersection(self.configured)
                .contains(Schemes::SESSION)
            && !crate::auth::csrf::is_safe(method)
    }
}

/// The JSON shape of every error answer.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error", "requestId"],
        "properties": {
            "error": { "type": "string" },
            "requestId": { "type": "string", "format": "uuid" },
            "details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {
                        "field": { "type": "string" },
                        "message": { "type": "string" }
                    }
                }
            }
        }
    })
}

fn operation(
    route: &RouteInfo,
    under_general_limit: bool,
    requirements: &Requirements,
    components: &mut Components,
) -> Map<String, Value> {
    let policy = &route.policy;
    let mut operation = Map::new();
    let parameters = path_parameters(&route.path);
    let has_path_parameters = !parameters.is_empty();
    let mut parameters: Vec<Value> = parameters
        .into_iter()
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if policy.has_input(InputKind::Query) {
        parameters.extend(query_parameters(policy, components));
    }
    let csrf = requirements.needs_csrf_token(policy, &route.method);
    if csrf {
        parameters.push(json!({
            "name": "X-CSRF-Token",
            "in": "header",
            "required": false,
            "description": "The session's CSRF token: required when the request is \
                authenticated by the session cookie, ignored otherwise.",
            "schema": { "type": "string" }
        }));
    }
    if !parameters.is_empty() {
        operation.insert("parameters".into(), parameters.into());
    }
    let body = match (policy.input(InputKind::Json), policy.input(InputKind::Form)) {
        (Some(json), _) => Some(("application/json", json)),
        (_, Some(form)) => Some(("application/x-www-form-urlencoded", form)),
        _ => None,
    };
    if let Some((media, input)) = body {
        let schema = (input.schema)(components);
        operation.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { media: { "schema": schema } } }),
        );
    }
    let security = match policy.access() {
        Access::Public => json!([]),
        Access::Authenticated => requirements.of(policy.schemes()),
    };
    operation.insert("security".into(), security);
    operation.insert(
        "responses".into(),
        responses(
            policy,
            body.is_some(),
            has_path_parameters,
            under_general_limit,
            // A session's unsafe request that fails the CSRF check.
            if csrf { &[403] } else { &[] },
            components,
        )
        .into(),
    );
    operation.insert("x-secure-api".into(), policy_extension(policy));
    operation
}

/// The statuses a route can answer, from its policy and what it reads, and `extra` ones.
fn responses(
    policy: &Policy,
    has_body: bool,
    has_path_parameters: bool,
    under_general_limit: bool,
    extra: &[u16],
    components: &mut Components,
) -> Map<String, Value> {
    let mut statuses = Vec::new();
    if has_body || policy.has_input(InputKind::Query) {
        statuses.push(400);
    }
    if policy.access() == Access::Authenticated {
        statuses.push(401);
    }
    let requires =
        !policy.required_roles().names().is_empty() || !policy.required_scopes().names().is_empty();
    if requires || policy.owner_field().is_some() {
        statuses.push(403);
    }
    if has_path_parameters || policy.owner_field().is_some() {
        statuses.push(404);
    }
    if has_body {
        statuses.extend([413, 415]);
    }
    if policy.rate_limit().is_some() || under_general_limit {
        statuses.push(429);
    }
    statuses.push(500);
    statuses.extend(extra);
    statuses.sort_unstable();
    statuses.dedup();
    let mut responses = Map::new();
    let success = if policy.has_raw_response() {
        "Success (the handler's own response, not checked by the framework)"
    } else {
        "Success"
    };
    let mut success = json!({ "description": success });
    if let Some(body) = policy
        .response_schema_fn()
        .and_then(|describe| describe(components))
    {
        success["content"] = json!({ body.media_type: { "schema": body.schema } });
    }
    responses.insert("2XX".into(), success);
    for status in statuses {
        let message = http::StatusCode::from_u16(status).map_or("Error", generic_message);
        responses.insert(
            status.to_string(),
            json!({
                "description": message,
                "content": {
                    "application/json": { "schema": { "$ref": "#/components/schemas/Error" } }
                }
            }),
        );
    }
    responses
}

/// One parameter per field of the query type, or one object of any fields when its type has no
/// schema. A query cannot say `null`: an optional field is one that may be left out, described
/// by its value's schema.
fn query_parameters(policy: &Policy, components: &mut Components) -> Vec<Value> {
    let schema = policy
        .input(InputKind::Query)
        .map(|query| (query.schema)(components));
    let object = schema.as_ref().map(|schema| components.resolve(schema));
    let Some(properties) = object
        .and_then(|object| object.get("properties"))
        .and_then(Value::as_object)
    else {
        return vec![json!({
            "name": "query",
            "in": "query",
            "style": "form",
            "explode": true,
            "schema": { "type": "object" }
        })];
    };
    let required = object
        .and_then(|object| object.get("required"))
        .and_then(Value::as_array);
    properties
        .iter()
        .map(|(name, schema)| {
            let required = required.is_some_and(|names| names.iter().any(|n| n == name));
            json!({ "name": name, "in": "query", "required": required, "schema": option_value(schema) })
        })
        .collect()
}

/// The route's policy as declared, for readers and tools: `x-secure-api`.
fn policy_extension(policy: &Policy) -> Value {
    json!({
        "access": policy.access().as_str(),
        "roles": policy.required_roles().names(),
        "scopes": policy.required_scopes().names(),
        "owner": policy.owner_field(),
        "readRule": policy.read_rule_field(),
        "rate": policy.rate_limit().map(|rule| json!({
            "quota": rule.quota().to_string(),
            "key": rule.key().as_str(),
        })),
        "rawResponse": policy.has_raw_response(),
    })
}

/// The OpenAPI document as a handler's response, sent as built (`application/json`).
///
/// The document is the framework's own text, not application data, so it needs no
/// `Sanitized` type; and only the router makes one ([`Router::openapi`]), so it
/// cannot carry anything else out. Build it once at start and hand a clone to the handler.
///
/// [`Router::openapi`]: super::Router::openapi
///
/// ```
/// use secure_api::prelude::*;
/// use secure_api::routing::{OpenApiDocument, get};
///
/// #[secure(public)]
/// async fn openapi(State(document): State<OpenApiDocument>) -> OpenApiDocument {
///     document
/// }
///
/// let routes = secure_api::Router::new().route("/openapi.json", get(openapi));
/// let document = routes.openapi("My API", "1.0.0");
/// assert_eq!(document.json()["openapi"], "3.1.0");
/// let app: secure_api::Router = routes.with_state(document);
/// ```
#[derive(Clone, Debug)]
pub struct OpenApiDocument {
    json: std::sync::Arc<Value>,
    /// The document serialized once, for every response.
    bytes: Bytes,
}

impl OpenApiDocument {
    pub(crate) fn new(document: Value) -> Self {
        Self {
            bytes: Bytes::from(document.to_string()),
            json: std::sync::Arc::new(document),
        }
    }

    /// The document as JSON, to read or check in a test.
    pub fn json(&self) -> &Value {
        &self.json
    }
}

impl IntoResponse for OpenApiDocument {
    fn into_response(self) -> Response {
        (
            [(http::header::CONTENT_TYPE, "application/json")],
            self.bytes,
        )
            .into_response()
    }
}

impl SecureResponse for OpenApiDocument {}

impl ResponseSchema for OpenApiDocument {
    fn body(_: &mut Components) -> Option<ResponseBody> {
        Some(ResponseBody {
            media_type: "application/json",
            schema: json!({ "type": "object" }),
        })
    }
}

/// The `{name}` and `{*name}` segments of a route template.
fn path_parameters(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| name.trim_start_matches('*').to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::path_parameters;

    #[test]
    fn path_parameters_are_read_from_templates() {
        assert_eq!(
            path_parameters("/posts/{id}/comments/{comment}"),
            ["id", "comment"]
        );
        assert_eq!(path_parameters("/files/{*rest}"), ["rest"]);
        assert!(path_parameters("/health").is_empty());
    }
}
