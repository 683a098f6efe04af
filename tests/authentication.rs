//! Bearer JWT authentication through the real router: every way a token can be wrong answers the
//! same 401, and a valid one reaches the handler with its verified identity.

#![allow(clippy::too_many_lines)] // the table of bad tokens reads best as one list

mod common;

use std::time::Duration;

use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secure_api::auth::{AuthConfig, JwtKey, TokenRequest};
use secure_api::prelude::*;
use secure_api::routing::get;
use serde_json::{Value, json};

#[derive(Sanitized)]
struct Me {
    id: String,
    roles: Vec<String>,
    scopes: Vec<String>,
}

#[secure(auth)]
async fn me(user: AuthUser) -> Json<Me> {
    Json(Me {
        id: user.id().to_owned(),
        roles: user.roles().to_vec(),
        scopes: user.scopes().to_vec(),
    })
}

#[derive(Sanitized)]
struct Maybe {
    user: Option<String>,
}

#[secure(public)]
async fn maybe(user: Option<AuthUser>) -> Json<Maybe> {
    Json(Maybe {
        user: user.map(|u| u.id().to_owned()),
    })
}

#[derive(serde::Deserialize)]
struct TenantClaims {
    tenant: String,
}

#[secure(auth)]
async fn tenant(user: AuthUser<TenantClaims>) -> String {
    user.claims().tenant.clone()
}

fn app(config: secure_api::SecurityConfig) -> secure_api::Router {
    secure_api::Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .route("/tenant", get(tenant))
        .with_config(config)
}

fn with(claims: Value, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut claims = claims;
    edit(claims.as_object_mut().unwrap());
    claims
}

/// Sends `authorization` to `/me` and returns the reply.
async fn me_with(config: &secure_api::SecurityConfig, authorization: &str) -> Reply {
    let request = http::Request::get("/me")
        .header("authorization", authorization)
        .body(axum::body::Body::empty())
        .unwrap();
    send(app(config.clone()), request).await
}

fn assert_invalid_token(reply: &Reply, case: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}: {reply:?}");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{case}");
    assert_eq!(
        reply.body_without_request_id(),
        json!({ "error": "Invalid token" }),
        "{case}"
    );
}

#[tokio::test]
async fn no_header_is_authentication_required() {
    let reply = send(app(hs256_config()), get_request("/me")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        reply.body_without_request_id(),
        json!({ "error": "Authentication required" })
    );
}

#[tokio::test]
async fn basic_credentials_are_not_a_bearer_token() {
    let reply = me_with(&hs256_config(), "Basic dXNlcjpwYXNzd29yZA==").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        reply.body_without_request_id(),
        json!({ "error": "Authentication required" })
    );
}

#[tokio::test]
async fn a_valid_token_reaches_the_handler_with_its_identity() {
    let config = hs256_config();
    let reply = me_with(&config, &format!("Bearer {}", hs256_token(&valid_claims()))).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(
        reply.body,
        json!({ "id": "user-1", "roles": ["editor"], "scopes": ["posts:read", "posts:write"] })
    );
}

/// A token is looked up by its bytes; one that is not text (obs-text in the header) is refused
/// like any bad token, also when the same bytes came before.
#[tokio::test]
async fn a_token_that_is_not_ascii_is_an_invalid_token() {
    let config = hs256_config();
    let valid = hs256_token(&valid_claims());
    let ok = me_with(&config, &format!("Bearer {valid}")).await;
    assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    let mut bytes = format!("Bearer {valid}").into_bytes();
    bytes.extend_from_slice("\u{e9}".as_bytes());
    for _ in 0..2 {
        let request = http::Request::get("/me")
            .header(
                "authorization",
                http::HeaderValue::from_bytes(&bytes).unwrap(),
            )
            .body(axum::body::Body::empty())
            .unwrap();
        let reply = send(app(config.clone()), request).await;
        assert_invalid_token(&reply, "a token ending in a non-ASCII byte");
    }
}

/// Every bad token, whatever is wrong with it, gets the same status, header and body.
#[tokio::test]
async fn every_bad_token_gets_the_same_answer() {
    let config = hs256_config();
    let valid = hs256_token(&valid_claims());
    let now = now();
    let (head, rest) = valid.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();

    let mut cases: Vec<(String, String)> = vec![
        ("garbage".into(), "garbage".into()),
        ("two parts".into(), format!("{head}.{}", b64(b"{}"))),
        ("empty token".into(), String::new()),
        (
            "tampered payload".into(),
            format!(
                "{head}.{}.{signature}",
                b64(with(valid_claims(), |c| {
                    c.insert("sub".into(), "admin".into());
                })
                .to_string()
                .as_bytes())
            ),
        ),
        (
            "truncated signature".into(),
            valid[..valid.len() - 6].to_owned(),
        ),
        (
            "expired past leeway".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.insert("exp".into(), (now - 3600).into());
            })),
        ),
        (
            "no exp".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.remove("exp");
            })),
        ),
        (
            "exp as a string".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.insert("exp".into(), (now + 600).to_string().into());
            })),
        ),
        (
            "future nbf".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.insert("nbf".into(), (now + 3600).into());
            })),
        ),
        (
            "future iat".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.insert("iat".into(), (now + 3600).into());
            })),
        ),
        (
            "wrong iss".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.insert("iss".into(), "someone-else".into());
            })),
        ),
        (
            "missing iss".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.remove("iss");
            })),
        ),
        (
            "wrong aud".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.insert("aud".into(), "another-api".into());
            })),
        ),
        (
            "missing aud".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.remove("aud");
            })),
        ),
        (
            "no sub".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.remove("sub");
            })),
        ),
        (
            "roles not a list".into(),
            hs256_token(&with(valid_claims(), |c| {
                c.insert("roles".into(), "admin".into());
            })),
        ),
        (
            "wrong secret".into(),
            sign(
                &Header::new(Algorithm::HS256),
                &valid_claims(),
                &EncodingKey::from_secret(b"another-secret-that-is-long-enough-000").unwrap(),
            ),
        ),
        (
            "HS512 against an HS256 key".into(),
            sign(
                &Header::new(Algorithm::HS512),
                &valid_claims(),
                &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
            ),
        ),
    ];
    for alg in ["none", "None", "NONE", "nOnE"] {
        cases.push((
            format!("alg {alg} with an empty signature"),
            raw_token(&json!({ "alg": alg, "typ": "JWT" }), &valid_claims(), ""),
        ));
    }
    let mut with_kid = Header::new(Algorithm::HS256);
    with_kid.kid = Some("not-configured".into());
    cases.push((
        "a kid the single key does not have".into(),
        sign(
            &with_kid,
            &valid_claims(),
            &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
        ),
    ));
    let mut crit = Header::new(Algorithm::HS256);
    crit.crit = Some(vec!["exp".into()]);
    cases.push((
        "a crit header".into(),
        sign(
            &crit,
            &valid_claims(),
            &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
        ),
    ));

    let logs = Captured::default();
    let _guard = logs.install();
    for (case, token) in &cases {
        let reply = me_with(&config, &format!("Bearer {token}")).await;
        assert_invalid_token(&reply, case);
        // The client learns nothing; the log says why, so each case is refused for its reason.
        let errors = logs.events("secure_api::error");
        let cause = errors.last().unwrap().fields["cause"]
            .as_str()
            .unwrap()
            .to_owned();
        let expected = expected_cause(case);
        assert!(
            cause.contains(expected),
            "{case}: logged {cause:?}, expected {expected:?}"
        );
    }
}

/// The reason each case of [`every_bad_token_gets_the_same_answer`] must be refused for.
fn expected_cause(case: &str) -> &'static str {
    match case {
        "garbage" | "two parts" => "unreadable token header",
        "empty token" => "empty bearer token",
        "tampered payload" | "wrong secret" => "InvalidSignature",
        "truncated signature" => "not base64url",
        "expired past leeway" => "ExpiredSignature",
        "no exp" | "exp as a string" => "Missing required claim: exp",
        "future nbf" => "ImmatureSignature",
        "future iat" => "`iat` is in the future",
        "wrong iss" => "InvalidIssuer",
        "missing iss" => "Missing required claim: iss",
        "wrong aud" => "InvalidAudience",
        "missing aud" => "Missing required claim: aud",
        "no sub" => "Missing required claim: sub",
        "roles not a list" => "roles claim is not a string array",
        "HS512 against an HS256 key" => "InvalidAlgorithm",
        "a kid the single key does not have" => "unknown kid",
        "a crit header" => "`crit` is not accepted",
        alg_none if alg_none.starts_with("alg ") => "unreadable token header: JSON",
        other => panic!("no expected cause for {other}"),
    }
}

#[tokio::test]
async fn an_expired_token_within_the_leeway_still_passes() {
    let config = hs256_config();
    let token = hs256_token(&with(valid_claims(), |c| {
        c.insert("exp".into(), (now() - 5).into());
    }));
    let reply = me_with(&config, &format!("Bearer {token}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_refused_by_an_rs256_config() {
    let config = config_with(
        AuthConfig::builder()
            .key(JwtKey::public_pem(Algorithm::RS256, RSA_PUBLIC).unwrap())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap(),
    );
    // The classic key-confusion attack: the public key used as an HMAC secret.
    let forged = sign(
        &Header::new(Algorithm::HS256),
        &valid_claims(),
        &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()).unwrap(),
    );
    assert_invalid_token(
        &me_with(&config, &format!("Bearer {forged}")).await,
        "HS256 forged",
    );

    let genuine = sign(
        &Header::new(Algorithm::RS256),
        &valid_claims(),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(),
    );
    let reply = me_with(&config, &format!("Bearer {genuine}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}

#[tokio::test]
async fn asymmetric_keys_mint_and_verify() {
    for (algorithm, public, private) in [
        (Algorithm::RS256, RSA_PUBLIC, RSA_PRIVATE),
        (Algorithm::ES256, EC_PUBLIC, EC_PRIVATE),
        (Algorithm::EdDSA, ED_PUBLIC, ED_PRIVATE),
    ] {
        let auth = AuthConfig::builder()
            .key(
                JwtKey::public_pem(algorithm, public)
                    .unwrap()
                    .with_signing_pem(private)
                    .unwrap(),
            )
            .build()
            .unwrap();
        let minted = auth.mint(&TokenRequest::new("ada").role("admin")).unwrap();
        let reply = me_with(&config_with(auth), &format!("Bearer {}", minted.token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{algorithm:?}: {reply:?}");
        assert_eq!(reply.body["id"], "ada");
        assert_eq!(reply.body["roles"], json!(["admin"]));
    }
}

#[tokio::test]
async fn keys_are_chosen_by_kid_from_the_configured_set_only() {
    let auth = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap().with_kid("k1"))
        .key(
            JwtKey::public_pem(Algorithm::RS256, RSA_PUBLIC)
                .unwrap()
                .with_kid("k2"),
        )
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let config = config_with(auth);
    let encode = |kid: Option<&str>, alg: Algorithm, key: &EncodingKey| {
        let mut header = Header::new(alg);
        header.kid = kid.map(String::from);
        sign(&header, &valid_claims(), key)
    };
    let hmac = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
    let rsa = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap();

    let ok = encode(Some("k1"), Algorithm::HS256, &hmac);
    assert_eq!(
        me_with(&config, &format!("Bearer {ok}")).await.status,
        StatusCode::OK
    );
    let ok = encode(Some("k2"), Algorithm::RS256, &rsa);
    assert_eq!(
        me_with(&config, &format!("Bearer {ok}")).await.status,
        StatusCode::OK
    );

    for (case, token) in [
        ("unknown kid", encode(Some("k3"), Algorithm::HS256, &hmac)),
        (
            "no kid with several keys",
            encode(None, Algorithm::HS256, &hmac),
        ),
        (
            "kid of the other key's algorithm",
            encode(Some("k2"), Algorithm::HS256, &hmac),
        ),
    ] {
        assert_invalid_token(&me_with(&config, &format!("Bearer {token}")).await, case);
    }
}

#[tokio::test]
async fn a_jku_header_is_never_followed() {
    // A listener the token points at: if anything fetched the key set, it would connect here.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.jku = Some(format!("http://{address}/jwks.json"));
    let token = sign(
        &header,
        &valid_claims(),
        &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    );
    let reply = me_with(&hs256_config(), &format!("Bearer {token}")).await;
    assert_invalid_token(&reply, "jku");

    let connection = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
    assert!(connection.is_err(), "the jku listener saw a connection");
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let config = hs256_config();
    let minted = config.auth().mint(&TokenRequest::new("ada")).unwrap();
    let bearer = format!("Bearer {}", minted.token);
    assert_eq!(me_with(&config, &bearer).await.status, StatusCode::OK);

    config
        .auth()
        .revoke(&minted.token_id, minted.expires_at)
        .await
        .unwrap();
    assert_invalid_token(&me_with(&config, &bearer).await, "revoked");

    // Another token of the same user is unaffected.
    let other = config.auth().mint(&TokenRequest::new("ada")).unwrap();
    let reply = me_with(&config, &format!("Bearer {}", other.token)).await;
    assert_eq!(reply.status, StatusCode::OK);
}

/// A token that passed once is remembered (its next requests skip verification), but not past
/// its expiry.
#[tokio::test]
async fn a_remembered_token_is_refused_once_it_expires() {
    let config = config_with(
        AuthConfig::builder()
            .key(JwtKey::hs256(SECRET).unwrap())
            .leeway(Duration::ZERO)
            .token_ttl(Duration::from_secs(3))
            .build()
            .unwrap(),
    );
    let minted = config.auth().mint(&TokenRequest::new("ada")).unwrap();
    let bearer = format!("Bearer {}", minted.token);
    assert_eq!(me_with(&config, &bearer).await.status, StatusCode::OK);
    assert_eq!(me_with(&config, &bearer).await.status, StatusCode::OK);
    while now() <= minted.expires_at {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_invalid_token(&me_with(&config, &bearer).await, "expired once remembered");
}

#[tokio::test]
async fn minted_tokens_carry_the_registered_claims() {
    let config = hs256_config();
    let minted = config
        .auth()
        .mint(
            &TokenRequest::new("ada")
                .role("admin")
                .scope("posts:write")
                .claim("tenant", "acme"),
        )
        .unwrap();
    let payload = minted.token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    let now = now();
    assert_eq!(claims["sub"], "ada");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["roles"], json!(["admin"]));
    assert_eq!(claims["scope"], "posts:write");
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(claims["jti"], minted.token_id.as_str());
    let iat = claims["iat"].as_u64().unwrap();
    assert!(iat.abs_diff(now) <= 5);
    assert_eq!(claims["nbf"].as_u64(), Some(iat));
    assert_eq!(claims["exp"].as_u64(), Some(iat + 900));
    assert_eq!(minted.expires_in, 900);
    // Two tokens never share an id.
    let again = config.auth().mint(&TokenRequest::new("ada")).unwrap();
    assert_ne!(again.token_id, minted.token_id);
}

#[tokio::test]
async fn optional_login_is_none_without_a_header_and_401_with_a_bad_one() {
    let config = hs256_config();
    let reply = send(app(config.clone()), get_request("/maybe")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, json!({ "user": null }));

    let token = hs256_token(&valid_claims());
    let reply = send(app(config.clone()), get_with_token("/maybe", &token)).await;
    assert_eq!(reply.body, json!({ "user": "user-1" }));

    let reply = send(app(config), get_with_token("/maybe", "not.a.token")).await;
    assert_invalid_token(&reply, "optional login with a bad token");
}

#[tokio::test]
async fn optional_login_treats_another_scheme_as_no_login() {
    let request = http::Request::get("/maybe")
        .header("authorization", "Basic dXNlcjpwYXNzd29yZA==")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = send(app(hs256_config()), request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, json!({ "user": null }));
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused_when_none_is_configured() {
    // An identity provider shared by several APIs: a token minted for `payments-api` must not
    // open this one, even though this one checks no audience of its own.
    let config = config_with(
        AuthConfig::builder()
            .key(JwtKey::hs256(SECRET).unwrap())
            .build()
            .unwrap(),
    );
    let base = json!({ "sub": "ada", "exp": now() + 60 });
    let ok = hs256_token(&base);
    assert_eq!(
        me_with(&config, &format!("Bearer {ok}")).await.status,
        StatusCode::OK
    );
    let other = hs256_token(&with(base, |c| {
        c.insert("aud".into(), "payments-api".into());
    }));
    assert_invalid_token(
        &me_with(&config, &format!("Bearer {other}")).await,
        "foreign aud",
    );
}

#[tokio::test]
async fn extra_claims_cannot_grant_roles_or_replace_registered_claims() {
    let config = hs256_config();
    let minted = config
        .auth()
        .mint(
            &TokenRequest::new("ada")
                .claim("roles", json!(["admin"]))
                .claim("scope", "everything")
                .claim("sub", "root")
                .claim("exp", now() + 999_999),
        )
        .unwrap();
    let reply = me_with(&config, &format!("Bearer {}", minted.token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({ "id": "ada", "roles": [], "scopes": [] })
    );
    assert_eq!(minted.expires_in, 900);
}

#[tokio::test]
async fn typed_claims_are_read_from_the_verified_token() {
    let config = hs256_config();
    let token = hs256_token(&with(valid_claims(), |c| {
        c.insert("tenant".into(), "acme".into());
    }));
    let reply = send(app(config.clone()), get_with_token("/tenant", &token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "acme");

    // A token without the claim the handler's type requires is refused like any bad token.
    let token = hs256_token(&valid_claims());
    let reply = send(app(config), get_with_token("/tenant", &token)).await;
    assert_invalid_token(&reply, "missing typed claim");
}

#[tokio::test]
async fn configured_claim_names_are_used() {
    let auth = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap())
        .roles_claim("groups")
        .scope_claim("scp")
        .build()
        .unwrap();
    let token = hs256_token(&json!({
        "sub": "ada", "exp": now() + 60, "groups": ["ops"], "scp": ["a", "b"]
    }));
    let reply = me_with(&config_with(auth), &format!("Bearer {token}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["roles"], json!(["ops"]));
    assert_eq!(reply.body["scopes"], json!(["a", "b"]));
}

#[test]
fn weak_hmac_secrets_are_refused_when_the_key_is_made() {
    let err = JwtKey::hs256("x".repeat(31)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the HS256 secret is 31 bytes long; it must be at least 32 random bytes"
    );
    assert!(JwtKey::hs256("x".repeat(32)).is_ok());
    assert!(JwtKey::hmac(Algorithm::HS512, "x".repeat(32)).is_err());
    assert!(JwtKey::hmac(Algorithm::HS512, "x".repeat(64)).is_ok());
    assert!(JwtKey::hmac(Algorithm::RS256, "x".repeat(64)).is_err());
}

#[test]
fn several_keys_need_distinct_kids() {
    let no_kids = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap())
        .key(JwtKey::hs256(SECRET).unwrap())
        .build();
    assert!(no_kids.is_err());
    let same_kid = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap().with_kid("a"))
        .key(JwtKey::hs256(SECRET).unwrap().with_kid("a"))
        .build();
    assert!(same_kid.is_err());
}
