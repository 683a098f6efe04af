//! Properties of the bearer credential, on any bytes a client can put in `Authorization`: the
//! header is read as one of its three documented outcomes, and a token's three parts are
//! verified into the identity they were minted with, or refused as `Invalid token`.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use proptest::prelude::*;

use crate::properties::{config, long};

use super::{CookieName, authenticate, bearer_token, presented_scheme, presents_header_credential};
use crate::auth::{AuthConfig, JwtKey, TokenRequest};
use crate::error::ApiError;
use crate::kinds::Schemes;

const SECRET: &str = "property-tests-secret-of-more-than-32-bytes";

static CONFIG: LazyLock<AuthConfig> = LazyLock::new(|| {
    AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap())
        .issuer("properties")
        .audience("properties")
        .build()
        .unwrap()
});

thread_local! {
    static RUNTIME: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().build().unwrap();
}

fn block_on<F: Future>(future: F) -> F::Output {
    RUNTIME.with(|runtime| runtime.block_on(future))
}

/// `bearer` in any letter case.
fn bearer_spelling() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), 6).prop_map(|upper| {
        "bearer"
            .chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

/// Spaces and tabs, as a sender may pad with.
fn blanks(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![Just(' '), Just('\t')], 0..=max)
        .prop_map(|blanks| blanks.into_iter().collect())
}

/// A token as sent: visible ASCII without spaces, or bytes past ASCII, short or very long.
fn token_bytes() -> impl Strategy<Value = Vec<u8>> {
    let visible = prop_oneof![0x21u8..=0x7e, 0x80u8..=0xff];
    prop_oneof![
        4 => proptest::collection::vec(visible.clone(), 1..64),
        1 => long(visible, 4096..20_000),
    ]
}

/// Any bytes a header value can hold: everything but control bytes other than tab.
fn header_byte() -> impl Strategy<Value = u8> {
    prop_oneof![Just(b'\t'), Just(b' '), 0x21u8..=0x7e, 0x80u8..=0xff]
}

/// What a client may send as an `Authorization` value: anything, a bearer credential of any
/// spelling and padding, other schemes, and control bytes (which `HeaderValue` refuses, as
/// hyper does, so they never reach the parser).
fn authorization_value() -> impl Strategy<Value = HeaderValue> {
    let structured = (
        prop_oneof![
            bearer_spelling(),
            Just("Basic".to_owned()),
            Just("Bearer:".to_owned()),
            Just("Bearerx".to_owned()),
            Just(String::new()),
            "[A-Za-z]{1,10}",
        ],
        prop_oneof![Just(String::new()), Just(" ".to_owned()), blanks(4)],
        prop_oneof![token_bytes(), Just(Vec::new())],
        blanks(3),
    )
        .prop_map(|(scheme, gap, token, tail)| {
            [
                scheme.into_bytes(),
                gap.into_bytes(),
                token,
                tail.into_bytes(),
            ]
            .concat()
        });
    prop_oneof![
        3 => structured,
        2 => proptest::collection::vec(header_byte(), 0..48),
        1 => proptest::collection::vec(any::<u8>(), 0..12),
    ]
    .prop_filter_map("not a header value", |bytes| {
        HeaderValue::from_bytes(&bytes).ok()
    })
}

fn headers(values: &[HeaderValue]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for value in values {
        map.append(header::AUTHORIZATION, value.clone());
    }
    map
}

/// The two answers a refused credential gets: both `401`.
fn assert_refused(error: &ApiError) -> Result<(), TestCaseError> {
    prop_assert_eq!(error.status_code(), StatusCode::UNAUTHORIZED);
    prop_assert!(
        ["Authentication required", "Invalid token"].contains(&error.message()),
        "{error:?}"
    );
    Ok(())
}

/// base64url of arbitrary bytes, of JSON, or text that is not base64url at all.
fn segment() -> impl Strategy<Value = String> {
    let json_header = (
        prop_oneof![
            Just("HS256"),
            Just("none"),
            Just("RS256"),
            Just("HS512"),
            Just("")
        ],
        proptest::option::of("[a-z]{0,8}"),
        proptest::option::of(prop_oneof![
            Just("jku"),
            Just("jwk"),
            Just("x5u"),
            Just("crit")
        ]),
    )
        .prop_map(|(alg, kid, foreign)| {
            let mut header = serde_json::json!({ "alg": alg, "typ": "JWT" });
            if let Some(kid) = kid {
                header["kid"] = kid.into();
            }
            if let Some(foreign) = foreign {
                header[foreign] = "https://attacker.example/keys".into();
            }
            URL_SAFE_NO_PAD.encode(header.to_string())
        });
    prop_oneof![
        2 => proptest::collection::vec(any::<u8>(), 0..96).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        2 => json_header,
        1 => Just(URL_SAFE_NO_PAD.encode(br#"{"sub":"admin","exp":99999999999,"roles":["admin"]}"#)),
        1 => "[A-Za-z0-9_=+/-]{0,64}",
        1 => "\\PC{0,16}",
    ]
}

/// Three parts, or two, or four.
fn token_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(segment(), 2..=4).prop_map(|parts| parts.join("."))
}

proptest! {
    #![proptest_config(config())]

    /// Every set of `Authorization` headers reads as one of the documented outcomes: the one
    /// bearer token (what follows `Bearer `, trimmed, never empty), `Authentication required`
    /// (no header, another scheme), or `Invalid token` (several headers, an empty token).
    #[test]
    fn an_authorization_header_is_a_token_or_one_of_two_401s(
        values in proptest::collection::vec(authorization_value(), 0..=3),
    ) {
        let map = headers(&values);
        let outcome = bearer_token(&map);
        match (&outcome, values.as_slice()) {
            (Ok(token), [value]) => {
                let value = value.as_bytes();
                prop_assert!(value[..7].eq_ignore_ascii_case(b"bearer "));
                prop_assert_eq!(*token, value[7..].trim_ascii());
                prop_assert!(!token.is_empty());
            }
            (Ok(_), _) => {
                return Err(TestCaseError::fail(format!("a token from {} headers", values.len())));
            }
            (Err(error), []) => prop_assert_eq!(error.message(), "Authentication required"),
            (Err(error), [value]) => {
                let value = value.as_bytes();
                let bearer = value.eq_ignore_ascii_case(b"bearer")
                    || (value.len() >= 7 && value[..7].eq_ignore_ascii_case(b"bearer "));
                let expected = if bearer { "Invalid token" } else { "Authentication required" };
                prop_assert_eq!(error.message(), expected, "{:?}", value);
            }
            (Err(error), _) => prop_assert_eq!(error.message(), "Invalid token"),
        }
        if let Err(error) = &outcome {
            assert_refused(error)?;
        }
        let missing = matches!(&outcome, Err(e) if e.is_missing_credentials());
        prop_assert_eq!(presents_header_credential(&CONFIG, &map), !missing);
        // The audit record's scheme agrees with the parser on the first header.
        match values.first().map(HeaderValue::as_bytes) {
            None => prop_assert_eq!(presented_scheme(&CONFIG, &map, CookieName::Host), None),
            Some(value) => {
                let bearer = value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer ");
                prop_assert_eq!(presented_scheme(&CONFIG, &map, CookieName::Host), Some(if bearer { "bearer" } else { "other" }));
                if outcome.is_ok() {
                    prop_assert_eq!(presented_scheme(&CONFIG, &map, CookieName::Host), Some("bearer"));
                }
            }
        }
    }

    /// `Bearer` in any case, any padding of spaces and tabs after the first space and at the
    /// end: the token comes back exactly, however long, whatever its bytes.
    #[test]
    fn a_bearer_credential_gives_back_its_token(
        scheme in bearer_spelling(),
        gap in blanks(4),
        token in token_bytes(),
        tail in blanks(4),
    ) {
        let value = [scheme.as_bytes(), b" ", gap.as_bytes(), &token, tail.as_bytes()].concat();
        let map = headers(&[HeaderValue::from_bytes(&value).unwrap()]);
        prop_assert_eq!(bearer_token(&map).unwrap(), token.as_slice());
        prop_assert!(presents_header_credential(&CONFIG, &map));
    }

    /// No header a client can forge authenticates: any bytes, and tokens of two to four
    /// parts (random base64url, JSON headers naming `none`, a foreign key or a `kid`, claims
    /// of an admin) are all refused with a 401, never a panic, never a 5xx.
    #[test]
    fn no_forged_credential_authenticates(
        value in prop_oneof![
            authorization_value(),
            (bearer_spelling(), token_text()).prop_filter_map("not a header value", |(s, t)| {
                HeaderValue::from_bytes(format!("{s} {t}").as_bytes()).ok()
            }),
        ],
    ) {
        let map = headers(std::slice::from_ref(&value));
        match block_on(authenticate(&CONFIG, &map, Schemes::ANY, CookieName::Host)) {
            Ok(identity) => {
                return Err(TestCaseError::fail(format!("{value:?} authenticated as {identity:?}")));
            }
            Err(error) => assert_refused(&error)?,
        }
    }

    /// Minting then verifying gives back the subject, roles, scopes, id and expiry the token
    /// was minted with, through the header as a client sends it.
    #[test]
    fn a_minted_token_verifies_as_what_it_was_minted_with(
        subject in "\\PC{1,40}",
        roles in proptest::collection::vec("\\PC{0,12}", 0..4),
        scopes in proptest::collection::vec("[A-Za-z0-9:._-]{1,16}", 0..4),
    ) {
        let request = scopes
            .iter()
            .fold(TokenRequest::new(subject.clone()).roles(roles.clone()), TokenRequest::scope);
        let minted = CONFIG.mint(&request).unwrap();
        let value = HeaderValue::from_str(&format!("Bearer {}", minted.token)).unwrap();
        let identity = block_on(authenticate(&CONFIG, &headers(&[value]), Schemes::ANY, CookieName::Host)).unwrap();
        prop_assert_eq!(&*identity.subject, subject.as_str());
        prop_assert_eq!(&identity.roles, &roles);
        prop_assert_eq!(&identity.scopes, &scopes);
        prop_assert_eq!(identity.token_id.as_deref(), Some(minted.token_id.as_str()));
        prop_assert_eq!(identity.expires_at, minted.expires_at);
    }

    /// A minted token with any one character of any of its three parts changed is refused:
    /// the signature covers both other parts, and the cache of verified tokens matches whole
    /// tokens only.
    #[test]
    fn a_token_with_one_character_changed_is_refused(
        at in any::<prop::sample::Index>(),
        replacement in prop_oneof![
            proptest::char::range('A', 'Z'),
            proptest::char::range('a', 'z'),
            proptest::char::range('0', '9'),
            Just('-'), Just('_'), Just('.'), Just('='),
        ],
    ) {
        let minted = CONFIG.mint(&TokenRequest::new("user-1").role("admin")).unwrap();
        // Verified once, so the token is in the cache its altered copies must not match.
        let original = HeaderValue::from_str(&format!("Bearer {}", minted.token)).unwrap();
        block_on(authenticate(&CONFIG, &headers(&[original]), Schemes::ANY, CookieName::Host)).unwrap();
        let mut token = minted.token.into_bytes();
        let at = at.index(token.len());
        prop_assume!(token[at] != replacement as u8);
        token[at] = replacement as u8;
        let value = HeaderValue::from_bytes(&[b"Bearer ", token.as_slice()].concat()).unwrap();
        let error = block_on(authenticate(&CONFIG, &headers(&[value]), Schemes::ANY, CookieName::Host)).unwrap_err();
        prop_assert_eq!(error.message(), "Invalid token");
    }
}
