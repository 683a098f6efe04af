//! Limits by account: the key is a field of the validated body (`account_key = "email"`), so
//! the budget follows the account attacked, whatever address the attempts come from.
//!
//! The key is the client's text: it is normalized first (trimmed, Unicode NFKC, lowercased),
//! so `Ada@Example.com `, `ada@example.com` and its full-width spelling are one account, and
//! then kept only as a keyed hash (HMAC-SHA256), never as it came: a limiter's memory or a
//! Redis key never holds an email. The hash key is `RATE_LIMIT_KEY_SECRET` when set (every
//! instance sharing a Redis store needs the same one, or each counts alone), else random for
//! the process.

use aws_lc_rs::hmac;
use unicode_normalization::UnicodeNormalization;

use crate::error::ConfigError;

/// The shortest `RATE_LIMIT_KEY_SECRET`.
pub const MIN_KEY_SECRET_BYTES: usize = 32;

/// A limit by account as a route declares it: `account_rate = "10/15m"`,
/// `account_key = "email"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountRule {
    quota: super::Quota,
    field: &'static str,
}

impl AccountRule {
    /// `quota` per account, the account named by the body's `field`.
    pub const fn new(quota: super::Quota, field: &'static str) -> Self {
        Self { quota, field }
    }

    /// The quota per account.
    pub const fn quota(&self) -> super::Quota {
        self.quota
    }

    /// The body field that names the account (its Rust name).
    pub const fn field(&self) -> &'static str {
        self.field
    }
}

/// Turns account names into the keys a limiter counts them under.
pub(crate) struct AccountKeys {
    key: hmac::Key,
}

impl std::fmt::Debug for AccountKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountKeys")
    }
}

/// The key of one account: its normalized name's keyed hash.
pub(crate) type AccountKey = [u8; 32];

impl AccountKeys {
    /// Keys hashed with `secret`, or with a random secret for the process.
    pub(crate) fn new(secret: Option<&[u8]>) -> Result<Self, ConfigError> {
        let key = if let Some(secret) = secret {
            hmac::Key::new(hmac::HMAC_SHA256, secret)
        } else {
            let mut random = [0u8; 32];
            getrandom::fill(&mut random).map_err(|e| {
                ConfigError::InvalidSetting(format!("no randomness for account keys: {e}"))
            })?;
            hmac::Key::new(hmac::HMAC_SHA256, &random)
        };
        Ok(Self { key })
    }

    /// The key `name` is counted under.
    pub(crate) fn key_of(&self, name: &str) -> AccountKey {
        let normalized: String = name.trim().nfkc().flat_map(char::to_lowercase).collect();
        let tag = hmac::sign(&self.key, normalized.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(tag.as_ref());
        key
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_account_under_every_spelling_and_never_as_written() {
        let keys = AccountKeys::new(Some(&[7; 32])).unwrap();
        let ada = keys.key_of("ada@example.com");
        for spelling in [
            "Ada@Example.com",
            "  ada@example.com\t",
            "\u{ff41}\u{ff44}\u{ff41}@example.com",
        ] {
            assert_eq!(keys.key_of(spelling), ada, "{spelling:?}");
        }
        assert_ne!(keys.key_of("bob@example.com"), ada);
        assert!(!ada.windows(3).any(|w| w == b"ada"));
        // Another secret, other keys: instances must share theirs to share budgets.
        let other = AccountKeys::new(Some(&[8; 32])).unwrap();
        assert_ne!(other.key_of("ada@example.com"), ada);
    }
}
