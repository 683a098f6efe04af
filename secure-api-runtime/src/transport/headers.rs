//! [`SecurityHeaders`]: the headers every response carries, changeable in `SecurityConfig`.

use http::{HeaderMap, HeaderName, HeaderValue, header};

const X_POWERED_BY: HeaderName = HeaderName::from_static("x-powered-by");

/// The HSTS value sent on requests known to have come over HTTPS: one year, subdomains too.
pub const DEFAULT_HSTS: &str = "max-age=31536000; includeSubDomains";

const DEFAULTS: [(HeaderName, &str); 6] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
    ),
    (header::CACHE_CONTROL, "no-store"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    ),
];

/// The security headers of every response, whoever answered: a handler, an error, the router's
/// own `404`/`405`, a `429`, a panic's `500`. A handler that sets one of them itself keeps its
/// value. `Strict-Transport-Security` is sent only when the request is known to have come over
/// HTTPS (RFC 6797), and removed otherwise, even when a handler set it. `Server` and
/// `X-Powered-By` are always removed.
///
/// ```
/// use secure_api::transport::SecurityHeaders;
/// use http::{header, HeaderValue};
///
/// // A route serving a same-origin HTML page needs a looser policy than an API.
/// let headers = SecurityHeaders::default()
///     .set(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'self'"))
///     .remove(&header::CACHE_CONTROL);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
    hsts: Option<HeaderValue>,
}

impl Default for SecurityHeaders {
    /// `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
    /// `Content-Security-Policy: default-src 'none'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'`,
    /// `Cache-Control: no-store`, `Referrer-Policy: no-referrer`,
    /// `Cross-Origin-Resource-Policy: same-origin`, and over HTTPS
    /// `Strict-Transport-Security: max-age=31536000; includeSubDomains`.
    fn default() -> Self {
        Self {
            headers: DEFAULTS
                .into_iter()
                .map(|(name, value)| (name, HeaderValue::from_static(value)))
                .collect(),
            hsts: Some(HeaderValue::from_static(DEFAULT_HSTS)),
        }
    }
}

impl SecurityHeaders {
    /// Sends `name: value` on every response (replacing the default value of `name`).
    /// `Strict-Transport-Security` goes through [`hsts`](Self::hsts) instead.
    #[must_use]
    pub fn set(mut self, name: HeaderName, value: HeaderValue) -> Self {
        if name == header::STRICT_TRANSPORT_SECURITY {
            return self.hsts(Some(value));
        }
        self.headers.retain(|(existing, _)| *existing != name);
        self.headers.push((name, value));
        self
    }

    /// Stops sending `name`.
    #[must_use]
    pub fn remove(mut self, name: &HeaderName) -> Self {
        if name == header::STRICT_TRANSPORT_SECURITY {
            return self.hsts(None);
        }
        self.headers.retain(|(existing, _)| existing != name);
        self
    }

    /// The `Strict-Transport-Security` value for HTTPS requests, or `None` to send none.
    #[must_use]
    pub fn hsts(mut self, value: Option<HeaderValue>) -> Self {
        self.hsts = value;
        self
    }

    /// The headers sent on every response (HSTS aside).
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }
}

/// The security headers as two finished maps, one for requests known to be HTTPS (with HSTS)
/// and one for the others, made once: every response starts from a copy of one, so the
/// headers are not looked up and inserted one by one on every request.
#[derive(Clone, Debug)]
pub(crate) struct HeaderTemplates {
    plain: HeaderMap,
    https: HeaderMap,
}

/// Room in a template's copy for the headers added after it: the response's own, the request
/// id and the rate-limit headers.
const ROOM: usize = 12;

impl SecurityHeaders {
    pub(crate) fn templates(&self) -> HeaderTemplates {
        let mut plain = HeaderMap::with_capacity(self.headers.len() + ROOM);
        for (name, value) in &self.headers {
            plain.insert(name.clone(), value.clone());
        }
        let mut https = plain.clone();
        if let Some(hsts) = &self.hsts {
            https.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
        }
        HeaderTemplates { plain, https }
    }
}

impl HeaderTemplates {
    /// Puts the security headers under `headers`, a response's own: a header the response set
    /// itself keeps its value; `Server`, `X-Powered-By` and a response's own HSTS are dropped.
    pub(crate) fn apply(&self, headers: &mut HeaderMap, https: bool) {
        let template = if https { &self.https } else { &self.plain };
        let own = std::mem::replace(headers, template.clone());
        let mut current: Option<HeaderName> = None;
        for (name, value) in own {
            // `None`: another value of the header before it.
            if let Some(name) = name {
                current = (!is_dropped(&name)).then_some(name);
                if let Some(name) = &current {
                    headers.insert(name.clone(), value);
                }
            } else if let Some(name) = &current {
                headers.append(name.clone(), value);
            }
        }
    }
}

/// Headers no response keeps: version banners, and HSTS, which only the config sends.
fn is_dropped(name: &HeaderName) -> bool {
    *name == header::SERVER || *name == X_POWERED_BY || *name == header::STRICT_TRANSPORT_SECURITY
}
