//! [`Identity`]: what a verified token says about its bearer.

use std::sync::Arc;

use serde_json::Value;

/// A verified token: who, with which roles and scopes, and every claim.
#[derive(Debug)]
pub(crate) struct Identity {
    pub(crate) subject: Arc<str>,
    pub(crate) roles: Vec<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) token_id: Option<String>,
    pub(crate) expires_at: u64,
    pub(crate) claims: Value,
}
