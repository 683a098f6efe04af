//! Tokens already verified, so that a client sending the same token again is not verified from
//! scratch: the signature, two base64 decodings and two JSON parses were a third of a secured
//! request's CPU.
//!
//! Only a token that passed every check enters, keyed by its exact text, so a forged or altered
//! token never matches one. What can change while a token lives is still checked on every
//! request: expiry here, revocation by the caller. The cache holds at most [`CAPACITY`] tokens;
//! when it is full, expired ones are dropped, and if that frees nothing it starts over, so a
//! client with many valid tokens costs verification time, never memory.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use super::identity::Identity;

/// The most tokens remembered.
pub(crate) const CAPACITY: usize = 4096;

#[derive(Default)]
pub(crate) struct VerifiedTokens {
    tokens: RwLock<HashMap<Box<str>, Arc<Identity>>>,
}

impl VerifiedTokens {
    /// The identity of `token` if it was verified before and is still unexpired at `now`, with
    /// `leeway` seconds of clock skew allowed as at verification.
    pub(crate) fn get(&self, token: &str, now: u64, leeway: u64) -> Option<Arc<Identity>> {
        let tokens = self.tokens.read().unwrap_or_else(PoisonError::into_inner);
        let identity = tokens.get(token)?;
        (now <= identity.expires_at.saturating_add(leeway)).then(|| Arc::clone(identity))
    }

    /// Remembers a token that passed verification.
    pub(crate) fn insert(&self, token: &str, identity: &Arc<Identity>, now: u64, leeway: u64) {
        let mut tokens = self.tokens.write().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= CAPACITY {
            tokens.retain(|_, identity| now <= identity.expires_at.saturating_add(leeway));
            if tokens.len() >= CAPACITY {
                tokens.clear();
            }
        }
        tokens.insert(token.into(), Arc::clone(identity));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the tokens themselves: they are credentials.
        f.debug_struct("VerifiedTokens").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(expires_at: u64) -> Arc<Identity> {
        Arc::new(Identity {
            subject: Arc::from("ada"),
            roles: Vec::new(),
            scopes: Vec::new(),
            token_id: None,
            expires_at,
            claims: serde_json::Value::Null,
        })
    }

    #[test]
    fn a_remembered_token_expires_with_its_leeway() {
        let cache = VerifiedTokens::default();
        cache.insert("t", &identity(100), 50, 30);
        assert!(cache.get("t", 130, 30).is_some());
        assert!(cache.get("t", 131, 30).is_none(), "expired past the leeway");
        assert!(
            cache.get("t2", 50, 30).is_none(),
            "only the exact text matches"
        );
    }

    #[test]
    fn a_full_cache_drops_expired_tokens_then_starts_over() {
        let cache = VerifiedTokens::default();
        for n in 0..CAPACITY {
            let expires_at = if n % 2 == 0 { 10 } else { 1000 };
            cache.insert(&n.to_string(), &identity(expires_at), 0, 0);
        }
        cache.insert("new", &identity(1000), 500, 0);
        assert_eq!(cache.len(), CAPACITY / 2 + 1, "the expired half went");
        for n in 0..CAPACITY {
            cache.insert(&format!("live{n}"), &identity(1000), 500, 0);
        }
        assert!(cache.len() <= CAPACITY);
    }
}
