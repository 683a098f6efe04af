//! The probes of a route's JSON input: the bodies it must refuse, and one it accepts.

use http::{HeaderName, HeaderValue, StatusCode, header};

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
        let json = "application/json";
        let cases: [(Probe, &str, Vec<u8>, StatusCode); 6] = [
            (
                Probe::UnknownField,
                json,
                format!("{{\"secureApiAuditField\":\"{ECHO}\"}}").into_bytes(),
                StatusCode::BAD_REQUEST,
            ),
            (
                Probe::WrongType,
                json,
                format!("\"{ECHO}\"").into_bytes(),
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
                vec![b' '; limit + 1],
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
        ];
        let path = Self::missing_path(route);
        self.echo(route, policy, &path, &credential).await;
        for (probe, media, body, expected) in cases {
            if self.skips(route, probe) {
                continue;
            }
            let mut headers = credential.clone();
            headers.push((header::CONTENT_TYPE, HeaderValue::from_static(media)));
            let app = self.app();
            let answer = self
                .send(&app, route, probe, &path, &headers, Some(body))
                .await;
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
        let Some(input) = policy
            .inputs()
            .into_iter()
            .find(|i| i.kind == InputKind::Json)
        else {
            return;
        };
        let mut components = crate::schema::Components::default();
        let schema = (input.schema)(&mut components);
        let Some(body) = sample(&schema, &components, ECHO) else {
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
