//! The keys of a fetched JWKS document that may verify tokens, and the `jwks_uri` of a
//! discovery document.

use std::collections::HashSet;

use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::JwtKey;

/// The signing keys of a key set: `use: sig` or no `use`, never a shared secret or `none`
/// (`JwtKey::from_jwk` refuses those). An entry that cannot verify tokens is skipped and named
/// in the log; a set with none left is an error. `source` names the URL in messages.
pub(crate) fn signing_keys(body: &[u8], source: &str) -> Result<Vec<JwtKey>, String> {
    #[derive(Deserialize)]
    struct KeySet {
        keys: Vec<Value>,
    }
    let set: KeySet = serde_json::from_slice(body)
        .map_err(|_| "the key set is not a JSON object with a `keys` array".to_owned())?;
    let mut keys = Vec::new();
    let mut kids = HashSet::new();
    for entry in set.keys {
        let kid = entry
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_owned();
        match usable_key(entry) {
            Ok(key) if key.kid().is_some_and(|kid| !kids.insert(kid.to_owned())) => {
                tracing::warn!(target: "secure_api::auth", source, kid, "two keys of the set share a kid: the later is skipped");
            }
            Ok(key) => keys.push(key),
            Err(reason) => {
                tracing::warn!(target: "secure_api::auth", source, kid, reason, "a key of the set is skipped");
            }
        }
    }
    if keys.len() > 1 && keys.iter().any(|key| key.kid().is_none()) {
        keys.retain(|key| key.kid().is_some());
        tracing::warn!(target: "secure_api::auth", source, "keys without a kid in a set of several are skipped");
    }
    if keys.is_empty() {
        return Err("the key set holds no key that can verify tokens".to_owned());
    }
    Ok(keys)
}

fn usable_key(entry: Value) -> Result<JwtKey, String> {
    if entry.get("kty").and_then(Value::as_str) == Some("oct") {
        return Err("a shared secret (`kty: oct`) is never taken from a key set".to_owned());
    }
    if entry.get("alg").and_then(Value::as_str) == Some("none") {
        return Err("`alg: none` verifies nothing".to_owned());
    }
    let jwk: Jwk = serde_json::from_value(entry)
        .map_err(|_| "not a JWK of a supported type and algorithm".to_owned())?;
    JwtKey::from_jwk(&jwk).map_err(|error| error.to_string())
}

/// The `issuer` and `jwks_uri` of a discovery document, the first required to equal `issuer`.
pub(crate) fn jwks_uri(body: &[u8], issuer: &str) -> Result<String, String> {
    #[derive(Deserialize)]
    struct Discovery {
        issuer: String,
        jwks_uri: String,
    }
    let document: Discovery = serde_json::from_slice(body).map_err(|_| {
        "the discovery document is not a JSON object with `issuer` and `jwks_uri`".to_owned()
    })?;
    if document.issuer != issuer {
        return Err(format!(
            "the discovery document names the issuer `{}`, not the configured `{issuer}` \
             (OpenID Connect Discovery 1.0 §4.3 requires them to be equal)",
            document.issuer
        ));
    }
    Ok(document.jwks_uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_N: &str = "u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw";

    #[test]
    fn signing_keys_only() {
        let set = format!(
            r#"{{"keys": [
                {{"kty": "oct", "kid": "secret", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}},
                {{"kty": "RSA", "kid": "enc", "use": "enc", "alg": "RSA-OAEP", "n": "{RSA_N}", "e": "AQAB"}},
                {{"kty": "RSA", "kid": "none", "alg": "none", "n": "{RSA_N}", "e": "AQAB"}},
                {{"kty": "RSA", "kid": "rs", "use": "sig", "n": "{RSA_N}", "e": "AQAB"}}
            ]}}"#
        );
        let keys = signing_keys(set.as_bytes(), "test").unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid(), Some("rs"));
        // No `alg`: an RSA key verifies RS256.
        assert_eq!(keys[0].algorithm(), jsonwebtoken::Algorithm::RS256);

        let only_secret = r#"{"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}"#;
        assert!(signing_keys(only_secret.as_bytes(), "test").is_err());
        assert!(signing_keys(b"[]", "test").is_err());
    }

    #[test]
    fn discovery_issuer_must_match() {
        let document = br#"{"issuer": "https://idp.example.com/realms/main", "jwks_uri": "https://idp.example.com/certs"}"#;
        assert_eq!(
            jwks_uri(document, "https://idp.example.com/realms/main").unwrap(),
            "https://idp.example.com/certs"
        );
        let error = jwks_uri(document, "https://idp.example.com/realms/other").unwrap_err();
        assert!(error.contains("not the configured"), "{error}");
    }
}
