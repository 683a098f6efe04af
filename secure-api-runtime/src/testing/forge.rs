//! The bearer tokens the self-audit forges from A's valid one: each must be refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::report::Probe;
use crate::auth::AuthConfig;

/// A forged token, or why the config cannot make it.
pub(super) type Forged = Result<Vec<String>, String>;

/// The tokens of `probe`, forged from `valid` (A's token) with `auth`'s own signing key where
/// the probe needs a valid signature.
pub(super) fn tokens(probe: Probe, valid: &str, auth: &AuthConfig) -> Forged {
    let parts: Vec<&str> = valid.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err("A's bearer token is not a compact JWT".into());
    };
    let claims = || claims_of(payload);
    let resign = |edit: &dyn Fn(&mut Map<String, Value>)| -> Forged {
        let mut claims = claims()?;
        edit(&mut claims);
        auth.sign(&claims)
            .map(|token| vec![token])
            .map_err(|error| format!("the config cannot sign: {error}"))
    };
    match probe {
        Probe::AlgNone => Ok(["none", "None", "NONE", "nOnE"]
            .iter()
            .map(|alg| {
                let header = encode(&serde_json::json!({ "alg": alg, "typ": "JWT" }));
                format!("{header}.{payload}.")
            })
            .collect()),
        Probe::TamperedPayload => {
            let mut claims = claims()?;
            claims.insert("sub".into(), "secure-api-audit-tampered".into());
            claims.insert("roles".into(), serde_json::json!(["admin"]));
            Ok(vec![format!(
                "{header}.{}.{signature}",
                encode(&Value::Object(claims))
            )])
        }
        Probe::TruncatedSignature => {
            // Cut in its bytes, not its text: a signature that still decodes, only shorter,
            // reaches the signature check rather than the base64 decoder.
            let bytes = URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|_| "A's token signature is not base64url".to_owned())?;
            let short = URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2]);
            Ok(vec![format!("{header}.{payload}.{short}")])
        }
        Probe::ExpiredToken => resign(&|claims| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let past = now.saturating_sub(3600);
            claims.insert("iat".into(), (past - 900).into());
            claims.insert("nbf".into(), (past - 900).into());
            claims.insert("exp".into(), past.into());
        }),
        Probe::OtherAudience => resign(&|claims| {
            claims.insert("aud".into(), "secure-api-audit-other-audience".into());
        }),
        Probe::OtherIssuer if auth.issuer().is_none() => {
            Err("the config checks no issuer (JWT_ISSUER), so any issuer passes".into())
        }
        Probe::OtherIssuer => resign(&|claims| {
            claims.insert("iss".into(), "secure-api-audit-other-issuer".into());
        }),
        Probe::KeyConfusion => {
            let Some((key, form)) = auth
                .keys()
                .find_map(|key| Some((key, key.public_form.as_ref()?)))
            else {
                return Err("no RSA key in the key set".into());
            };
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid.clone_from(&key.kid);
            let claims = claims()?;
            super::confusion::secrets(form)
                .iter()
                .map(|secret| {
                    let secret = jsonwebtoken::EncodingKey::from_secret(secret)
                        .map_err(|error| format!("no HS256 key: {error}"))?;
                    jsonwebtoken::encode(&header, &claims, &secret)
                        .map_err(|error| format!("no HS256 token: {error}"))
                })
                .collect()
        }
        _ => Err(format!("{probe} is not a forged token")),
    }
}

/// The claims of a token's payload part, unverified.
fn claims_of(payload: &str) -> Result<Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| "A's token payload is not base64url".to_owned())?;
    serde_json::from_slice(&bytes).map_err(|_| "A's token payload is not JSON".to_owned())
}

/// The `sub` of a compact JWT, unverified: whose revoked token to forge.
pub(super) fn subject_of(token: &str) -> Option<String> {
    let claims = claims_of(token.split('.').nth(1)?).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}
