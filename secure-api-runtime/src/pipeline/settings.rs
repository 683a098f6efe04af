//! [`AppSettings`]: what the pipeline reads on every request, shared by all of them.

use crate::auth::AuthConfig;
use crate::authz::DenyAs;
use crate::client_ip::TrustedProxies;
use crate::rate::RateLimits;
use crate::transport::TransportSettings;

/// The app-wide settings of the pipeline, assembled once from each concern's own settings when
/// the router is finished, then shared by every request through one `Arc`.
#[derive(Debug)]
pub(crate) struct AppSettings {
    pub(crate) auth: AuthConfig,
    pub(crate) transport: TransportSettings,
    pub(crate) trusted_proxies: TrustedProxies,
    /// How routes without their own `deny` answer a caller who may not touch a resource.
    pub(crate) deny_as: DenyAs,
    /// The app's limiters, when anything is limited.
    pub(crate) rate: Option<RateLimits>,
    /// Where a browser session's unsafe requests may come from: the public origin and the
    /// CORS origins.
    pub(crate) csrf_origins: Vec<http::HeaderValue>,
    /// Whether a request not known to be HTTPS may use the cookie `session` without `Secure`
    /// (development only).
    pub(crate) plain_session_cookie: bool,
}
