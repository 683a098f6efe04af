//! The probes of a route's inputs: for a JSON or form body and for a query, what each must
//! refuse, and one input each accepts, whose error (if the handler answers one) must not
//! echo it.

use http::{HeaderName, HeaderValue, StatusCode, header};
use serde_json::Value;

use super::checks::{clip, is_invalid_input};
use super::exchange::Payload;
use super::report::Probe;
use super::sample::{InputSchema, echoes};
use crate::policy::{InputKind, Policy};
use crate::routing::{RouteInfo, Router};

use super::audit::{ECHO, Run, fill};

/// Where a route's inputs are probed: the path, and A's credential.
pub(super) struct Target {
    pub(super) path: String,
    pub(super) credential: Vec<(HeaderName, HeaderValue)>,
    /// Whether a `404` may be the path's own (a parameter of another type, an id that exists
    /// nowhere) rather than an answer to the input.
    pub(super) may_miss: bool,
    /// The route's other inputs as it accepts them, sent beside each probe of one: a valid
    /// query beside a body's probes, a valid body (its content type and bytes) beside a
    /// query's, so that each probe is answered for what it changes.
    pub(super) query: Option<String>,
    pub(super) body: Option<(&'static str, Vec<u8>)>,
}

impl Target {
    /// The path, with `query` when there is one.
    pub(super) fn path_with(&self, query: Option<&str>) -> String {
        match query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }
}

/// One request an input must refuse.
struct Refused {
    probe: Probe,
    media: Option<&'static str>,
    query: Option<String>,
    body: Payload,
    status: StatusCode,
    /// The texts no answer to it may hold (the marker, whole or as a field's bound cut it).
    echo: Vec<String>,
}

/// The probes of an input of `kind`.
fn probes_of(kind: InputKind) -> &'static [Probe] {
    match kind {
        InputKind::Json => &[
            Probe::UnknownField,
            Probe::WrongType,
            Probe::MalformedJson,
            Probe::ArrayBody,
            Probe::OverBound,
            Probe::WrongContentType,
            Probe::BodyTooLarge,
            Probe::EchoedInput,
        ],
        InputKind::Form => &[
            Probe::UnknownField,
            Probe::WrongType,
            Probe::OverBound,
            Probe::WrongContentType,
            Probe::BodyTooLarge,
            Probe::EchoedInput,
        ],
        InputKind::Query => &[Probe::WrongType, Probe::OverBound, Probe::EchoedInput],
    }
}

const KINDS: [InputKind; 3] = [InputKind::Json, InputKind::Form, InputKind::Query];

impl<F: Fn() -> Router> Run<'_, F> {
    /// The inputs of a route: its JSON or form body, and its query.
    pub(super) async fn inputs(&mut self, route: &RouteInfo, policy: &Policy) {
        let mut probes: Vec<Probe> = KINDS
            .into_iter()
            .filter(|&kind| policy.has_input(kind))
            .flat_map(probes_of)
            .copied()
            .collect();
        probes.sort_unstable();
        probes.dedup();
        let Some(mut target) = self.input_target(route, policy, &probes) else {
            return;
        };
        (target.query, target.body) = valid_inputs(policy);
        for kind in KINDS {
            if let Some(schema) = InputSchema::of(policy, kind) {
                self.input(route, kind, &schema, &target).await;
            }
        }
    }

    /// Where a route's inputs can be reached, or `None` (the report saying why for each of
    /// `probes`): an owner route's on a resource of A's, a route's with parameters on a
    /// missing id; with A's credential where the route needs one.
    pub(super) fn input_target(
        &mut self,
        route: &RouteInfo,
        policy: &Policy,
        probes: &[Probe],
    ) -> Option<Target> {
        let skip_all = |run: &mut Self, reason: &str| {
            for &probe in probes {
                run.skipped(route, probe, reason);
            }
        };
        let credential = self.headers_of_a(route, probes)?;
        if !policy.required_roles().names().is_empty()
            || !policy.required_scopes().names().is_empty()
        {
            let reason = "the route requires a role or scope A lacks, which is checked first";
            skip_all(self, reason);
            return None;
        }
        if policy.owner_field().is_some() {
            let Some((_, id)) = self.audit.mine.iter().find(|(path, _)| *path == route.path) else {
                let reason = "the owner check answers first: give a resource of A's for this \
                              path (resource_of_a)";
                skip_all(self, reason);
                return None;
            };
            let path = fill(&route.path, id);
            return Some(Target {
                path,
                credential,
                may_miss: false,
                query: None,
                body: None,
            });
        }
        Some(Target {
            path: Self::missing_path(route),
            credential,
            may_miss: route.path.contains('{'),
            query: None,
            body: None,
        })
    }

    /// The probes of one input.
    async fn input(
        &mut self,
        route: &RouteInfo,
        kind: InputKind,
        schema: &InputSchema,
        target: &Target,
    ) {
        let limit = (self.audit.app)()
            .config()
            .map_or(1024 * 1024, crate::SecurityConfig::body_limit);
        let valid = schema.sample(ECHO);
        let cases = match (kind, &valid) {
            // Most refusals of a JSON body need no accepted one to start from.
            (InputKind::Json, _) => Ok(self.json_cases(route, schema, valid.as_ref(), limit)),
            (_, None) => Err("the input's schema is beyond the sampler"),
            (InputKind::Form, Some(valid)) => self
                .form_cases(route, schema, valid, limit)
                .ok_or("the input is not flat: a form cannot carry it"),
            (InputKind::Query, Some(valid)) => self
                .query_cases(route, schema, valid)
                .ok_or("the input is not flat: a query cannot carry it"),
        };
        let cases = match cases {
            Ok(cases) => cases,
            Err(reason) => {
                for &probe in probes_of(kind) {
                    self.skipped(route, probe, reason);
                }
                return;
            }
        };
        for case in cases {
            self.refused(route, target, case).await;
        }
    }

    /// Sends one request the input must refuse, and checks the answer.
    async fn refused(&mut self, route: &RouteInfo, target: &Target, case: Refused) {
        if self.skips(route, case.probe) {
            return;
        }
        // A body's probes carry a content type; a query's carry none, and get the route's
        // valid body beside them.
        let (media, body) = match (case.media, &target.body) {
            (None, Some((media, bytes))) => (Some(*media), Payload::Sized(bytes.clone())),
            (media, _) => (media, case.body),
        };
        let mut headers = target.credential.clone();
        if let Some(media) = media {
            headers.push((header::CONTENT_TYPE, HeaderValue::from_static(media)));
        }
        let path = target.path_with(case.query.as_deref().or(target.query.as_deref()));
        if case.probe == Probe::EchoedInput && case.echo.is_empty() {
            let reason = "no string of the input holds enough of the marker to spot an echo";
            self.skipped(route, case.probe, reason);
            return;
        }
        let app = self.app();
        let answer = self
            .exchange(&app, route, case.probe, &path, &headers, body)
            .await;
        if target.may_miss && answer.status == StatusCode::NOT_FOUND {
            let reason = "a 404 came before the input was read (a path parameter of another \
                          type, or the missing id the audit asks for)";
            self.skipped(route, case.probe, reason);
            return;
        }
        let echoed = case
            .echo
            .iter()
            .any(|echo| answer.text.contains(echo.as_str()));
        if case.probe == Probe::EchoedInput {
            let error = answer.status.is_client_error() || answer.status.is_server_error();
            if !echoed && is_invalid_input(&answer) {
                // The sample never reached the handler: nothing was shown of it.
                let reason = format!(
                    "the input's own rules refused the sample: {}",
                    clip(&answer.text)
                );
                self.skipped(route, case.probe, reason);
            } else if error && echoed {
                let got = format!("{}: {}", answer.summary(), clip(&answer.text));
                self.found(
                    route,
                    case.probe,
                    "an error that does not echo the input",
                    got,
                );
            }
        } else if answer.status != case.status || echoed {
            let expected = format!("{} not echoing the input", case.status.as_u16());
            let got = format!("{}: {}", answer.summary(), clip(&answer.text));
            self.found(route, case.probe, &expected, got);
        }
    }

    /// A JSON body's cases.
    fn json_cases(
        &mut self,
        route: &RouteInfo,
        schema: &InputSchema,
        valid: Option<&Value>,
        limit: usize,
    ) -> Vec<Refused> {
        let json = Some("application/json");
        let body = |value: &Value| Payload::Sized(value.to_string().into_bytes());
        let mut cases = Vec::new();
        if let Some(valid) = valid {
            cases.push(Refused {
                probe: Probe::EchoedInput,
                media: json,
                query: None,
                body: body(valid),
                status: StatusCode::OK,
                echo: echoes(valid, ECHO),
            });
        } else {
            let reason = "the input's schema is beyond the sampler";
            self.skipped(route, Probe::EchoedInput, reason);
            self.skipped(route, Probe::OverBound, reason);
        }
        let empty = Value::Object(serde_json::Map::new());
        let valid_or_empty = valid.unwrap_or(&empty);
        let unknown = Self::with_unknown_field(valid_or_empty);
        cases.push(Refused {
            echo: echoes(&unknown, ECHO),
            ..refusal(Probe::UnknownField, json, body(&unknown))
        });
        // One field of another type, so that it is refused for that, not for one missing.
        let wrong_type = match valid_or_empty {
            Value::Object(fields) if !fields.is_empty() => {
                let mut fields = fields.clone();
                if let Some((_, value)) = fields.iter_mut().next() {
                    *value = match value {
                        Value::String(_) => serde_json::json!([[ECHO]]),
                        _ => Value::String(ECHO.into()),
                    };
                }
                Value::Object(fields)
            }
            _ => Value::String(ECHO.into()),
        };
        cases.push(Refused {
            echo: echoes(&wrong_type, ECHO),
            ..refusal(Probe::WrongType, json, body(&wrong_type))
        });
        let malformed = Payload::Sized(format!("{{\"{ECHO}\": ").into_bytes());
        cases.push(refusal(Probe::MalformedJson, json, malformed));
        let array = Payload::Sized(format!("[\"{ECHO}\"]").into_bytes());
        cases.push(refusal(Probe::ArrayBody, json, array));
        if let Some(valid) = valid
            && let Some(case) = self.past_bound(route, schema, valid, |value| (None, body(value)))
        {
            cases.push(Refused {
                media: json,
                ..case
            });
        }
        let text = Payload::Sized(ECHO.as_bytes().to_vec());
        cases.push(Refused {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ..refusal(Probe::WrongContentType, Some("text/plain"), text)
        });
        cases.extend(self.too_large(route, json, limit));
        cases
    }

    /// A form body's cases, or `None` when the input is not flat.
    fn form_cases(
        &mut self,
        route: &RouteInfo,
        schema: &InputSchema,
        valid: &Value,
        limit: usize,
    ) -> Option<Vec<Refused>> {
        let form = Some("application/x-www-form-urlencoded");
        let body = |value: &Value| Payload::Sized(encoded(value).unwrap_or_default().into_bytes());
        let mut cases = vec![Refused {
            probe: Probe::EchoedInput,
            media: form,
            query: None,
            body: Payload::Sized(encoded(valid)?.into_bytes()),
            status: StatusCode::OK,
            echo: echoes(valid, ECHO),
        }];
        let unknown = Self::with_unknown_field(valid);
        cases.push(Refused {
            echo: echoes(&unknown, ECHO),
            ..refusal(Probe::UnknownField, form, body(&unknown))
        });
        if let Some(wrong) = self.as_text(route, schema, valid) {
            cases.push(Refused {
                echo: echoes(&wrong, ECHO),
                ..refusal(Probe::WrongType, form, body(&wrong))
            });
        }
        if let Some(case) = self.past_bound(route, schema, valid, |value| (None, body(value))) {
            cases.push(Refused {
                media: form,
                ..case
            });
        }
        let json = Payload::Sized(
            serde_json::json!({ "value": ECHO })
                .to_string()
                .into_bytes(),
        );
        cases.push(Refused {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ..refusal(Probe::WrongContentType, Some("application/json"), json)
        });
        cases.extend(self.too_large(route, form, limit));
        Some(cases)
    }

    /// A query's cases, or `None` when the input is not flat. Unknown parameters are
    /// ignored by design (links carry tracking noise), so they are not probed.
    fn query_cases(
        &mut self,
        route: &RouteInfo,
        schema: &InputSchema,
        valid: &Value,
    ) -> Option<Vec<Refused>> {
        let query = |value: &Value| encoded(value).unwrap_or_default();
        let mut cases = vec![Refused {
            probe: Probe::EchoedInput,
            media: None,
            query: Some(encoded(valid)?),
            body: Payload::Empty,
            status: StatusCode::OK,
            echo: echoes(valid, ECHO),
        }];
        if let Some(wrong) = self.as_text(route, schema, valid) {
            cases.push(Refused {
                query: Some(query(&wrong)),
                echo: echoes(&wrong, ECHO),
                ..refusal(Probe::WrongType, None, Payload::Empty)
            });
        }
        let past = self.past_bound(route, schema, valid, |value| {
            (Some(query(value)), Payload::Empty)
        });
        cases.extend(past);
        Some(cases)
    }

    /// `valid` with a field the input does not know. An input that allows unknown fields
    /// (`#[input(allow_unknown_fields)]`) is found by it: a forged `isAdmin` would pass. An
    /// app that means it says so with [`SelfAudit::skip`](super::SelfAudit::skip).
    fn with_unknown_field(valid: &Value) -> Value {
        let mut fields = valid.as_object().cloned().unwrap_or_default();
        fields.insert("secureApiAuditField".into(), ECHO.into());
        Value::Object(fields)
    }

    /// `valid` with its first field that is no string given as text.
    fn as_text(&mut self, route: &RouteInfo, schema: &InputSchema, valid: &Value) -> Option<Value> {
        let Some(name) = schema.non_string_field() else {
            let reason = "every field is a string: any text has the right type";
            self.skipped(route, Probe::WrongType, reason);
            return None;
        };
        let mut fields = valid.as_object()?.clone();
        fields.insert(name.to_owned(), ECHO.into());
        Some(Value::Object(fields))
    }

    /// The case of a field just past its bound, sent as `send` makes it (a body or a query).
    fn past_bound(
        &mut self,
        route: &RouteInfo,
        schema: &InputSchema,
        valid: &Value,
        send: impl Fn(&Value) -> (Option<String>, Payload),
    ) -> Option<Refused> {
        let Some(past) = schema.past_bound(valid, ECHO) else {
            self.skipped(
                route,
                Probe::OverBound,
                "no top-level field declares a bound",
            );
            return None;
        };
        let (query, body) = send(&past);
        Some(Refused {
            query,
            echo: echoes(&past, ECHO),
            ..refusal(Probe::OverBound, None, body)
        })
    }

    /// A body over the limit, with its length declared and without: `413` both.
    fn too_large(
        &mut self,
        route: &RouteInfo,
        media: Option<&'static str>,
        limit: usize,
    ) -> Vec<Refused> {
        // Past 16 MiB a limit is not probed: the body would be allocated in full.
        let Some(size) = limit.checked_add(1).filter(|&size| size <= 16 << 20) else {
            let reason = format!("a body limit of {limit} bytes is too large to send");
            self.skipped(route, Probe::BodyTooLarge, reason);
            return Vec::new();
        };
        [
            Payload::Sized(vec![b' '; size]),
            Payload::Chunked(vec![b' '; size]),
        ]
        .into_iter()
        .map(|body| Refused {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            ..refusal(Probe::BodyTooLarge, media, body)
        })
        .collect()
    }
}

/// A request of `probe` the input must refuse with `400`, echoing none of it.
fn refusal(probe: Probe, media: Option<&'static str>, body: Payload) -> Refused {
    Refused {
        probe,
        media,
        query: None,
        body,
        status: StatusCode::BAD_REQUEST,
        echo: vec![ECHO.into()],
    }
}

/// The route's inputs as it accepts them, sampled from their schemas: its query, encoded,
/// and its body (JSON or a form) with its content type.
pub(super) fn valid_inputs(policy: &Policy) -> (Option<String>, Option<(&'static str, Vec<u8>)>) {
    let sample = |kind| InputSchema::of(policy, kind)?.sample(ECHO);
    let query = sample(InputKind::Query).and_then(|valid| encoded(&valid));
    let body = match (sample(InputKind::Json), sample(InputKind::Form)) {
        (Some(json), _) => Some(("application/json", json.to_string().into_bytes())),
        (None, Some(form)) => {
            encoded(&form).map(|form| ("application/x-www-form-urlencoded", form.into_bytes()))
        }
        (None, None) => None,
    };
    (query, body)
}

/// A flat object as a form or a query encodes it; `None` when it is not flat.
fn encoded(value: &Value) -> Option<String> {
    serde_urlencoded::to_string(value).ok()
}
