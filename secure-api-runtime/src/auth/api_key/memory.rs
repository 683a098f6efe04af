//! [`MemoryApiKeys`]: API keys in this process's memory, for tests and single instances.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use super::{ApiKeyRecord, ApiKeyStore, KeyOwner, generate_key};
use crate::auth::revocation::{StoreError, StoreFuture, unix_now};

/// API keys and their owners in memory. Keys die with the process; an app that keeps keys
/// implements [`ApiKeyStore`] on its database.
///
/// ```
/// use secure_api::auth::{KeyOwner, MemoryApiKeys};
///
/// let keys = MemoryApiKeys::default();
/// keys.set_owner("user-7", KeyOwner { roles: vec!["editor".into()], scopes: None });
/// let (key, record) = keys.create("user-7", "nightly-export", &["posts:read"], None)?;
/// assert!(key.starts_with("sk_"));
/// assert_eq!(keys.list("user-7"), [record]);
/// # Ok::<(), secure_api::auth::StoreError>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryApiKeys {
    keys: RwLock<HashMap<String, ApiKeyRecord>>,
    owners: RwLock<HashMap<String, KeyOwner>>,
}

impl MemoryApiKeys {
    /// Makes a key for `subject`: returns the key, to show its owner once, and what is kept.
    ///
    /// # Errors
    ///
    /// When the system's random source fails.
    pub fn create(
        &self,
        subject: &str,
        name: &str,
        scopes: &[&str],
        expires_at: Option<u64>,
    ) -> Result<(String, ApiKeyRecord), StoreError> {
        let new = generate_key()?;
        let record = ApiKeyRecord {
            id: new.id,
            subject: subject.to_owned(),
            name: name.to_owned(),
            secret_hash: new.secret_hash,
            scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
            created_at: unix_now(),
            expires_at,
            last_used_at: None,
            revoked: false,
        };
        self.keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(record.id.clone(), record.clone());
        Ok((new.key, record))
    }

    /// Revokes key `id` of `subject`; `false` when `subject` has no such key.
    pub fn revoke(&self, subject: &str, id: &str) -> bool {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        match keys.get_mut(id) {
            Some(record) if record.subject == subject => {
                record.revoked = true;
                true
            }
            _ => false,
        }
    }

    /// `subject`'s keys that are not revoked, oldest first.
    pub fn list(&self, subject: &str) -> Vec<ApiKeyRecord> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        let mut listed: Vec<ApiKeyRecord> = keys
            .values()
            .filter(|record| record.subject == subject && !record.revoked)
            .cloned()
            .collect();
        listed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        listed
    }

    /// Sets what `subject` holds now; a subject never set owns no working key.
    pub fn set_owner(&self, subject: &str, owner: KeyOwner) {
        self.owners
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(subject.to_owned(), owner);
    }

    /// Forgets `subject`: their keys stop working.
    pub fn remove_owner(&self, subject: &str) {
        self.owners
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(subject);
    }
}

impl ApiKeyStore for MemoryApiKeys {
    fn find<'a>(
        &'a self,
        id: &'a str,
    ) -> StoreFuture<'a, Result<Option<ApiKeyRecord>, StoreError>> {
        let found = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn owner<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<Option<KeyOwner>, StoreError>> {
        let owner = self
            .owners
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(subject)
            .cloned();
        Box::pin(std::future::ready(Ok(owner)))
    }

    fn used<'a>(&'a self, id: &'a str, at: u64) -> StoreFuture<'a, Result<(), StoreError>> {
        if let Some(record) = self
            .keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(id)
        {
            record.last_used_at = Some(at);
        }
        Box::pin(std::future::ready(Ok(())))
    }
}
