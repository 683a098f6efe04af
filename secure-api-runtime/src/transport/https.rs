//! Whether a request came over HTTPS, and what becomes of plain HTTP in production
//! ([`PlainHttp`]).
//!
//! A request is known to be HTTPS when the framework's own TLS listener accepted it (it marks
//! the request with [`TlsConnection`]), when the config says the service is only ever reached
//! over HTTPS, or when a trusted proxy says so in `X-Forwarded-Proto` or `Forwarded`. The
//! headers of an untrusted peer are ignored: a client cannot turn HSTS on, or a redirect off.

use std::net::SocketAddr;
use std::str::FromStr;

use http::{HeaderMap, HeaderValue, Uri};

use crate::client_ip::TrustedProxies;
use crate::error::ConfigError;

/// Marks a request accepted over TLS by the server loop (`secure_api::serve` with TLS). A
/// custom server that terminates TLS itself can insert it too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlsConnection;

/// How the app treats plain HTTP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpsPolicy {
    assume_https: bool,
    plain_http: Option<PlainHttp>,
    public_origin: Option<HeaderValue>,
}

/// What becomes of a request a trusted proxy reports as plain HTTP (`HTTPS_REDIRECT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlainHttp {
    /// Served like any other (`off`, or `false`; the default in development).
    Serve,
    /// A `GET` or `HEAD` without credentials is redirected (`308`) to the public origin; one
    /// with an `Authorization` or `Cookie` header, or any other method, is refused with
    /// `403 {"error":"HTTPS required"}` and audited as `insecure_transport` (`safe`, or
    /// `true`; the default in production). A client that sent its credential in the clear and
    /// was quietly redirected would never notice (OWASP ASVS 5.0, V4.1.2).
    RedirectSafe,
    /// Every request is redirected, credentials or not (`all`, the article's behaviour).
    RedirectAll,
}

impl FromStr for PlainHttp {
    type Err = ConfigError;

    /// `safe` (or `true`), `all`, `off` (or `false`), in any case.
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "safe" | "true" => Ok(Self::RedirectSafe),
            "all" => Ok(Self::RedirectAll),
            "off" | "false" => Ok(Self::Serve),
            _ => Err(ConfigError::InvalidEnv {
                var: "HTTPS_REDIRECT",
                reason: "expected `safe`, `all` or `off`".into(),
            }),
        }
    }
}

/// What is known of a request's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Https,
    /// Plain HTTP, as a trusted proxy reported it.
    Http,
    /// Nothing trustworthy says either way (a direct plain connection, or an untrusted peer).
    Unknown,
}

impl HttpsPolicy {
    /// Every request is treated as HTTPS (`HTTPS_ONLY=true`): for a service reached only
    /// through an HTTPS endpoint that does not say so in headers.
    #[must_use]
    pub fn assume_https(mut self, assume: bool) -> Self {
        self.assume_https = assume;
        self
    }

    /// Whether plain HTTP reported by a trusted proxy is redirected to the public origin:
    /// `true` is [`PlainHttp::RedirectSafe`], `false` [`PlainHttp::Serve`]. Default: safe
    /// redirects in production mode only.
    #[must_use]
    pub fn redirect(self, redirect: bool) -> Self {
        self.plain_http(if redirect {
            PlainHttp::RedirectSafe
        } else {
            PlainHttp::Serve
        })
    }

    /// What becomes of plain HTTP reported by a trusted proxy (default: [`PlainHttp::Serve`]
    /// in development, [`PlainHttp::RedirectSafe`] in production).
    #[must_use]
    pub fn plain_http(mut self, plain_http: PlainHttp) -> Self {
        self.plain_http = Some(plain_http);
        self
    }

    /// The origin redirects go to (`PUBLIC_URL`): `https://api.example.com` or with a port.
    /// Redirects never use the request's `Host`, which a client chooses.
    pub fn public_origin(mut self, origin: &str) -> Result<Self, ConfigError> {
        self.public_origin = Some(parse_origin(origin)?);
        Ok(self)
    }

    /// Whether every request is taken to be HTTPS (`HTTPS_ONLY`).
    pub fn assumes_https(&self) -> bool {
        self.assume_https
    }

    /// The configured public origin, if any.
    pub fn origin(&self) -> Option<&str> {
        self.public_origin.as_ref().and_then(|v| v.to_str().ok())
    }

    /// The configured public origin, as a header value.
    pub(crate) fn origin_value(&self) -> Option<&HeaderValue> {
        self.public_origin.as_ref()
    }

    /// What becomes of plain HTTP in `production` mode or not.
    pub(crate) fn plain_http_in(&self, production: bool) -> PlainHttp {
        self.plain_http.unwrap_or(if production {
            PlainHttp::RedirectSafe
        } else {
            PlainHttp::Serve
        })
    }

    /// Checks the policy against the rest of the config when it is built.
    pub(crate) fn check(
        &self,
        production: bool,
        proxies: &TrustedProxies,
    ) -> Result<(), ConfigError> {
        let may_see_plain_http = !proxies.is_empty() && !self.assume_https;
        let redirects = self.plain_http_in(production) != PlainHttp::Serve;
        if redirects && may_see_plain_http && self.public_origin.is_none() {
            return Err(ConfigError::InvalidSetting(
                "redirecting plain HTTP to HTTPS needs the public origin: set PUBLIC_URL \
                 (https://your.host), or HTTPS_REDIRECT=off"
                    .into(),
            ));
        }
        Ok(())
    }

    /// What is known of the scheme of a request from `peer` (if known), accepted over TLS by
    /// the server loop or not, with `headers`.
    pub(crate) fn scheme(
        &self,
        over_tls: bool,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
        proxies: &TrustedProxies,
    ) -> Scheme {
        if self.assume_https || over_tls {
            return Scheme::Https;
        }
        if !peer.is_some_and(|peer| proxies.contains(peer.ip())) {
            return Scheme::Unknown;
        }
        // The proxy may set one header and pass the other through from the client: plain HTTP
        // reported by either wins, so a client cannot talk its way out of the redirect.
        let reported = forwarded_protos(headers);
        if reported.contains(&Some("http")) {
            Scheme::Http
        } else if reported.contains(&Some("https")) {
            Scheme::Https
        } else {
            Scheme::Unknown
        }
    }

    /// The `Location` of the redirect of `uri` to the public origin.
    pub(crate) fn location(&self, uri: &Uri) -> Option<HeaderValue> {
        let origin = self.public_origin.as_ref()?.to_str().ok()?;
        // Only an origin-form target is kept (`/path?query`); `*` or anything else that does not
        // start with `/` would run into the host part of the URL.
        let path = uri
            .path_and_query()
            .map(http::uri::PathAndQuery::as_str)
            .filter(|p| p.starts_with('/'))
            .unwrap_or("/");
        HeaderValue::from_str(&format!("{origin}{path}")).ok()
    }
}

/// The schemes the nearest trusted proxy may have reported: the rightmost `proto=` of
/// `Forwarded` and the rightmost value of `X-Forwarded-Proto` (the leftmost ones may come from
/// the client). Anything but `http` and `https` counts as nothing.
fn forwarded_protos(headers: &HeaderMap) -> [Option<&'static str>; 2] {
    // The last element alone is decoded: bytes a client wrote further left (past ASCII, say)
    // must not hide what the proxy appended.
    let last = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .next_back()
            .and_then(|value| value.as_bytes().rsplit(|&byte| byte == b',').next())
            .and_then(|element| std::str::from_utf8(element).ok())
            .map(str::trim)
    };
    let known = |proto: &str| match proto.trim_matches('"').to_ascii_lowercase().as_str() {
        "http" => Some("http"),
        "https" => Some("https"),
        _ => None,
    };
    let forwarded = last("forwarded").and_then(|element| {
        element.split(';').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("proto")
                .then(|| known(value.trim()))?
        })
    });
    [forwarded, last("x-forwarded-proto").and_then(known)]
}

/// `https://host[:port]`, without path, query or credentials.
fn parse_origin(origin: &str) -> Result<HeaderValue, ConfigError> {
    super::origin::parse(origin, &["https"])
        .and_then(|origin| HeaderValue::from_str(&origin).ok())
        .ok_or_else(|| {
            ConfigError::InvalidSetting(format!(
                "the public origin must be `https://host` or `https://host:port`, without a \
                 path: `{origin}`"
            ))
        })
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::ConnectInfo;
    use http::Request;

    fn request(peer: [u8; 4], headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::builder().uri("/posts?page=2");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut request = builder.body(()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((peer, 1234))));
        request
    }

    impl HttpsPolicy {
        fn scheme_of<B>(&self, request: &Request<B>, proxies: &TrustedProxies) -> Scheme {
            let peer = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| *peer);
            self.scheme(false, peer, request.headers(), proxies)
        }
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_its_own_value_counts() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let policy = HttpsPolicy::default();
        let proto = |peer, value| {
            policy.scheme_of(&request(peer, &[("x-forwarded-proto", value)]), &proxies)
        };
        assert_eq!(proto([10, 0, 0, 1], "https"), Scheme::Https);
        assert_eq!(proto([10, 0, 0, 1], "http"), Scheme::Http);
        assert_eq!(proto([203, 0, 113, 9], "https"), Scheme::Unknown);
        // The client wrote the left value; the proxy appended the right one.
        assert_eq!(proto([10, 0, 0, 1], "https, http"), Scheme::Http);
        let forwarded = request([10, 0, 0, 1], &[("forwarded", "for=1.2.3.4;proto=https")]);
        assert_eq!(policy.scheme_of(&forwarded, &proxies), Scheme::Https);
        // A client's own `Forwarded` does not outvote the proxy's `X-Forwarded-Proto: http`.
        let both = request(
            [10, 0, 0, 1],
            &[("forwarded", "proto=https"), ("x-forwarded-proto", "http")],
        );
        assert_eq!(policy.scheme_of(&both, &proxies), Scheme::Http);
        let direct = request([203, 0, 113, 9], &[]);
        assert_eq!(policy.scheme_of(&direct, &proxies), Scheme::Unknown);
        let assumed = HttpsPolicy::default().assume_https(true);
        assert_eq!(assumed.scheme_of(&direct, &proxies), Scheme::Https);
    }

    #[test]
    fn redirects_go_to_the_public_origin_only() {
        let policy = HttpsPolicy::default()
            .public_origin("https://api.example.com")
            .unwrap();
        let location = policy.location(&"/posts?page=2".parse().unwrap()).unwrap();
        assert_eq!(location, "https://api.example.com/posts?page=2");
        let asterisk = policy.location(&"*".parse().unwrap()).unwrap();
        assert_eq!(asterisk, "https://api.example.com/");
        for bad in [
            "http://api.example.com",
            "https://api.example.com/v1",
            "https://user:pw@api.example.com",
            "api.example.com",
        ] {
            assert!(HttpsPolicy::default().public_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn production_behind_proxies_needs_a_public_origin() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        assert!(HttpsPolicy::default().check(true, &proxies).is_err());
        assert!(HttpsPolicy::default().check(false, &proxies).is_ok());
        assert!(
            HttpsPolicy::default()
                .check(true, &TrustedProxies::none())
                .is_ok()
        );
        let off = HttpsPolicy::default().redirect(false);
        assert!(off.check(true, &proxies).is_ok());
    }
}
