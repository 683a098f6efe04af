//! [`SelfAudit`]: the fixtures, and one run's bookkeeping; the probes are in `access`,
//! `limits` and `inputs`, each a part of [`Run`].

use http::{HeaderName, HeaderValue, Method};
use serde_json::Value;

use super::caller::Caller;
use super::checks::{answer_problems, string_values};
use super::exchange::{Answer, App, Payload};
use super::report::{Finding, Probe, Report, Skipped};
use crate::policy::{Access, InputKind};
use crate::routing::{RouteInfo, Router};

/// A resource of B's, for the owner probe of the routes of `path`.
#[derive(Clone, Debug)]
pub(super) struct Owned {
    pub(super) path: String,
    pub(super) id: String,
    pub(super) record: Value,
}

/// A probe the app skips on a route, with its reason.
#[derive(Clone, Debug)]
struct Skip {
    method: Method,
    path: String,
    probe: Probe,
    reason: String,
}

/// The self-audit of an app: see the [module docs](super).
///
/// ```
/// use secure_api::auth::TokenRequest;
/// use secure_api::prelude::*;
/// use secure_api::routing::get;
/// use secure_api::testing::{Caller, SelfAudit};
/// use secure_api::{Router, SecurityConfig};
///
/// #[secure(auth, rate = "10/1m")]
/// async fn me(user: AuthUser) -> String {
///     user.id().to_owned()
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // One config for every app the factory makes, so that the fixtures' tokens stay valid.
/// let config = SecurityConfig::builder().build().unwrap();
/// let token = |user: &str| config.auth().mint(&TokenRequest::new(user)).unwrap().token;
/// let report = SelfAudit::new(|| Router::new().route("/me", get(me)).with_config(config.clone()))
///     .caller_a(Caller::new().bearer(token("user-a")))
///     .caller_b(Caller::new().bearer(token("user-b")))
///     .run()
///     .await;
/// assert!(report.is_clean(), "{report}");
/// assert!(report.requests > 10);
/// # }
/// ```
#[must_use]
pub struct SelfAudit<F> {
    pub(super) app: F,
    pub(super) a: Caller,
    pub(super) b: Caller,
    pub(super) owned: Vec<Owned>,
    /// A resource of A's for each path: `(template, id)`.
    pub(super) mine: Vec<(String, String)>,
    skips: Vec<Skip>,
}

/// The id the audit asks for when a route's path needs one that exists nowhere.
pub(super) const MISSING_ID: &str = "00000000-0000-4000-8000-000000000000";
/// The marker the input probes send, which no answer may echo.
pub(super) const ECHO: &str = "secure-api-audit-echo-7f3a";
/// An origin no app allows.
pub(super) const CROSS_SITE: &str = "https://secure-api-audit.invalid";

impl<F: Fn() -> Router> SelfAudit<F> {
    /// The audit of the apps `app` makes: each call must build the same app, with the same
    /// auth config (so that the fixtures' credentials stay valid), and fresh rate budgets.
    /// Limiters in memory are fresh with each app; on a shared store (Redis) give each app a
    /// key prefix of its own, or the probes spend each other's budgets.
    pub fn new(app: F) -> Self {
        Self {
            app,
            a: Caller::default(),
            b: Caller::default(),
            owned: Vec::new(),
            mine: Vec::new(),
            skips: Vec::new(),
        }
    }

    /// User A, the caller of every probe: an ordinary user, without the roles and scopes the
    /// routes require.
    pub fn caller_a(mut self, caller: Caller) -> Self {
        self.a = caller;
        self
    }

    /// User B, whose resources A must not reach.
    pub fn caller_b(mut self, caller: Caller) -> Self {
        self.b = caller;
        self
    }

    /// A resource of B's for the owner routes of `path` (the template, `/posts/{id}`): its
    /// id, and B's record of it, whose string values no answer to A may hold.
    pub fn resource_of_b(mut self, path: &str, id: &str, record: Value) -> Self {
        self.owned.push(Owned {
            path: path.to_owned(),
            id: id.to_owned(),
            record,
        });
        self
    }

    /// A resource of A's for the owner routes of `path`: the owner check lets A through on
    /// it, so that the probes of the routes' inputs (a `PUT` body, say) reach the input. The
    /// probes may change it: the accepted input is sent too.
    pub fn resource_of_a(mut self, path: &str, id: &str) -> Self {
        self.mine.push((path.to_owned(), id.to_owned()));
        self
    }

    /// Skips `probe` on the route `method path`, with a reason the report prints.
    pub fn skip(mut self, method: Method, path: &str, probe: Probe, reason: &str) -> Self {
        self.skips.push(Skip {
            method,
            path: path.to_owned(),
            probe,
            reason: reason.to_owned(),
        });
        self
    }

    /// Runs every probe on every route, and reports.
    pub async fn run(self) -> Report {
        let routes: Vec<RouteInfo> = (self.app)().routes().to_vec();
        let mut secrets = Vec::new();
        for owned in &self.owned {
            string_values(&owned.record, &mut secrets);
        }
        let mut run = Run {
            audit: &self,
            routes: routes.clone(),
            secrets,
            sensitive: Vec::new(),
            report: Report::default(),
        };
        for route in &routes {
            run.route(route).await;
        }
        run.general_limits().await;
        run.report
    }
}

/// One run of an audit: what it found so far.
pub(super) struct Run<'a, F> {
    pub(super) audit: &'a SelfAudit<F>,
    /// Every route of the app.
    pub(super) routes: Vec<RouteInfo>,
    pub(super) secrets: Vec<String>,
    /// The `#[sensitive]` field names of the current route's response type.
    pub(super) sensitive: Vec<String>,
    pub(super) report: Report,
}

impl<F: Fn() -> Router> Run<'_, F> {
    pub(super) fn app(&self) -> App {
        App::new((self.audit.app)())
    }

    pub(super) fn skipped(&mut self, route: &RouteInfo, probe: Probe, reason: impl Into<String>) {
        self.report.skipped.push(Skipped {
            method: route.method.clone(),
            path: route.path.clone(),
            probe,
            reason: reason.into(),
        });
    }

    pub(super) fn found(&mut self, route: &RouteInfo, probe: Probe, expected: &str, got: String) {
        self.report.findings.push(Finding {
            method: route.method.clone(),
            path: route.path.clone(),
            probe,
            expected: expected.to_owned(),
            got,
        });
    }

    /// The headers A calls `route` with: A's credential of a scheme it accepts, or none on a
    /// public route. `None` when A has no such credential, the report saying so for each of
    /// `probes`.
    pub(super) fn headers_of_a(
        &mut self,
        route: &RouteInfo,
        probes: &[Probe],
    ) -> Option<Vec<(HeaderName, HeaderValue)>> {
        if route.policy.access() != Access::Authenticated {
            return Some(Vec::new());
        }
        let headers = self.audit.a.any_credential(route.policy.schemes());
        if headers.is_none() {
            for &probe in probes {
                self.skipped(route, probe, "no credential of A's the route accepts");
            }
        }
        headers
    }

    /// A general limit not probed, and why: reported under its prefix.
    pub(super) fn skipped_limit(&mut self, prefix: &str, reason: String) {
        self.report.skipped.push(Skipped {
            method: Method::GET,
            path: prefix.to_owned(),
            probe: Probe::GeneralLimit,
            reason,
        });
    }

    /// Whether the app skips `probe` on `route` (and the report says so).
    pub(super) fn skips(&mut self, route: &RouteInfo, probe: Probe) -> bool {
        let skip = self.audit.skips.iter().find(|skip| {
            skip.probe == probe && skip.method == route.method && skip.path == route.path
        });
        match skip {
            Some(skip) => {
                let reason = skip.reason.clone();
                self.skipped(route, probe, reason);
                true
            }
            None => false,
        }
    }

    /// Sends a request of `probe` and checks its answer as every answer is checked.
    pub(super) async fn send(
        &mut self,
        app: &App,
        route: &RouteInfo,
        probe: Probe,
        path: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        self.exchange(app, route, probe, path, headers, body.into())
            .await
    }

    /// [`Run::send`] with any [`Payload`], a chunked one too.
    pub(super) async fn exchange(
        &mut self,
        app: &App,
        route: &RouteInfo,
        probe: Probe,
        path: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Payload,
    ) -> Answer {
        let answer = app.send(&route.method, path, headers, body).await;
        self.report.requests += 1;
        *self.report.made.entry(probe).or_default() += 1;
        let on = (format!("{} {}", route.method, route.path), probe);
        *self.report.made_on_route.entry(on).or_default() += 1;
        if answer.incomplete {
            let reason = "the answer's body kept streaming (or passed 4 MiB): checked as read";
            let noted = self.report.skipped.iter().any(|skip| {
                skip.probe == probe && skip.path == route.path && skip.method == route.method
            });
            if !noted {
                self.skipped(route, probe, reason);
            }
        }
        let problems = answer_problems(&answer, &self.secrets, &self.sensitive);
        if !problems.is_empty() {
            let expected = format!("a clean answer to the {probe} probe");
            self.found(route, Probe::Answer, &expected, problems.join("; "));
        }
        answer
    }

    async fn route(&mut self, route: &RouteInfo) {
        let policy = route.policy;
        let mut components = crate::schema::Components::default();
        if let Some(describe) = policy.response_schema_fn() {
            describe(&mut components);
        }
        self.sensitive = components.sensitive_names().map(str::to_owned).collect();
        // The limit first: on a shared store (Redis) the other probes would spend its budget.
        if policy.rate_limit().is_some() {
            self.rate_limit(route, &policy).await;
        }
        self.baseline(route, &policy).await;
        if policy.access() == Access::Authenticated {
            self.authentication(route, &policy).await;
            self.requirements(route, &policy).await;
        }
        if policy.owner_field().is_some() {
            self.ownership(route, &policy).await;
        }
        if policy.account_limit().is_some() {
            self.account_limit(route, &policy).await;
        }
        if [InputKind::Json, InputKind::Form, InputKind::Query]
            .into_iter()
            .any(|kind| policy.has_input(kind))
        {
            self.inputs(route, &policy).await;
        }
    }

    /// Whether a read route (`GET`) serves `path`: through it, B's resource is checked.
    pub(super) fn has_read_route(&self, path: &str) -> bool {
        self.routes
            .iter()
            .any(|route| route.path == path && route.method == Method::GET)
    }

    /// The route called as A means it to be called, on a read: A's credential must work
    /// (a refused one would make every forgery of it prove nothing), and the answer is
    /// checked as every answer is (B's values, the headers, no leak). Routes that require a
    /// role or scope are the role probe's.
    async fn baseline(&mut self, route: &RouteInfo, policy: &crate::policy::Policy) {
        let probe = Probe::Answer;
        if !is_safe(&route.method) || self.skips(route, probe) {
            return;
        }
        let credential = self.audit.a.any_credential(policy.schemes());
        let authenticated = policy.access() == Access::Authenticated;
        if authenticated && credential.is_none() {
            self.skipped(route, probe, "no credential of A's the route accepts");
            return;
        }
        let requires = !policy.required_roles().names().is_empty()
            || !policy.required_scopes().names().is_empty();
        let app = self.app();
        let path = Self::missing_path(route);
        let headers = credential.unwrap_or_default();
        let answer = self.send(&app, route, probe, &path, &headers, None).await;
        if authenticated && !requires && answer.status == http::StatusCode::UNAUTHORIZED {
            let expected = "A's credential to be accepted (the fixture)";
            self.found(route, probe, expected, answer.summary());
        }
    }

    /// The path with every parameter a missing id.
    pub(super) fn missing_path(route: &RouteInfo) -> String {
        fill(&route.path, MISSING_ID)
    }
}

/// `path` with every `{param}` (and `{*rest}`) set to `value`.
pub(super) fn fill(path: &str, value: &str) -> String {
    let mut filled = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        filled.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            rest = &rest[open..];
            break;
        };
        filled.push_str(value);
        rest = &rest[open + close + 1..];
    }
    filled.push_str(rest);
    filled
}

/// Whether a method may change nothing: the CSRF check's own definition.
pub(super) fn is_safe(method: &Method) -> bool {
    crate::auth::csrf::is_safe(method)
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn parameters_are_filled() {
        assert_eq!(fill("/posts/{id}", "7"), "/posts/7");
        assert_eq!(fill("/a/{x}/b/{*rest}", "1"), "/a/1/b/1");
        assert_eq!(fill("/plain", "1"), "/plain");
    }
}
