//! Rate limits on the shared Redis store ([`RedisStore`]), one budget for every instance.
//!
//! Each decision is one Lua script run atomically on the server, with the server's clock
//! (`TIME`), so instances with skewed clocks still share one budget, and concurrent requests
//! from any number of instances never pass more than the quota. The key of a client expires
//! on its own when its budget is full again. While Redis cannot be reached, a limit answers as
//! the store's [`FailureMode`] says.
//!
//! Redis counts in whole microseconds, so a quota's refill interval is rounded down to one: for
//! quotas near the limit of one request per microsecond (`1000000/1s`) that is a real
//! difference; for any quota a person writes it is none.

use super::gcra::{Gcra, Outcome};
use super::key::{ClientKey, Unavailable};
use super::quota::Quota;
use crate::client_ip::ip_label;
use crate::store::{FailureMode, RedisStore};

/// The Redis store counts in microseconds, the resolution of Redis's `TIME`.
pub(crate) const TICKS_PER_SEC: u64 = 1_000_000;

/// GCRA on the server. KEYS[1]: the client. ARGV: interval and tolerance in microseconds.
/// Returns {allowed, ahead}: how far the TAT runs ahead of now, after the update when allowed,
/// before it when refused (see `gcra.rs`, which reads the reply).
const GCRA_SCRIPT: &str = r"
redis.replicate_commands()
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local ahead = tat - now
if ahead > tolerance then
  return {0, ahead}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, new_tat - now}
";

/// One route's or general limit's counts on Redis.
pub(crate) struct RedisLimiter {
    store: RedisStore,
    script: redis::Script,
    key_prefix: String,
    gcra: Gcra,
}

impl RedisLimiter {
    /// A limiter for `quota` on `store`, whose keys start with `id`.
    pub(crate) fn new(store: &RedisStore, id: &str, quota: Quota) -> Self {
        Self {
            store: store.clone(),
            script: redis::Script::new(GCRA_SCRIPT),
            key_prefix: format!("{}rate:{id}:", store.prefix()),
            gcra: Gcra::new(quota, TICKS_PER_SEC),
        }
    }

    pub(crate) async fn check(&self, client: ClientKey<'_>) -> Result<Outcome, Unavailable> {
        let key = match client {
            ClientKey::Ip(address) => format!("{}ip:{}", self.key_prefix, ip_label(address)),
            ClientKey::User(id) => format!("{}user:{id}", self.key_prefix),
            ClientKey::ApiKey(id) => format!("{}api_key:{id}", self.key_prefix),
            // The keyed hash in hex: never the account's name.
            ClientKey::Account(key) => {
                let mut name = format!("{}account:", self.key_prefix);
                for byte in key {
                    let _ = std::fmt::Write::write_fmt(&mut name, format_args!("{byte:02x}"));
                }
                name
            }
        };
        let unavailable = |reason| Unavailable {
            reason,
            fail_open: self.store.failure() == FailureMode::Open,
        };
        let mut connection = self.store.connection().map_err(unavailable)?;
        let mut invocation = self.script.key(key);
        invocation
            .arg(self.gcra.interval())
            .arg(self.gcra.tolerance());
        let reply: Result<(u8, u64), String> = self
            .store
            .bounded(invocation.invoke_async(&mut connection))
            .await;
        match reply {
            Ok((allowed, ahead)) => Ok(self.gcra.outcome(allowed == 1, ahead)),
            Err(reason) => Err(unavailable(reason)),
        }
    }
}
