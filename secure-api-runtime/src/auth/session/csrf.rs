//! CSRF protection of cookie-authenticated requests: an allowed origin *and* the session's
//! synchronizer token.
//!
//! A browser attaches the cookie to requests other sites make it send, so a request
//! authenticated by it proves nothing of who asked. Two checks, both required, on every method
//! but `GET`, `HEAD` and `OPTIONS` (which must not change anything):
//!
//! - where it comes from: `Origin` is one of the allowed origins (`PUBLIC_URL` and
//!   `CORS_ALLOWED_ORIGINS`), or, with no `Origin`, `Sec-Fetch-Site: same-origin`. A request
//!   with neither is refused: every browser of the last years sends one of them.
//! - that the page could read the session's token: `X-CSRF-Token` equals it. Another site can
//!   make a browser send the cookie, but cannot read the token (it is never in a cookie) nor
//!   set a custom header without a CORS preflight it would fail.
//!
//! Each refusal is the generic `403`, audited as `forbidden` with its reason.

use http::{HeaderMap, HeaderValue, Method, header};

use super::cookie::CSRF_HEADER;
use crate::error::ApiError;

/// `Sec-Fetch-Site`, which browsers set on every request they make.
const SEC_FETCH_SITE: &str = "sec-fetch-site";

/// Whether a method may change nothing, and so needs no CSRF check.
pub(crate) fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses an unsafe request authenticated by a session whose token is `expected` unless it
/// comes from an `allowed` origin and carries that token.
pub(crate) fn check(
    method: &Method,
    headers: &HeaderMap,
    allowed: &[HeaderValue],
    expected: &str,
) -> Result<(), ApiError> {
    if is_safe(method) {
        return Ok(());
    }
    let refuse = |reason: &'static str| Err(ApiError::forbidden().with_reason(reason));
    match one(headers, header::ORIGIN.as_str()) {
        Ok(Some(origin)) => {
            if !allowed
                .iter()
                .any(|allowed| allowed.as_bytes().eq_ignore_ascii_case(origin.as_bytes()))
            {
                return refuse("CSRF: the request's Origin is not an allowed origin");
            }
        }
        Ok(None) => match one(headers, SEC_FETCH_SITE) {
            Ok(Some(site)) if site.as_bytes().eq_ignore_ascii_case(b"same-origin") => {}
            Ok(Some(_)) => return refuse("CSRF: no Origin, and Sec-Fetch-Site is not same-origin"),
            Ok(None) | Err(()) => {
                return refuse("CSRF: neither an Origin nor Sec-Fetch-Site: same-origin");
            }
        },
        Err(()) => return refuse("CSRF: several Origin headers"),
    }
    let token = match one(headers, CSRF_HEADER.as_str()) {
        Ok(Some(token)) => token,
        Ok(None) => return refuse("CSRF: no X-CSRF-Token"),
        Err(()) => return refuse("CSRF: several X-CSRF-Token headers"),
    };
    if aws_lc_rs::constant_time::verify_slices_are_equal(token.as_bytes(), expected.as_bytes())
        .is_err()
    {
        return refuse("CSRF: the X-CSRF-Token is not this session's");
    }
    Ok(())
}

/// The one header of `name`, `None` without it, `Err` with several.
fn one<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a HeaderValue>, ()> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(());
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    const ALLOWED: &str = "https://app.example.com";

    fn decide(method: &Method, pairs: &[(&'static str, &'static str)]) -> Result<(), String> {
        check(
            method,
            &request(pairs),
            &[HeaderValue::from_static(ALLOWED)],
            "the-token",
        )
        .map_err(|error| error.message().to_owned())
    }

    #[test]
    fn an_allowed_origin_with_the_token_passes() {
        let pairs = [("origin", ALLOWED), ("x-csrf-token", "the-token")];
        assert_eq!(decide(&Method::POST, &pairs), Ok(()));
        let pairs = [
            ("sec-fetch-site", "same-origin"),
            ("x-csrf-token", "the-token"),
        ];
        assert_eq!(decide(&Method::DELETE, &pairs), Ok(()));
    }

    #[test]
    fn safe_methods_are_not_checked() {
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert_eq!(
                decide(&method, &[("origin", "https://evil.example")]),
                Ok(())
            );
        }
    }

    #[test]
    fn every_other_combination_is_refused() {
        let cases: &[&[(&'static str, &'static str)]] = &[
            &[("origin", ALLOWED)],
            &[("origin", ALLOWED), ("x-csrf-token", "another-token")],
            &[("origin", "null"), ("x-csrf-token", "the-token")],
            &[
                ("origin", "https://evil.example"),
                ("x-csrf-token", "the-token"),
            ],
            &[("x-csrf-token", "the-token")],
            &[
                ("sec-fetch-site", "cross-site"),
                ("x-csrf-token", "the-token"),
            ],
            &[
                ("sec-fetch-site", "same-site"),
                ("x-csrf-token", "the-token"),
            ],
            &[
                ("origin", ALLOWED),
                ("origin", ALLOWED),
                ("x-csrf-token", "the-token"),
            ],
            &[
                ("origin", ALLOWED),
                ("x-csrf-token", "the-token"),
                ("x-csrf-token", "the-token"),
            ],
        ];
        for pairs in cases {
            for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
                assert_eq!(
                    decide(&method, pairs),
                    Err("Access denied".to_owned()),
                    "{pairs:?}"
                );
            }
        }
    }
}
