//! Browser sessions on the shared Redis store: a session started on one instance of an app is
//! known to all, and a logout on one ends it on all.
//!
//! A session is a hash at `{prefix}session:{hex of the id's hash}`, kept until its absolute
//! timeout (times in milliseconds); a set at `{prefix}sessions:{subject}` lists a user's (the
//! ids of sessions Redis dropped are taken out of it at the user's next login). Each change is
//! one Lua script, so a touch can never bring back a session a logout just removed.

use std::collections::HashMap;

use super::{SessionRecord, SessionStore};
use crate::auth::revocation::{StoreError, StoreFuture};
use crate::store::RedisStore;

impl RedisStore {
    /// The store's browser sessions, for [`SessionConfig::new`](super::SessionConfig::new).
    /// While Redis is unreachable, session requests are answered `503`, whatever the store's
    /// failure mode: a session cannot be checked without it.
    pub fn sessions(&self) -> RedisSessions {
        RedisSessions {
            store: self.clone(),
        }
    }
}

/// Browser sessions on Redis: see [`RedisStore::sessions`].
#[derive(Clone, Debug)]
pub struct RedisSessions {
    store: RedisStore,
}

const CREATE: &str = r"
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1";

const TOUCH: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'seen', ARGV[1])
end
return 1";

const REMOVE: &str = r"
local subject = redis.call('HGET', KEYS[1], 'subject')
if not subject then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. subject, ARGV[2])
return 1";

const REMOVE_SUBJECT: &str = r"
local ended = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  ended = ended + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
return ended";

impl RedisSessions {
    fn session_key(&self, hex: &str) -> String {
        format!("{}session:{hex}", self.store.prefix())
    }

    fn subject_prefix(&self) -> String {
        format!("{}sessions:", self.store.prefix())
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut connection = self.store.connection().map_err(StoreError)?;
        self.store
            .bounded(invocation.invoke_async(&mut connection))
            .await
            .map_err(StoreError)
    }

    async fn fetch(&self, hex: &str) -> Result<Option<SessionRecord>, StoreError> {
        let mut connection = self.store.connection().map_err(StoreError)?;
        let mut command = redis::cmd("HGETALL");
        command.arg(self.session_key(hex));
        let fields: HashMap<String, String> = self
            .store
            .bounded(command.query_async(&mut connection))
            .await
            .map_err(StoreError)?;
        if fields.is_empty() {
            return Ok(None);
        }
        record_of(hex, &fields).map(Some)
    }
}

fn hex(bytes: &[u8; 32]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(64), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}

/// A record from its hash's fields; a field missing or of the wrong kind is a store error
/// (written by something else), never a session.
fn record_of(hex: &str, fields: &HashMap<String, String>) -> Result<SessionRecord, StoreError> {
    let bad = || StoreError(format!("session {} in Redis is malformed", &hex[..8]));
    let text = |name: &str| fields.get(name).ok_or_else(bad);
    let number = |name: &str| text(name)?.parse::<u64>().map_err(|_| bad());
    let list = |name: &str| serde_json::from_str::<Vec<String>>(text(name)?).map_err(|_| bad());
    let mut id_hash = [0u8; 32];
    for (at, byte) in id_hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(at * 2..at * 2 + 2).ok_or_else(bad)?, 16)
            .map_err(|_| bad())?;
    }
    Ok(SessionRecord {
        id_hash,
        subject: text("subject")?.clone(),
        roles: list("roles")?,
        scopes: list("scopes")?,
        csrf_token: text("csrf")?.clone(),
        created_at_ms: number("created")?,
        last_seen_at_ms: number("seen")?,
        expires_at_ms: number("expires")?,
    })
}

impl SessionStore for RedisSessions {
    fn create<'a>(&'a self, record: &'a SessionRecord) -> StoreFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let hex = hex(&record.id_hash);
            // Kept for the absolute timeout, in milliseconds, measured from now by the server.
            let lifetime = record
                .expires_at_ms
                .saturating_sub(record.created_at_ms)
                .max(1);
            let json = |list: &[String]| serde_json::to_string(list).unwrap_or_default();
            let script = redis::Script::new(CREATE);
            let mut invocation = script.key(self.session_key(&hex));
            invocation
                .key(format!("{}{}", self.subject_prefix(), record.subject))
                .arg(&hex)
                .arg(lifetime)
                .arg("subject")
                .arg(&record.subject)
                .arg("roles")
                .arg(json(&record.roles))
                .arg("scopes")
                .arg(json(&record.scopes))
                .arg("csrf")
                .arg(&record.csrf_token)
                .arg("created")
                .arg(record.created_at_ms)
                .arg("seen")
                .arg(record.last_seen_at_ms)
                .arg("expires")
                .arg(record.expires_at_ms);
            self.run::<u8>(&invocation).await.map(drop)
        })
    }

    fn find<'a>(
        &'a self,
        id_hash: &'a [u8; 32],
    ) -> StoreFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        Box::pin(async move { self.fetch(&hex(id_hash)).await })
    }

    fn touch<'a>(
        &'a self,
        id_hash: &'a [u8; 32],
        at: u64,
    ) -> StoreFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let script = redis::Script::new(TOUCH);
            let mut invocation = script.key(self.session_key(&hex(id_hash)));
            invocation.arg(at);
            self.run::<u8>(&invocation).await.map(drop)
        })
    }

    fn remove<'a>(&'a self, id_hash: &'a [u8; 32]) -> StoreFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let hex = hex(id_hash);
            let script = redis::Script::new(REMOVE);
            let mut invocation = script.key(self.session_key(&hex));
            invocation.arg(self.subject_prefix()).arg(&hex);
            self.run::<u8>(&invocation)
                .await
                .map(|removed| removed == 1)
        })
    }

    fn of_subject<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<Vec<SessionRecord>, StoreError>> {
        Box::pin(async move {
            let mut connection = self.store.connection().map_err(StoreError)?;
            let mut command = redis::cmd("SMEMBERS");
            command.arg(format!("{}{subject}", self.subject_prefix()));
            let ids: Vec<String> = self
                .store
                .bounded(command.query_async(&mut connection))
                .await
                .map_err(StoreError)?;
            let mut records = Vec::with_capacity(ids.len());
            let mut gone = Vec::new();
            for id in ids {
                match self.fetch(&id).await? {
                    Some(record) => records.push(record),
                    // A session Redis dropped at its absolute timeout left its id in the set,
                    // whose lifetime every login renews: forget it here, or the set grows.
                    None => gone.push(id),
                }
            }
            if !gone.is_empty() {
                let mut command = redis::cmd("SREM");
                command
                    .arg(format!("{}{subject}", self.subject_prefix()))
                    .arg(&gone);
                self.store
                    .bounded(command.query_async::<()>(&mut connection))
                    .await
                    .map_err(StoreError)?;
            }
            Ok(records)
        })
    }

    fn remove_subject<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<usize, StoreError>> {
        Box::pin(async move {
            let script = redis::Script::new(REMOVE_SUBJECT);
            let mut invocation = script.key(format!("{}{subject}", self.subject_prefix()));
            invocation.arg(format!("{}session:", self.store.prefix()));
            self.run::<usize>(&invocation).await
        })
    }
}
