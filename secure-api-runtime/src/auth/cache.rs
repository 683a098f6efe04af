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
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, PoisonError, RwLock};

use super::identity::Identity;

/// The most tokens remembered.
pub(crate) const CAPACITY: usize = 4096;

#[derive(Default)]
pub(crate) struct VerifiedTokens {
    tokens: RwLock<HashMap<Box<[u8]>, Arc<Identity>, ByTail>>,
}

/// Hashes a token by its length and last eight bytes, mixed with a random seed: a token is a
/// few hundred bytes, looked up on every request, and its tail is the signature, in base64.
/// Only verified tokens enter the cache, and no client can choose the signature of a token the
/// server accepts, so no client can aim entries at one bucket and a keyed hash function
/// (`SipHash`, a fifth of a lookup) buys nothing; equality still compares whole tokens.
struct ByTail {
    seed: u64,
}

impl Default for ByTail {
    fn default() -> Self {
        Self {
            seed: RandomState::new().build_hasher().finish(),
        }
    }
}

impl BuildHasher for ByTail {
    type Hasher = TailHasher;

    fn build_hasher(&self) -> TailHasher {
        TailHasher(self.seed)
    }
}

struct TailHasher(u64);

impl Hasher for TailHasher {
    fn write(&mut self, bytes: &[u8]) {
        let tail = &bytes[bytes.len().saturating_sub(8)..];
        let mut word = [0; 8];
        word[..tail.len()].copy_from_slice(tail);
        self.0 = fold(self.0 ^ u64::from_le_bytes(word), bytes.len() as u64);
    }

    /// The length prefix a slice hashes first: `write` mixes the length in already.
    fn write_usize(&mut self, _: usize) {}

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A folded multiply: every bit of `a` and `b` reaches the high and the low bits, which the
/// table uses for its control bytes and its bucket.
fn fold(a: u64, b: u64) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let product = u128::from(a) * u128::from(b ^ K);
    // The halves of the product, folded: the casts keep 64 bits each on purpose.
    #[allow(clippy::cast_possible_truncation)]
    let (low, high) = (product as u64, (product >> 64) as u64);
    low ^ high
}

impl VerifiedTokens {
    /// The identity of `token` if it was verified before and is still unexpired at `now`, with
    /// `leeway` seconds of clock skew allowed as at verification.
    pub(crate) fn get(&self, token: &[u8], now: u64, leeway: u64) -> Option<Arc<Identity>> {
        let tokens = self.tokens.read().unwrap_or_else(PoisonError::into_inner);
        let identity = tokens.get(token)?;
        (now <= identity.expires_at.saturating_add(leeway) && now <= identity.keys_valid_until)
            .then(|| Arc::clone(identity))
    }

    /// Remembers a token that passed verification.
    pub(crate) fn insert(&self, token: &str, identity: &Arc<Identity>, now: u64, leeway: u64) {
        let mut tokens = self.tokens.write().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= CAPACITY {
            tokens.retain(|_, identity| {
                now <= identity.expires_at.saturating_add(leeway)
                    && now <= identity.keys_valid_until
            });
            if tokens.len() >= CAPACITY {
                tokens.clear();
            }
        }
        tokens.insert(token.as_bytes().into(), Arc::clone(identity));
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
            client_id: None,
            token_id: None,
            credential_id: None,
            expires_at,
            keys_valid_until: u64::MAX,
            claims: serde_json::Value::Null,
            session: None,
        })
    }

    #[test]
    fn a_remembered_token_expires_with_its_leeway() {
        let cache = VerifiedTokens::default();
        cache.insert("t", &identity(100), 50, 30);
        assert!(cache.get(b"t", 130, 30).is_some());
        assert!(
            cache.get(b"t", 131, 30).is_none(),
            "expired past the leeway"
        );
        assert!(
            cache.get(b"t2", 50, 30).is_none(),
            "only the exact text matches"
        );
    }

    #[test]
    fn tokens_with_one_tail_are_told_apart() {
        let cache = VerifiedTokens::default();
        cache.insert("aaaa.same-signature-tail", &identity(100), 0, 0);
        cache.insert("bbbb.same-signature-tail", &identity(200), 0, 0);
        assert_eq!(
            cache
                .get(b"aaaa.same-signature-tail", 0, 0)
                .unwrap()
                .expires_at,
            100
        );
        assert_eq!(
            cache
                .get(b"bbbb.same-signature-tail", 0, 0)
                .unwrap()
                .expires_at,
            200
        );
        assert!(cache.get(b"cccc.same-signature-tail", 0, 0).is_none());
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
