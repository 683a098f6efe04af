//! API keys for machine clients: `X-API-Key: sk_<16 hex id>_<43 base64url secret>`.
//!
//! The id finds the key; the 256-bit secret proves it. Only the secret's SHA-256 is stored
//! (a secret of 256 random bits needs no slow hash, and argon2 on every request would be a
//! denial of service), compared in constant time. A key verifies into the same identity a
//! token does: its owner as subject, the owner's current roles, and the key's scopes as far as
//! the owner still holds them, so a demoted owner's keys lose what the owner lost.

mod memory;

pub use memory::MemoryApiKeys;

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::identity::Identity;
use super::revocation::{StoreError, StoreFuture, unix_now};
use crate::error::ApiError;

/// The header an API key is sent in.
pub const API_KEY_HEADER: http::HeaderName = http::HeaderName::from_static("x-api-key");

const PREFIX: &str = "sk_";
const ID_CHARS: usize = 16;
const SECRET_CHARS: usize = 43;
/// `sk_` + id + `_` + secret.
const KEY_CHARS: usize = PREFIX.len() + ID_CHARS + 1 + SECRET_CHARS;

/// An API key split into its id and its secret, by position (base64url holds `_` too).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ParsedKey<'a> {
    /// 16 lowercase hex characters.
    pub id: &'a str,
    /// 43 base64url characters: 256 bits.
    pub secret: &'a str,
}

impl fmt::Debug for ParsedKey<'_> {
    // The secret is a credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Splits `key`, or `None` when it is not of the format: `sk_`, 16 lowercase hex characters,
/// `_`, 43 base64url characters that decode to 32 bytes.
pub fn parse_key(key: &[u8]) -> Option<ParsedKey<'_>> {
    let key = std::str::from_utf8(key).ok()?;
    if key.len() != KEY_CHARS || !key.is_ascii() {
        return None;
    }
    let id = key.strip_prefix(PREFIX)?.get(..ID_CHARS)?;
    let rest = &key[PREFIX.len() + ID_CHARS..];
    let secret = rest.strip_prefix('_')?;
    let hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    if !id.bytes().all(hex) {
        return None;
    }
    // 43 characters of base64url are 258 bits: the last must leave the two spare bits zero.
    let decoded = URL_SAFE_NO_PAD.decode(secret).ok()?;
    (decoded.len() == 32).then_some(ParsedKey { id, secret })
}

/// A new key: shown to its owner once, stored only as [`ApiKeyRecord`].
pub struct NewKey {
    /// The whole key, `sk_..._...`, for the `X-API-Key` header. Shown once.
    pub key: String,
    /// Its id, by which it is listed, audited and revoked.
    pub id: String,
    /// The SHA-256 of its secret: what a store keeps.
    pub secret_hash: [u8; 32],
}

impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey")
            .field("key", &"[redacted]")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Makes a key from 64 random bits of id and 256 of secret.
///
/// # Errors
///
/// When the system's random source fails.
pub fn generate_key() -> Result<NewKey, StoreError> {
    let mut id = [0u8; ID_CHARS / 2];
    let mut secret = [0u8; 32];
    getrandom::fill(&mut id)
        .and_then(|()| getrandom::fill(&mut secret))
        .map_err(|e| StoreError(format!("no random bytes for a key: {e}")))?;
    let id = hex(&id);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    Ok(NewKey {
        key: format!("{PREFIX}{id}_{secret}"),
        secret_hash: secret_hash(&secret),
        id,
    })
}

/// Lowercase hexadecimal (a key's id; a session's hash in Redis).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|byte| {
            [
                DIGITS[usize::from(byte >> 4)],
                DIGITS[usize::from(byte & 15)],
            ]
        })
        .map(char::from)
        .collect()
}

/// The SHA-256 of a key's secret (its text), as stores keep it.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    let mut hash = [0u8; 32];
    hash.copy_from_slice(digest.as_ref());
    hash
}

/// Whether a presented secret's hash is the stored one, in time that does not depend on where
/// they differ.
pub(crate) fn hashes_match(presented: &[u8; 32], stored: &[u8; 32]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(presented, stored).is_ok()
}

/// A stored key: everything but its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// The key's id.
    pub id: String,
    /// Its owner: the subject requests made with it act as.
    pub subject: String,
    /// A name its owner gave it (`nightly-export`).
    pub name: String,
    /// The SHA-256 of its secret.
    pub secret_hash: [u8; 32],
    /// The scopes chosen when it was made.
    pub scopes: Vec<String>,
    /// When it was made, in seconds since the Unix epoch.
    pub created_at: u64,
    /// When it stops working, if ever.
    pub expires_at: Option<u64>,
    /// When it was last used, if ever (as the store records it).
    pub last_used_at: Option<u64>,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// What a key's owner holds now: a key never has more.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyOwner {
    /// The owner's current roles, which requests with the key have.
    pub roles: Vec<String>,
    /// The owner's current scopes, if scopes are granted to owners at all: a key's scopes are
    /// cut down to them. `None`: the key's own scopes.
    pub scopes: Option<Vec<String>>,
}

/// Where API keys are kept: [`MemoryApiKeys`] in this crate, a database in an app.
pub trait ApiKeyStore: Send + Sync + 'static {
    /// The key of id `id`, revoked or not.
    fn find<'a>(&'a self, id: &'a str)
    -> StoreFuture<'a, Result<Option<ApiKeyRecord>, StoreError>>;

    /// The owner `subject` as they are now, or `None` when they no longer exist (their keys
    /// then stop working).
    fn owner<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<Option<KeyOwner>, StoreError>>;

    /// Records that key `id` was used at `at` (seconds since the Unix epoch): called when the
    /// recorded last use is a minute old or more. The default records nothing.
    fn used<'a>(&'a self, id: &'a str, at: u64) -> StoreFuture<'a, Result<(), StoreError>> {
        let _ = (id, at);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// How stale a key's recorded last use may get before a request records it again.
const USE_RECORDED_EVERY_SECS: u64 = 60;

/// Verifies the key presented in `X-API-Key` against `store`. Every failure is the same `401`
/// for the client; the reason is logged.
pub(crate) async fn verify_key(
    store: &dyn ApiKeyStore,
    presented: &[u8],
) -> Result<Arc<Identity>, ApiError> {
    let parsed = parse_key(presented.trim_ascii())
        .ok_or_else(|| ApiError::invalid_api_key("not an API key of the format"))?;
    let record = store
        .find(parsed.id)
        .await
        .map_err(StoreError::into_unavailable)?;
    // An unknown id is hashed and compared like a known one, so that its answer takes as long.
    let stored = record
        .as_ref()
        .map_or([0u8; 32], |record| record.secret_hash);
    let matches = hashes_match(&secret_hash(parsed.secret), &stored);
    let Some(record) = record.filter(|_| matches) else {
        return Err(ApiError::invalid_api_key(
            "unknown key id, or a wrong secret",
        ));
    };
    let now = unix_now();
    if record.revoked {
        return Err(ApiError::invalid_api_key("key has been revoked"));
    }
    if record.expires_at.is_some_and(|expiry| expiry <= now) {
        return Err(ApiError::invalid_api_key("key has expired"));
    }
    let owner = store
        .owner(&record.subject)
        .await
        .map_err(StoreError::into_unavailable)?
        .ok_or_else(|| ApiError::invalid_api_key("the key's owner no longer exists"))?;
    let scopes = match &owner.scopes {
        None => record.scopes.clone(),
        Some(held) => record
            .scopes
            .iter()
            .filter(|scope| held.contains(scope))
            .cloned()
            .collect(),
    };
    // The last use is a date for the owner's list, not a log: written at most once a
    // minute, so that a busy key is not a write on every request.
    let stale = record
        .last_used_at
        .is_none_or(|last| now.saturating_sub(last) >= USE_RECORDED_EVERY_SECS);
    if stale && let Err(error) = store.used(&record.id, now).await {
        tracing::warn!(target: "secure_api::auth", key_id = record.id, %error, "the key's last use could not be recorded");
    }
    Ok(Arc::new(Identity {
        subject: Arc::from(record.subject.as_str()),
        roles: owner.roles,
        scopes,
        client_id: None,
        token_id: None,
        credential_id: Some(record.id),
        expires_at: record.expires_at.unwrap_or(u64::MAX),
        keys_valid_until: u64::MAX,
        claims: Value::Null,
        session: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_the_parser() {
        let new = generate_key().unwrap();
        assert_eq!(new.key.len(), KEY_CHARS);
        let parsed = parse_key(new.key.as_bytes()).unwrap();
        assert_eq!(parsed.id, new.id);
        assert_eq!(secret_hash(parsed.secret), new.secret_hash);
        assert!(!format!("{new:?}").contains(parsed.secret));
        assert!(!format!("{parsed:?}").contains(parsed.secret));
    }

    #[test]
    fn only_the_format_parses() {
        let good = format!("sk_0123456789abcdef_{}", URL_SAFE_NO_PAD.encode([7u8; 32]));
        assert!(parse_key(good.as_bytes()).is_some());
        // The secret may hold `_`: it is split by position.
        let underscored = format!(
            "sk_0123456789abcdef_{}",
            URL_SAFE_NO_PAD.encode([0xffu8; 32])
        );
        assert!(underscored[20..].contains('_'));
        assert!(parse_key(underscored.as_bytes()).is_some());
        for bad in [
            String::new(),
            good.replace("sk_", "pk_"),
            good.replace("0123456789abcdef", "0123456789ABCDEF"),
            format!("{good}A"),
            good[..good.len() - 1].to_owned(),
            good.replacen('_', "-", 2),
        ] {
            assert!(parse_key(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_compared_in_constant_time_and_exactly() {
        let a = secret_hash("one");
        let mut b = a;
        assert!(hashes_match(&a, &b));
        b[31] ^= 1;
        assert!(!hashes_match(&a, &b));
    }

    proptest::proptest! {
        /// Any bytes at all: the parser answers, never panics, and what it accepts is of the
        /// format.
        #[test]
        fn the_parser_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)) {
            if let Some(parsed) = parse_key(&bytes) {
                proptest::prop_assert_eq!(parsed.id.len(), ID_CHARS);
                proptest::prop_assert_eq!(parsed.secret.len(), SECRET_CHARS);
            }
        }

        /// Every id and secret a key can have comes back out of its text.
        #[test]
        fn keys_round_trip(id in proptest::prelude::any::<[u8; 8]>(), secret in proptest::prelude::any::<[u8; 32]>()) {
            let id = hex(&id);
            let secret = URL_SAFE_NO_PAD.encode(secret);
            let key = format!("sk_{id}_{secret}");
            let parsed = parse_key(key.as_bytes()).unwrap();
            proptest::prop_assert_eq!(parsed.id, id.as_str());
            proptest::prop_assert_eq!(parsed.secret, secret.as_str());
        }
    }
}
