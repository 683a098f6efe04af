//! The session cookie: read from `Cookie` headers with the `cookie` crate's parser, written as
//! one `Set-Cookie` with the attributes fixed here.

use axum::response::{IntoResponseParts, ResponseParts};
use http::{HeaderMap, HeaderName, HeaderValue, header};

use super::SameSite;
use crate::error::ApiError;
use crate::sanitize::SecureResponse;

/// The header unsafe cookie-authenticated requests carry the session's CSRF token in.
pub const CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// The length of a session id: 256 bits of base64url.
const ID_CHARS: usize = 43;

/// Which name the session cookie has on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CookieName {
    /// `__Host-session`, `Secure`: always, but in development over plain HTTP.
    Host,
    /// `session`, without `Secure`: development over plain HTTP only, where browsers would
    /// drop a `Secure` cookie.
    Plain,
}

impl CookieName {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Host => "__Host-session",
            Self::Plain => "session",
        }
    }
}

/// The one session cookie of `name` among the request's `Cookie` headers, if any. Several of
/// that name (another path's, or one set by a script) are refused: which is the real one
/// cannot be told. A value not of the id's format is refused without a store lookup.
pub(crate) fn presented(headers: &HeaderMap, name: CookieName) -> Result<Option<&str>, ApiError> {
    let mut values = values_named(headers, name);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::unauthenticated().with_reason("several session cookies"));
    }
    if !is_session_id(first) {
        return Err(
            ApiError::unauthenticated().with_reason("a session cookie that is not a session id")
        );
    }
    // Of the id's format, so ASCII: the bytes of the header itself.
    Ok(Some(first))
}

/// Whether a request carries a cookie of `name` at all, well-formed or not (for the audit's
/// scheme and for `Option<AuthUser>`): the same reading as [`presented`].
pub(crate) fn carries(headers: &HeaderMap, name: CookieName) -> bool {
    values_named(headers, name).next().is_some()
}

/// The values of the cookies named `name`, in every `Cookie` header, each `name=value` pair
/// read by the `cookie` crate's parser. The pairs are split on `;` first, as bytes: a cookie
/// of someone else's whose value is not ASCII, or not even UTF-8, sits in the same header as
/// ours (browsers send every cookie in one), and must not hide it; such a pair is skipped.
fn values_named(headers: &HeaderMap, name: CookieName) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&byte| byte == b';'))
        .filter_map(|pair| std::str::from_utf8(pair).ok())
        .filter_map(|pair| cookie::Cookie::parse(pair.trim()).ok())
        .filter(move |cookie| cookie.name_raw() == Some(name.as_str()))
        .map(|cookie| cookie.value_raw().unwrap_or_default())
}

/// 43 base64url characters, as a session id is.
fn is_session_id(id: &str) -> bool {
    id.len() == ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A `Set-Cookie` for the session cookie, as a response part: a new session's, or the removal
/// of an ended one. A handler returns it beside its body: `(session.cookie, Json(view))`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCookie(HeaderValue);

impl SessionCookie {
    /// The cookie holding a new session's id.
    pub(crate) fn set(name: CookieName, id: &str, same_site: SameSite) -> Self {
        let cookie = base(name, id.to_owned(), same_site).build();
        Self::of(&cookie)
    }

    /// The cookie that makes the browser forget the session (`Max-Age=0`, an empty value).
    pub(crate) fn removal(name: CookieName, same_site: SameSite) -> Self {
        let cookie = base(name, String::new(), same_site).removal().build();
        Self::of(&cookie)
    }

    fn of(cookie: &cookie::Cookie<'_>) -> Self {
        // Names and values are ASCII of our own making: the header value cannot fail.
        Self(
            HeaderValue::from_str(&cookie.to_string())
                .unwrap_or_else(|_| HeaderValue::from_static("")),
        )
    }

    /// The `Set-Cookie` header's value.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

impl std::fmt::Debug for SessionCookie {
    // It holds the session id: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCookie([redacted])")
    }
}

impl IntoResponseParts for SessionCookie {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut parts: ResponseParts) -> Result<ResponseParts, Self::Error> {
        parts.headers_mut().append(header::SET_COOKIE, self.0);
        Ok(parts)
    }
}

// A cookie holds no data of the app's: a handler may answer it beside any secure response.
impl<R: SecureResponse> SecureResponse for (SessionCookie, R) {}

/// The attributes every session cookie has: `HttpOnly`, `Path=/`, no `Domain`, no `Max-Age`,
/// `Secure` on `__Host-session`, and the configured `SameSite`.
fn base(name: CookieName, value: String, same_site: SameSite) -> cookie::CookieBuilder<'static> {
    let same_site = match same_site {
        SameSite::Lax => cookie::SameSite::Lax,
        SameSite::Strict => cookie::SameSite::Strict,
    };
    cookie::Cookie::build((name.as_str(), value))
        .http_only(true)
        .secure(name == CookieName::Host)
        .same_site(same_site)
        .path("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(header::COOKIE, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const ID: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

    #[test]
    fn the_cookie_is_found_among_others_and_in_several_headers() {
        let map = headers(&["a=1; theme=dark", &format!("__Host-session={ID}; b=2")]);
        assert_eq!(presented(&map, CookieName::Host).unwrap(), Some(ID));
        // Development's name is another cookie.
        assert_eq!(presented(&map, CookieName::Plain).unwrap(), None);
        assert!(carries(&map, CookieName::Host));
        assert!(!carries(&map, CookieName::Plain));
    }

    #[test]
    fn a_cookie_that_is_not_ascii_does_not_hide_the_session() {
        let mut map = HeaderMap::new();
        let mut bytes = b"lang=fran\xe7ais; ".to_vec();
        bytes.extend_from_slice(format!("__Host-session={ID}; t=caf\u{e9}").as_bytes());
        map.append(header::COOKIE, HeaderValue::from_bytes(&bytes).unwrap());
        assert_eq!(presented(&map, CookieName::Host).unwrap(), Some(ID));
        assert!(carries(&map, CookieName::Host));
    }

    #[test]
    fn both_readings_agree_on_spaces_around_the_name() {
        let map = headers(&[&format!("a=1; __Host-session ={ID}")]);
        assert_eq!(presented(&map, CookieName::Host).unwrap(), Some(ID));
        assert!(carries(&map, CookieName::Host));
    }

    #[test]
    fn two_session_cookies_or_a_malformed_one_are_refused() {
        let two = headers(&[&format!("__Host-session={ID}; __Host-session={ID}")]);
        assert!(presented(&two, CookieName::Host).is_err());
        for bad in [
            "__Host-session=",
            "__Host-session=short",
            "__Host-session=\"quoted\"",
        ] {
            assert!(
                presented(&headers(&[bad]), CookieName::Host).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_set_cookie_has_exactly_the_attributes() {
        let set = SessionCookie::set(CookieName::Host, ID, SameSite::Lax);
        assert_eq!(
            set.header_value(),
            &format!("__Host-session={ID}; HttpOnly; SameSite=Lax; Secure; Path=/")
        );
        let dev = SessionCookie::set(CookieName::Plain, ID, SameSite::Strict);
        assert_eq!(
            dev.header_value(),
            &format!("session={ID}; HttpOnly; SameSite=Strict; Path=/")
        );
        let removal = SessionCookie::removal(CookieName::Host, SameSite::Lax);
        let removal = removal.header_value().to_str().unwrap();
        assert!(
            removal
                .starts_with("__Host-session=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0"),
            "{removal}"
        );
        assert!(!format!("{set:?}").contains(ID));
    }

    proptest! {
        /// Any `Cookie` header at all, any bytes a header may hold: the parser answers, never
        /// panics, what it returns is a session id, and the two readings agree.
        #[test]
        fn the_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let Ok(value) = HeaderValue::from_bytes(&bytes) else { return Ok(()) };
            let mut map = HeaderMap::new();
            map.append(header::COOKIE, value);
            let found = presented(&map, CookieName::Host);
            if let Ok(Some(id)) = found {
                prop_assert!(is_session_id(id));
            }
            prop_assert_eq!(carries(&map, CookieName::Host), !matches!(found, Ok(None)));
        }

        /// A session id among any other cookies is found, whatever their order.
        #[test]
        fn the_id_is_found_among_other_cookies(
            before in proptest::collection::vec("[a-z]{1,8}=[a-z0-9]{0,12}", 0..4),
            after in proptest::collection::vec("[a-z]{1,8}=[a-z0-9]{0,12}", 0..4),
            id in "[A-Za-z0-9_-]{43}",
        ) {
            let mut cookies = before.clone();
            cookies.push(format!("__Host-session={id}"));
            cookies.extend(after);
            let map = headers(&[&cookies.join("; ")]);
            prop_assert_eq!(presented(&map, CookieName::Host).unwrap(), Some(id.as_str()));
        }
    }
}
