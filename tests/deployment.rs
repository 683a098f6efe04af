//! A deployment that cannot be secure refuses to start, with the message an operator sees:
//! RSA keys too short to trust, public keys without an issuer and audience in production; and
//! what is merely weak is named in a warning at start.

mod common;

use common::*;
use secure_api::auth::{Algorithm, AuthConfig, JwtKey, TokenRequest};
use secure_api::prelude::*;
use secure_api::routing::get;
use secure_api::{ConfigError, SecurityConfig};
use serde_json::json;

const RSA_1024_PRIVATE: &str = include_str!("keys/rsa-1024-private.pem");
const RSA_1024_PUBLIC: &str = include_str!("keys/rsa-1024-public.pem");
const RSA_1024_PUBLIC_PKCS1: &str = include_str!("keys/rsa-1024-public-pkcs1.pem");
const RSA_3072_PUBLIC: &str = include_str!("keys/rsa-3072-public.pem");

const WEAK_RSA: &str = "the RSA key has 1024 bits; at least 2048 are required (for tokens the \
                        app mints, EdDSA or ES256 are smaller and stronger)";

/// Asserts the refusal of a 1024-bit RSA key.
fn weak<T: std::fmt::Debug>(loaded: Result<T, ConfigError>) {
    let error = loaded.unwrap_err();
    assert_eq!(
        error,
        ConfigError::WeakRsaKey {
            bits: 1024,
            min_bits: 2048
        }
    );
    assert_eq!(error.to_string(), WEAK_RSA);
}

/// The DER inside a PEM block, as an operator exporting a key would have it.
fn der_of(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

#[test]
fn rsa_keys_under_2048_bits_are_refused_however_they_are_given() {
    for pem in [RSA_1024_PUBLIC, RSA_1024_PUBLIC_PKCS1] {
        weak(JwtKey::public_pem(Algorithm::RS256, pem));
        weak(JwtKey::public_pem(Algorithm::PS256, pem));
    }
    weak(JwtKey::public_der(
        Algorithm::RS256,
        &der_of(RSA_1024_PUBLIC),
    ));
    weak(JwtKey::public_der(
        Algorithm::RS256,
        &der_of(RSA_1024_PUBLIC_PKCS1),
    ));
    // A strong public key with a short private one to mint with.
    weak(
        JwtKey::public_pem(Algorithm::RS256, RSA_PUBLIC)
            .unwrap()
            .with_signing_pem(RSA_1024_PRIVATE),
    );
    // A key set's entry: 128 bytes of modulus.
    let n = format!("wA{}", "A".repeat(169));
    let jwks = json!({"keys": [{"kty": "RSA", "alg": "RS256", "kid": "old", "n": n, "e": "AQAB"}]});
    weak(AuthConfig::builder().jwks(&jwks.to_string()).map(|_| ()));

    // From the environment: the variable's file, refused at start.
    let dir = std::env::temp_dir().join(format!("secure-api-weak-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("public.pem");
    std::fs::write(&file, RSA_1024_PUBLIC).unwrap();
    let path = file.to_str().unwrap().to_owned();
    let error = SecurityConfig::from_lookup(|name| match name {
        "JWT_ALGORITHM" => Some("RS256".into()),
        "JWT_PUBLIC_KEY_FILE" => Some(path.clone()),
        _ => None,
    });
    weak(error);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn what_is_not_an_rsa_key_is_refused_for_an_rsa_algorithm() {
    let error = JwtKey::public_der(Algorithm::RS256, b"not a key").unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid JWT key: RS256 needs an RSA key, and this is none"
    );
    let error = JwtKey::public_der(Algorithm::RS256, &der_of(EC_PUBLIC)).unwrap_err();
    assert!(matches!(error, ConfigError::InvalidKey(_)), "{error:?}");
}

#[test]
fn rsa_keys_are_measured() {
    let rsa = JwtKey::public_pem(Algorithm::RS256, RSA_PUBLIC).unwrap();
    assert_eq!(rsa.rsa_bits(), Some(2048));
    assert!(rsa.is_asymmetric());
    let strong = JwtKey::public_pem(Algorithm::RS256, RSA_3072_PUBLIC).unwrap();
    assert_eq!(strong.rsa_bits(), Some(3072));
    let signing = JwtKey::public_pem(Algorithm::RS256, RSA_PUBLIC)
        .unwrap()
        .with_signing_pem(RSA_PRIVATE)
        .unwrap();
    assert!(signing.can_sign());
    let ed = JwtKey::public_pem(Algorithm::EdDSA, ED_PUBLIC).unwrap();
    assert_eq!((ed.rsa_bits(), ed.is_asymmetric()), (None, true));
    let hmac = JwtKey::hs256(SECRET).unwrap();
    assert_eq!((hmac.rsa_bits(), hmac.is_asymmetric()), (None, false));
}

#[test]
fn rsa_keys_under_3072_bits_are_named_in_a_warning_at_start() {
    let captured = Captured::default();
    let _guard = captured.install();
    AuthConfig::builder()
        .key(
            JwtKey::public_pem(Algorithm::RS256, RSA_PUBLIC)
                .unwrap()
                .with_kid("idp-2048"),
        )
        .key(
            JwtKey::public_pem(Algorithm::RS256, RSA_3072_PUBLIC)
                .unwrap()
                .with_kid("idp-3072"),
        )
        .build()
        .unwrap();
    let warnings = captured.events("secure_api::config");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let fields = &warnings[0].fields;
    assert_eq!(fields["kid"], "idp-2048");
    assert_eq!(fields["bits"], 2048);
    assert_eq!(
        fields["message"],
        "an RSA key under 3072 bits is below 128-bit security; for tokens the app mints, \
         prefer EdDSA or ES256"
    );
}

const PUBLIC_KEY_NEEDS_AUDIENCE: &str = "production verifies tokens with a public key, whose \
     private half may sign tokens for other APIs too: set JWT_ISSUER and JWT_AUDIENCE, so that \
     only tokens issued for this API are accepted";

/// A production config from these variables (TLS ends in front of the app), with the test's
/// keys in files.
fn production(vars: &[(&str, &str)]) -> Result<SecurityConfig, ConfigError> {
    let dir = std::env::temp_dir().join(format!("secure-api-keys-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("public.pem"), ED_PUBLIC).unwrap();
    std::fs::write(dir.join("private.pem"), ED_PRIVATE).unwrap();
    let file = |name: &str| Some(dir.join(name).to_str().unwrap().to_owned());
    let config = SecurityConfig::from_lookup(|name| match name {
        "SECURE_API_ENV" => Some("production".into()),
        "HTTPS_ONLY" => Some("true".into()),
        "JWT_PUBLIC_KEY_FILE" if vars.iter().any(|(v, _)| *v == "JWT_ALGORITHM") => {
            file("public.pem")
        }
        "JWT_PRIVATE_KEY_FILE" if vars.iter().any(|(v, _)| *v == "JWT_ALGORITHM") => {
            file("private.pem")
        }
        _ => vars
            .iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| (*value).to_owned()),
    });
    std::fs::remove_dir_all(&dir).unwrap();
    config
}

#[test]
fn production_with_a_public_key_requires_an_issuer_and_an_audience() {
    for missing in [
        &[("JWT_ALGORITHM", "EdDSA")][..],
        &[("JWT_ALGORITHM", "EdDSA"), ("JWT_ISSUER", ISSUER)],
        &[("JWT_ALGORITHM", "EdDSA"), ("JWT_AUDIENCE", AUDIENCE)],
    ] {
        let error = production(missing).unwrap_err();
        assert_eq!(error.to_string(), PUBLIC_KEY_NEEDS_AUDIENCE, "{missing:?}");
    }
    // In code too, and for a key set.
    let ed = JwtKey::public_pem(Algorithm::EdDSA, ED_PUBLIC).unwrap();
    let error = SecurityConfig::builder()
        .mode(secure_api::Mode::Production)
        .https(secure_api::transport::HttpsPolicy::default().assume_https(true))
        .auth(AuthConfig::builder().key(ed).build().unwrap())
        .build()
        .unwrap_err();
    assert_eq!(error.to_string(), PUBLIC_KEY_NEEDS_AUDIENCE);

    // A shared secret is this app's alone; development asks nothing.
    assert!(production(&[("JWT_SECRET", SECRET)]).is_ok());
    let development = SecurityConfig::builder()
        .auth(
            AuthConfig::builder()
                .key(JwtKey::public_pem(Algorithm::EdDSA, ED_PUBLIC).unwrap())
                .build()
                .unwrap(),
        )
        .build();
    assert!(development.is_ok());
}

#[secure(auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

#[tokio::test]
async fn with_both_set_minted_tokens_carry_them_and_tokens_without_aud_are_refused() {
    let config = production(&[
        ("JWT_ALGORITHM", "EdDSA"),
        ("JWT_ISSUER", ISSUER),
        ("JWT_AUDIENCE", AUDIENCE),
    ])
    .unwrap();
    let minted = config.auth().mint(&TokenRequest::new("user-1")).unwrap();
    let payload = minted.token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (&claims["iss"], &claims["aud"]),
        (&json!(ISSUER), &json!(AUDIENCE))
    );

    let app = secure_api::Router::new()
        .route("/me", get(me))
        .with_config(config);
    let reply = send(app.clone(), get_with_token("/me", &minted.token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.text, "user-1");

    // The same key, the same issuer, no audience: a token meant for no API in particular.
    let encoding = jsonwebtoken::EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).unwrap();
    for claims in [
        json!({"sub": "user-1", "iss": ISSUER, "exp": now() + 600}),
        json!({"sub": "user-1", "iss": ISSUER, "aud": "another-api", "exp": now() + 600}),
    ] {
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::EdDSA),
            &claims,
            &encoding,
        )
        .unwrap();
        let reply = send(app.clone(), get_with_token("/me", &token)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{claims}: {reply:?}"
        );
        assert_eq!(
            reply.body_without_request_id(),
            json!({"error": "Invalid token"})
        );
    }
}

#[secure(public, rate = "10/1m")]
async fn health() -> &'static str {
    "ok"
}

/// The posture record an app logs when it starts with `config`, as field: value.
fn posture_of(config: SecurityConfig) -> (serde_json::Map<String, serde_json::Value>, String) {
    let captured = Captured::default();
    let _guard = captured.install();
    let _service = secure_api::Router::new()
        .route("/health", get(health))
        .route("/me", get(me))
        .route("/me/again", get(me))
        .with_config(config)
        .into_service();
    let posture = captured.events("secure_api::posture");
    assert_eq!(posture.len(), 1, "one posture line: {posture:?}");
    (posture[0].fields.clone(), captured.all_text())
}

#[test]
fn the_posture_line_says_what_an_operator_checks_and_no_secret() {
    let (fields, _) = posture_of(SecurityConfig::from_lookup(|_| None).unwrap());
    assert_eq!(
        serde_json::Value::Object(fields),
        json!({
            "message": "security posture",
            "mode": "development (by default)",
            "https": "none (plain HTTP)",
            "keys": "HS256 secret (ephemeral)",
            "issuer": "not checked",
            "audience": "not checked",
            "limiter": "memory (this process)",
            "cors": "off",
            "public_routes": 1,
            "auth_routes": 2,
        })
    );

    let password = "redis-password-never-logged";
    let url = format!("rediss://:{password}@cache.internal:6380/0");
    let (fields, text) = posture_of(
        production(&[
            ("JWT_ALGORITHM", "EdDSA"),
            ("JWT_ISSUER", ISSUER),
            ("JWT_AUDIENCE", AUDIENCE),
            ("TRUSTED_PROXIES", "10.0.0.0/8"),
            ("REDIS_URL", &url),
            (
                "CORS_ALLOWED_ORIGINS",
                "https://a.example,https://b.example",
            ),
            ("CORS_ALLOW_CREDENTIALS", "true"),
        ])
        .unwrap(),
    );
    assert_eq!(
        serde_json::Value::Object(fields),
        json!({
            "message": "security posture",
            "mode": "production",
            "https": "declared (HTTPS_ONLY) + proxy (X-Forwarded-Proto of TRUSTED_PROXIES)",
            "keys": "EdDSA ed25519 signing",
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "limiter": "redis over TLS at cache.internal:6380",
            "cors": "2 origins, credentials",
            "public_routes": 1,
            "auth_routes": 2,
        })
    );
    assert!(!text.contains(password), "{text}");

    // A shared secret and RSA keys by id: kinds and sizes, never the material.
    let (fields, text) = posture_of(production(&[("JWT_SECRET", SECRET)]).unwrap());
    assert_eq!(fields["keys"], "HS256 secret");
    assert_eq!(fields["limiter"], "memory (this process)");
    assert!(!text.contains(SECRET), "{text}");
    let rsa = AuthConfig::builder()
        .key(
            JwtKey::public_pem(Algorithm::RS256, RSA_3072_PUBLIC)
                .unwrap()
                .with_kid("idp-1"),
        )
        .key(
            JwtKey::public_pem(Algorithm::ES256, EC_PUBLIC)
                .unwrap()
                .with_kid("idp-2"),
        )
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let (fields, _) = posture_of(
        SecurityConfig::builder()
            .mode(secure_api::Mode::Development)
            .auth(rsa)
            .build()
            .unwrap(),
    );
    assert_eq!(fields["mode"], "development");
    assert_eq!(
        fields["keys"],
        "RS256 rsa-3072 kid=idp-1, ES256 ec kid=idp-2"
    );
}
