//! [`MemorySessions`]: sessions in this process's memory.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::{SessionRecord, SessionStore};
use crate::auth::revocation::{StoreError, StoreFuture};

/// Sessions in this process's memory: for one instance, and for tests. Every instance of an
/// app behind a load balancer needs the same store (Redis, a database). A restart logs
/// everybody out.
#[derive(Debug, Default)]
pub struct MemorySessions {
    inner: Mutex<Sessions>,
}

#[derive(Debug, Default)]
struct Sessions {
    by_id: HashMap<[u8; 32], SessionRecord>,
    by_subject: HashMap<String, Vec<[u8; 32]>>,
}

impl MemorySessions {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Sessions) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Sessions {
    fn remove(&mut self, id_hash: &[u8; 32]) -> bool {
        let Some(record) = self.by_id.remove(id_hash) else {
            return false;
        };
        if let Some(ids) = self.by_subject.get_mut(&record.subject) {
            ids.retain(|id| id != id_hash);
            if ids.is_empty() {
                self.by_subject.remove(&record.subject);
            }
        }
        true
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> StoreFuture<'a, Result<T, StoreError>> {
    Box::pin(std::future::ready(Ok(value)))
}

impl SessionStore for MemorySessions {
    fn create<'a>(&'a self, record: &'a SessionRecord) -> StoreFuture<'a, Result<(), StoreError>> {
        self.with(|sessions| {
            sessions
                .by_subject
                .entry(record.subject.clone())
                .or_default()
                .push(record.id_hash);
            sessions.by_id.insert(record.id_hash, record.clone());
        });
        ready(())
    }

    fn find<'a>(
        &'a self,
        id_hash: &'a [u8; 32],
    ) -> StoreFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        ready(self.with(|sessions| sessions.by_id.get(id_hash).cloned()))
    }

    fn touch<'a>(
        &'a self,
        id_hash: &'a [u8; 32],
        at: u64,
    ) -> StoreFuture<'a, Result<(), StoreError>> {
        self.with(|sessions| {
            if let Some(record) = sessions.by_id.get_mut(id_hash) {
                record.last_seen_at_ms = at;
            }
        });
        ready(())
    }

    fn remove<'a>(&'a self, id_hash: &'a [u8; 32]) -> StoreFuture<'a, Result<bool, StoreError>> {
        ready(self.with(|sessions| sessions.remove(id_hash)))
    }

    fn of_subject<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<Vec<SessionRecord>, StoreError>> {
        ready(self.with(|sessions| {
            sessions
                .by_subject
                .get(subject)
                .into_iter()
                .flatten()
                .filter_map(|id| sessions.by_id.get(id).cloned())
                .collect()
        }))
    }

    fn remove_subject<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<usize, StoreError>> {
        ready(self.with(|sessions| {
            let ids = sessions.by_subject.remove(subject).unwrap_or_default();
            ids.iter()
                .filter(|id| sessions.by_id.remove(*id).is_some())
                .count()
        }))
    }
}
