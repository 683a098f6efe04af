//! [`Identity`]: what a verified credential (a token, an API key, a session) says of its holder.

use std::sync::Arc;

use serde_json::Value;

/// A verified token: who, with which roles and scopes, and every claim.
#[derive(Debug)]
pub(crate) struct Identity {
    pub(crate) subject: Arc<str>,
    pub(crate) roles: Vec<String>,
    pub(crate) scopes: Vec<String>,
    /// The OAuth client the token was issued to (`client_id`, or `azp`).
    pub(crate) client_id: Option<String>,
    pub(crate) token_id: Option<String>,
    /// The id of the API key that verified it, and of no other credential: the audit record's
    /// `credential_id` (a token's is its `token_id`) and what `key = "api_key"` counts by.
    pub(crate) credential_id: Option<String>,
    pub(crate) expires_at: u64,
    /// Until when (Unix seconds) the keys that verified it may still verify: an identity
    /// provider's keys past their bound stop the cached token too. `u64::MAX` for local keys.
    pub(crate) keys_valid_until: u64,
    pub(crate) claims: Value,
    /// The browser session it was verified from, if a session cookie.
    pub(crate) session: Option<super::session::SessionBinding>,
}
