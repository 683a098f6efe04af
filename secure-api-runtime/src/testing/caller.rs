//! [`Caller`]: the credentials of a user the audit calls as, and the ones it makes up.

use http::{HeaderName, HeaderValue, header};

use crate::auth::{API_KEY_HEADER, CSRF_HEADER};
use crate::policy::Schemes;

/// A user the audit calls as: a valid credential of each scheme the app configured.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct Caller {
    pub(super) bearer: Option<String>,
    pub(super) api_key: Option<String>,
    pub(super) session: Option<(String, String)>,
}

impl Caller {
    /// A caller with no credential yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A valid bearer token of the user.
    pub fn bearer(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(token.into());
        self
    }

    /// A valid API key of the user.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// A live browser session of the user: the `Cookie` pair (`__Host-session=...`) and its
    /// CSRF token.
    pub fn session(mut self, cookie: impl Into<String>, csrf_token: impl Into<String>) -> Self {
        self.session = Some((cookie.into(), csrf_token.into()));
        self
    }

    /// The headers of its credential of `scheme`, if it has one.
    pub(super) fn credential(&self, scheme: Schemes) -> Option<Vec<(HeaderName, HeaderValue)>> {
        let value = |text: &str| HeaderValue::from_str(text).ok();
        if scheme == Schemes::BEARER {
            let token = self.bearer.as_deref()?;
            Some(vec![(
                header::AUTHORIZATION,
                value(&format!("Bearer {token}"))?,
            )])
        } else if scheme == Schemes::API_KEY {
            Some(vec![(API_KEY_HEADER, value(self.api_key.as_deref()?)?)])
        } else {
            let (cookie, token) = self.session.as_ref()?;
            // From the app's own pages, as a browser sends it: the CSRF check passes, and the
            // probe reaches the check it means (the cross-site probe sends a foreign origin).
            Some(vec![
                (header::COOKIE, value(cookie)?),
                (CSRF_HEADER, value(token)?),
                (
                    HeaderName::from_static("sec-fetch-site"),
                    HeaderValue::from_static("same-origin"),
                ),
            ])
        }
    }

    /// Its credential of the first scheme `accepted` holds that it has.
    pub(super) fn any_credential(
        &self,
        accepted: Schemes,
    ) -> Option<Vec<(HeaderName, HeaderValue)>> {
        SCHEMES
            .into_iter()
            .filter(|scheme| accepted.contains(*scheme))
            .find_map(|scheme| self.credential(scheme))
    }
}

pub(super) const SCHEMES: [Schemes; 3] = [Schemes::BEARER, Schemes::API_KEY, Schemes::SESSION];

pub(super) fn scheme_name(scheme: Schemes) -> &'static str {
    scheme.names().next().unwrap_or("?")
}

pub(super) fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(super) fn bearer(token: &str) -> Vec<(HeaderName, HeaderValue)> {
    vec![(
        header::AUTHORIZATION,
        header_value(&format!("Bearer {token}")),
    )]
}

/// A credential of `scheme` that is not one.
pub(super) fn malformed(scheme: Schemes) -> Vec<(HeaderName, HeaderValue)> {
    if scheme == Schemes::BEARER {
        bearer("not-a-jwt")
    } else if scheme == Schemes::API_KEY {
        vec![(API_KEY_HEADER, HeaderValue::from_static("sk_not-a-key"))]
    } else {
        vec![(
            header::COOKIE,
            HeaderValue::from_static("__Host-session=not-a-session-id"),
        )]
    }
}
