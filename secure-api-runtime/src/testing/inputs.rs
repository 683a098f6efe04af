//! The probes of a route's JSON input: the bodies it must refuse, and one it accepts.

use http::{HeaderName, HeaderValue, StatusCode, header};
use serde_json::Value;

use super::checks::clip;
use super::report::Probe;
use super::sample::sample;
use crate::policy::{Access, InputKind, Policy};
use crate::routing::{RouteInfo, Router};

use super::audit::{ECHO, Run};

impl<F: Fn() -> Router> Run<'_, F> {
    /// The bodies a JSON input must refuse, each with its status, none echoed.
    pub(super) async fn inputs(&mut self, route: &RouteInfo, policy: &Policy) {
        if policy.owner_field().is_some() {
            let reason = "the owner check answers first (no resource of A's is given)";
            self.skipped(route, Probe::UnknownField, reason);
            return;
        }
        let credential = if policy.access() == Access::Authenticated {
            let Some(headers) = self.audit.a.any_credential(policy.schemes()) else {
                let reason = "no credential of A's the route accepts";
                self.skipped(route, Probe::UnknownField, reason);
                return;
            };
            headers
        } else {
            Vec::new()
        };
        let limit = (self.audit.app)()
            .config()
            .map_or(1024 * 1024, crate::SecurityConfig::body_limit);
        let cases = refused_bodies(valid_body(policy).as_ref(), limit);
        let path = Self::missing_path(route);
        self.echo(route, policy, &path, &credential).await;
        let has_parameters = route.path.contains('{');
        for (probe, media, body, expected) in cases {
            if self.skips(route, probe) {
                continue;
            }
            if probe == Probe::BodyTooLarge && body.is_empty() {
                let reason = format!("a body limit of {limit} bytes is too large to send");
                self.skipped(route, probe, reason);
                continue;
            }
            let mut headers = credential.clone();
            headers.push((header::CONTENT_TYPE, HeaderValue::from_static(media)));
            let app = self.app();
            let answer = self
                .send(&app, route, probe, &path, &headers, Some(body))
                .await;
            if has_parameters && answer.status == StatusCode::NOT_FOUND {
                // The path's parameters were refused before the body was read.
                let reason = "the path's parameters need values of their own type";
                self.skipped(route, probe, reason);
                continue;
            }
            if answer.status != expected || answer.text.contains(ECHO) {
                let expected = format!("{} not echoing the body", expected.as_u16());
                let got = format!("{}: {}", answer.summary(), clip(&answer.text));
                self.found(route, probe, &expected, got);
            }
        }
    }
    /// A body the input accepts, a marker in every string: if the handler refuses it, its
    /// error must not echo it (a message built from the input, a client-chosen text).
    async fn echo(
        &mut self,
        route: &RouteInfo,
        policy: &Policy,
        path: &str,
        credential: &[(HeaderName, HeaderValue)],
    ) {
        let probe = Probe::EchoedInput;
        if self.skips(route, probe) {
            return;
        }
        let Some(body) = valid_body(policy) else {
            self.skipped(route, probe, "the input's schema is beyond the sampler");
            return;
        };
        let mut headers = credential.to_vec();
        headers.push((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
        let app = self.app();
        let body = Some(body.to_string().into_bytes());
        let answer = self.send(&app, route, probe, path, &headers, body).await;
        let error = answer.status.is_client_error() || answer.status.is_server_error();
        if error && answer.text.contains(ECHO) {
            let got = format!("{}: {}", answer.summary(), clip(&answer.text));
            self.found(route, probe, "an error that does not echo the input", got);
        }
    }
}

/// A body the route's JSON input accepts, a marker in every string, if the sampler can make
/// one from its schema.
fn valid_body(policy: &Policy) -> Option<Value> {
    let input = policy
        .inputs()
        .into_iter()
        .find(|input| input.kind == InputKind::Json)?;
    let mut components = crate::schema::Components::default();
    let schema = (input.schema)(&mut components);
    sample(&schema, &components, ECHO)
}

/// The bodies a JSON input must refuse, with their content type and status. From `valid`,
/// a body the input accepts: with one field more, and with one field of another type, so
/// that each is refused for that, not for a field missing.
fn refused_bodies(
    valid: Option<&Value>,
    limit: usize,
) -> [(Probe, &'static str, Vec<u8>, StatusCode); 6] {
    let json = "application/json";
    // A body the input accepts, with one field more, and with one field of another type:
    // refused for that, not for a field missing.
    let unknown = match valid {
        Some(Value::Object(fields)) => {
            let mut fields = fields.clone();
            fields.insert("secureApiAuditField".into(), ECHO.into());
            Value::Object(fields)
        }
        _ => serde_json::json!({ "secureApiAuditField": ECHO }),
    };
    let wrong_type = match valid {
        Some(Value::Object(fields)) if !fields.is_empty() => {
            let mut fields = fields.clone();
            let wrong = |value: &Value| match value {
                Value::String(_) => serde_json::json!([[ECHO]]),
                _ => Value::String(ECHO.into()),
            };
            if let Some((_, value)) = fields.iter_mut().next() {
                *value = wrong(value);
            }
            Value::Object(fields)
        }
        _ => Value::String(ECHO.into()),
    };
    let cases: [(Probe, &str, Vec<u8>, StatusCode); 6] = [
        (
            Probe::UnknownField,
            json,
            unknown.to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Probe::WrongType,
            json,
            wrong_type.to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Probe::MalformedJson,
            json,
            format!("{{\"{ECHO}\": ").into_bytes(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Probe::ArrayBody,
            json,
            format!("[\"{ECHO}\"]").into_bytes(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Probe::WrongContentType,
            "text/plain",
            ECHO.as_bytes().to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            Probe::BodyTooLarge,
            json,
            // Past 16 MiB a limit is not probed: the body would be allocated in full.
            limit
                .checked_add(1)
                .filter(|&size| size <= 16 << 20)
                .map_or_else(Vec::new, |size| vec![b' '; size]),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    cases
}
