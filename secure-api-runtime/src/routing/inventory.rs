//! The route inventory: every route with its declared policy, as a table for people and as JSON
//! for a CI job to diff. A route cannot exist without a policy, so the inventory is total.

use std::fmt;

use serde_json::{Value, json};

use super::RouteInfo;
use crate::authz::{DenyAs, Requirement};
use crate::policy::Policy;
use crate::rate::{GeneralLimit, HandlerLimit, covers};

/// Every route of an app with its policy: [`Router::inventory`](super::Router::inventory).
///
/// ```
/// use secure_api::prelude::*;
/// use secure_api::routing::{get, post};
///
/// #[secure(public)]
/// async fn health() -> &'static str { "ok" }
///
/// #[secure(auth, role = "admin", rate = "100/15m")]
/// async fn purge() -> StatusCode { StatusCode::NO_CONTENT }
///
/// let app: secure_api::Router = secure_api::Router::new()
///     .route("/health", get(health))
///     .route("/admin/purge", post(purge))
///     .rate_limit("/admin", "1000/1h");
/// let inventory = app.inventory();
/// assert_eq!(inventory.to_json()[0]["roles"], serde_json::json!({"any": ["admin"]}));
/// assert!(inventory.to_string().contains("POST    /admin/purge  auth    admin"));
/// println!("{inventory}");
/// ```
///
/// prints
///
/// ```text
/// METHOD  PATH          ACCESS  ROLES  SCOPES  OWNER  RATE             LIMITS         HANDLER
/// POST    /admin/purge  auth    admin  -       -      100/15m by user  1000/1h by ip  app::purge
/// GET     /health       public  -      -       -      -                -              app::health
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inventory {
    routes: Vec<RouteInfo>,
    general: Vec<GeneralLimit>,
    /// The limits handlers check themselves (`Router::limit`).
    handler: Vec<HandlerLimit>,
    /// The app's answer for another's resource, where a route sets none.
    default_deny: DenyAs,
    /// Where `auth` routes' tokens come from besides local keys: the identity providers'
    /// issuer URLs and the key-set URLs.
    token_sources: Vec<String>,
    /// The schemes the app accepts, when its config is known.
    configured: Option<crate::policy::Schemes>,
}

impl Inventory {
    pub(crate) fn new(
        routes: &[RouteInfo],
        general: &[GeneralLimit],
        handler: &[HandlerLimit],
        default_deny: DenyAs,
    ) -> Self {
        let mut routes = routes.to_vec();
        routes.sort_by(|a, b| (&a.path, a.method.as_str()).cmp(&(&b.path, b.method.as_str())));
        Self {
            routes,
            general: general.to_vec(),
            handler: handler.to_vec(),
            default_deny,
            token_sources: Vec::new(),
            configured: None,
        }
    }

    /// The limits handlers check themselves (`Router::limit`), as `name: quota`.
    pub fn handler_limits(&self) -> Vec<String> {
        self.handler
            .iter()
            .map(|limit| format!("{}: {}", limit.name, limit.quota))
            .collect()
    }

    /// The routes, sorted by path, then method.
    pub fn routes(&self) -> &[RouteInfo] {
        &self.routes
    }

    /// The general limits (`Router::rate_limit`) that cover `path`, as `quota by ip`.
    fn general_limits_of(&self, path: &str) -> Vec<String> {
        self.general
            .iter()
            .filter(|limit| covers(&limit.prefix, path))
            .map(|limit| format!("{} by ip", limit.quota))
            .collect()
    }

    /// The inventory as a JSON array, one object per route, in a stable order and shape.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.routes
                .iter()
                .map(|route| {
                    let policy = &route.policy;
                    let rate = policy.rate_limit().map(|rule| {
                        json!({"quota": rule.quota().to_string(), "key": rule.key().as_str()})
                    });
                    json!({
                        "method": route.method.as_str(),
                        "path": route.path,
                        "access": policy.access().as_str(),
                        "schemes": self.schemes_of(policy),
                        "roles": requirement_json(policy.required_roles()),
                        "scopes": requirement_json(policy.required_scopes()),
                        "owner": policy.owner_field(),
                        "readRule": policy.read_rule_field(),
                        "deny": policy.owner_field().map(|_| self.deny_status(policy)),
                        "rate": rate,
                        "rateName": policy.limits_name(),
                        "accountRate": policy.account_limit().map(|rule| {
                            json!({"quota": rule.quota().to_string(), "key": rule.field()})
                        }),
                        "generalLimits": self.general_limits_of(&route.path),
                        "rawResponse": policy.has_raw_response(),
                        "rawBody": policy.has_raw_body(),
                        "unboundedInputs": policy.unbounded_inputs(),
                        "handler": handler_name(policy),
                    })
                })
                .collect(),
        )
    }
}

impl Inventory {
    /// The status another's resource answers on this route: its own `deny`, else the app's.
    fn deny_status(&self, policy: &Policy) -> u16 {
        match policy.deny().unwrap_or(self.default_deny) {
            DenyAs::Forbidden => 403,
            DenyAs::NotFound => 404,
        }
    }
}

fn handler_name(policy: &Policy) -> String {
    if policy.module().is_empty() {
        policy.handler().to_owned()
    } else {
        format!("{}::{}", policy.module(), policy.handler())
    }
}

fn requirement_json(requirement: Requirement) -> Value {
    match requirement {
        Requirement::None => Value::Null,
        Requirement::Any(names) => json!({ "any": names }),
        Requirement::All(names) => json!({ "all": names }),
    }
}

fn requirement_text(requirement: Requirement) -> String {
    match requirement {
        Requirement::None => "-".to_owned(),
        Requirement::Any([one]) => (*one).to_owned(),
        Requirement::Any(names) => format!("any({})", names.join(",")),
        Requirement::All(names) => format!("all({})", names.join(",")),
    }
}

/// A table with one line per route, columns aligned.
impl Inventory {
    /// Names the identity providers and key-set URLs tokens come from.
    pub(crate) fn with_token_sources(mut self, auth: &crate::auth::AuthConfig) -> Self {
        self.configured = Some(auth.schemes());
        self.token_sources = auth
            .issuer_urls()
            .map(|issuer| format!("issuer {issuer} (OpenID Connect discovery)"))
            .chain(auth.jwks_urls().map(|url| format!("key set {url}")))
            .collect();
        self
    }

    /// The schemes an `auth` route accepts: its own, as far as the app configured them.
    fn schemes_of(&self, policy: &crate::policy::Policy) -> Vec<&'static str> {
        if policy.access() == crate::policy::Access::Public {
            return Vec::new();
        }
        let schemes = self.configured.map_or(policy.schemes(), |configured| {
            policy.schemes().intersection(configured)
        });
        schemes.names().collect()
    }

    /// Where tokens come from besides local keys, as the table's `TOKENS` lines say.
    pub fn token_sources(&self) -> &[String] {
        &self.token_sources
    }
}

impl fmt::Display for Inventory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = [
            "METHOD", "PATH", "ACCESS", "ROLES", "SCOPES", "OWNER", "RATE", "LIMITS", "HANDLER",
        ];
        let mut rows = vec![header.map(str::to_owned).to_vec()];
        for route in &self.routes {
            let policy = &route.policy;
            let mut owner = policy.owner_field().unwrap_or("-").to_owned();
            if let Some(rule) = policy.read_rule_field() {
                owner = format!("{owner} or {rule}");
            }
            let mut access = policy.access().as_str().to_owned();
            // A route narrowed to fewer schemes than the app accepts names them.
            let narrowed = self.configured.map_or(
                policy.schemes() != crate::policy::Schemes::ANY,
                |configured| !policy.schemes().contains(configured),
            );
            if policy.access() == crate::policy::Access::Authenticated && narrowed {
                access = format!("{access} ({})", self.schemes_of(policy).join(", "));
            }
            if policy.has_raw_response() {
                access.push_str(" (raw response)");
            }
            if policy.has_raw_body() {
                access.push_str(" (raw body)");
            }
            let unbounded = policy.unbounded_inputs();
            if !unbounded.is_empty() {
                access = format!("{access} (unbounded: {})", unbounded.join(","));
            }
            let mut rate = policy.rate_limit().map_or_else(
                || "-".to_owned(),
                |rule| format!("{} by {}", rule.quota(), rule.key().as_str()),
            );
            if let Some(account) = policy.account_limit() {
                let by_account = format!("{} by {}", account.quota(), account.field());
                rate = if rate == "-" {
                    by_account
                } else {
                    format!("{rate}, {by_account}")
                };
            }
            if let Some(name) = policy.limits_name() {
                rate = format!("{rate} as {name}");
            }
            let general = self.general_limits_of(&route.path);
            rows.push(vec![
                route.method.as_str().to_owned(),
                route.path.clone(),
                access,
                requirement_text(policy.required_roles()),
                requirement_text(policy.required_scopes()),
                owner,
                rate,
                if general.is_empty() {
                    "-".to_owned()
                } else {
                    general.join(", ")
                },
                handler_name(policy),
            ]);
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            writeln!(f, "{}", line.join("  ").trim_end())?;
        }
        // Limits handlers check themselves have no route of their own.
        for limit in self.handler_limits() {
            writeln!(f, "LIMIT   {limit} (checked by handlers)")?;
        }
        for source in &self.token_sources {
            writeln!(f, "TOKENS  {source}")?;
        }
        Ok(())
    }
}
