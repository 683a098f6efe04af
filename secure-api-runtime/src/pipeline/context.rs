//! [`RequestContext`]: what the steps of one request share, made once by [`super::begin`].
//!
//! It is the only entry the framework puts in a request's extensions. The steps that learn
//! something (the guard verifies the token, a limiter decides) write it here, and the last
//! step reads it all back for the headers and the audit record. App-wide settings are one
//! shared [`AppSettings`], never copied per request.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use axum::extract::MatchedPath;
use http::HeaderMap;
use http::request::Parts;

use super::AppSettings;
use crate::auth::{CookieName, Identity, presented_scheme};
use crate::error::ApiError;
use crate::rate::{RateItem, write_headers};
use crate::request_id::RequestId;
use crate::transport::Scheme;

/// One request's shared state; cloning it is one reference count.
#[derive(Clone)]
pub(crate) struct RequestContext(Arc<Shared>);

struct Shared {
    settings: Arc<AppSettings>,
    request_id: RequestId,
    scheme: Scheme,
    /// The name a browser session's cookie has on this request.
    cookie_name: CookieName,
    /// The client's address, through trusted proxies (none without a peer address).
    client_ip: Option<IpAddr>,
    /// The scheme of the credential presented, for the audit record.
    auth_scheme: Option<&'static str>,
    /// What the request acted on, as the handler named it (`AuditTarget`).
    target: OnceLock<Box<str>>,
    /// The matched route's template, once the router has matched one.
    route: OnceLock<MatchedPath>,
    /// The verified caller (the first verification wins; later ones are the same token).
    identity: OnceLock<Arc<Identity>>,
    /// What each rate limit that applied decided, for the response headers.
    rate: Mutex<RateItems>,
}

/// The rate decisions of one request: a route has few limits, so they fit inline.
#[derive(Default)]
struct RateItems {
    inline: [Option<RateItem>; 3],
    more: Vec<RateItem>,
}

impl RequestContext {
    pub(crate) fn new(
        settings: Arc<AppSettings>,
        request_id: RequestId,
        scheme: Scheme,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
    ) -> Self {
        let client_ip = peer.map(|peer| settings.trusted_proxies.client_of(peer.ip(), headers));
        // `__Host-session` needs `Secure`, which a browser drops over plain HTTP: only
        // development serves plain HTTP to browsers.
        let cookie_name = if scheme != Scheme::Https && settings.plain_session_cookie {
            CookieName::Plain
        } else {
            CookieName::Host
        };
        Self(Arc::new(Shared {
            auth_scheme: presented_scheme(&settings.auth, headers, cookie_name),
            cookie_name,
            client_ip,
            target: OnceLock::new(),
            settings,
            request_id,
            scheme,
            route: OnceLock::new(),
            identity: OnceLock::new(),
            rate: Mutex::new(RateItems::default()),
        }))
    }

    /// The context of a request the pipeline serves; a request served some other way (a
    /// `#[secure]` handler mounted on a plain axum router) is a server bug, answered `500`.
    pub(crate) fn of(parts: &Parts) -> Result<&Self, ApiError> {
        parts.extensions.get::<Self>().ok_or_else(|| {
            ApiError::internal(
                "no secure-api context on this request: serve #[secure] handlers through \
                 secure_api::Router",
            )
        })
    }

    pub(crate) fn settings(&self) -> &AppSettings {
        &self.0.settings
    }

    pub(crate) fn request_id(&self) -> RequestId {
        self.0.request_id
    }

    pub(crate) fn scheme(&self) -> Scheme {
        self.0.scheme
    }

    /// The name of the session cookie on this request.
    pub(crate) fn cookie_name(&self) -> CookieName {
        self.0.cookie_name
    }

    /// The client's address for limits keyed by address: the socket peer, or what trusted
    /// proxies say of it. Fails closed when the server did not record peer addresses: every
    /// client would otherwise share one budget, and a single flood would lock everybody out.
    pub(crate) fn client_ip(&self) -> Result<IpAddr, ApiError> {
        self.0.client_ip.ok_or_else(|| {
            ApiError::internal(
                "a rate limit keyed by client address needs the peer address: serve the app \
                 with `secure_api::serve` or `into_make_service_with_connect_info::<SocketAddr>()`",
            )
        })
    }

    /// The client's address, if the server recorded the peer's.
    pub(crate) fn client_address(&self) -> Option<IpAddr> {
        self.0.client_ip
    }

    pub(crate) fn auth_scheme(&self) -> Option<&'static str> {
        self.0.auth_scheme
    }

    /// The id of the verified credential (a token's `jti`): only once it verified, since
    /// before that it is the client's text.
    pub(crate) fn credential_id(&self) -> Option<&str> {
        let identity = self.0.identity.get()?;
        identity
            .credential_id
            .as_deref()
            .or(identity.token_id.as_deref())
    }

    /// Names what the request acted on; the first name given stays.
    pub(crate) fn set_target(&self, target: Box<str>) {
        let _ = self.0.target.set(target);
    }

    pub(crate) fn target(&self) -> Option<&str> {
        self.0.target.get().map(|target| &**target)
    }

    pub(crate) fn set_route(&self, route: &MatchedPath) {
        let _ = self.0.route.set(route.clone());
    }

    pub(crate) fn route(&self) -> Option<&MatchedPath> {
        self.0.route.get()
    }

    pub(crate) fn set_identity(&self, identity: &Arc<Identity>) {
        let _ = self.0.identity.set(Arc::clone(identity));
    }

    pub(crate) fn identity(&self) -> Option<Arc<Identity>> {
        self.0.identity.get().cloned()
    }

    /// The verified caller's id, if the request has one.
    pub(crate) fn user_id(&self) -> Option<&str> {
        self.0.identity.get().map(|identity| &*identity.subject)
    }

    pub(crate) fn add_rate_item(&self, item: RateItem) {
        let mut items = self.0.rate.lock().unwrap_or_else(PoisonError::into_inner);
        match items.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(item),
            None => items.more.push(item),
        }
    }

    /// The `RateLimit-Policy`, `RateLimit` and `Retry-After` headers of the limits that applied.
    pub(crate) fn write_rate_headers(&self, headers: &mut HeaderMap) {
        let items = self.0.rate.lock().unwrap_or_else(PoisonError::into_inner);
        write_headers(items.inline.iter().flatten().chain(&items.more), headers);
    }
}
