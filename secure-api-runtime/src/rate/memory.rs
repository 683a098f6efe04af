//! The in-memory limiter: a keyed GCRA with bounded memory.
//!
//! Keys are hashed with a per-limiter random `SipHash` key into 64 bits, so every client costs the
//! same 16 bytes of table whatever its key (an IPv6 prefix or a long user id), and a client
//! cannot aim collisions it cannot compute. The table is split into shards, each behind its own
//! lock, so concurrent requests rarely wait and never see a half-made decision.
//!
//! A key whose TAT has passed has a full budget, exactly like a key never seen, so forgetting
//! it changes no decision: the limiter sweeps such keys, one shard at a time, as requests come
//! in, and gives the memory back when a shard shrinks. No task needs spawning.
//!
//! The number of keys is capped. When a new client arrives while the table is full, expired
//! entries are swept first; if every client is still within its window, the new client is
//! refused (`429`) until entries expire, and a warning is logged: evicting a live entry instead
//! would hand its owner, perhaps the very attacker flooding the table, a fresh budget.
//! (Concurrent arrivals can overshoot the cap by at most the number of threads deciding.)

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::Quota;
use super::gcra::{Gcra, Outcome};

const SHARDS: usize = 64;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// The default cap on distinct keys per limiter.
pub const DEFAULT_MAX_KEYS: usize = 1_000_000;

/// A keyed GCRA limiter in this process's memory: one per route, one per general limit.
///
/// Times are given by the caller as durations since any fixed instant, so the limiter can be
/// driven by a real clock or a test's.
///
/// Reached through `secure_api::__private` (the router makes one per limit); its tests and
/// `benches/limiter.rs` drive it directly.
pub struct MemoryLimiter {
    gcra: Gcra,
    quota: Quota,
    hasher: RandomState,
    shards: Box<[Mutex<Shard>]>,
    max_keys: usize,
    /// Keys held across all shards.
    keys: AtomicUsize,
    /// When the last sweep of every shard for room was made, in nanoseconds.
    swept_all_at: AtomicU64,
    /// When the next shard is due for a sweep, in nanoseconds.
    next_sweep: AtomicU64,
    sweep_every: u64,
    sweep_cursor: AtomicUsize,
    /// When the last "table full" warning was logged, in nanoseconds (0: never).
    warned_full_at: AtomicU64,
}

/// One lock's share of the clients.
#[derive(Default)]
struct Shard {
    /// Each client's theoretical arrival time, by key hash.
    tats: HashMap<u64, u64, BuildHasherDefault<PreHashed>>,
    /// No entry expires before this time (a lower bound), so sweeping earlier finds nothing:
    /// a flood of newcomers to a full table cannot make every request scan the shard.
    next_expiry: u64,
}

/// The decision about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Check {
    outcome: Outcome,
}

impl Check {
    /// Whether the request may pass.
    pub fn is_allowed(&self) -> bool {
        self.outcome.allowed
    }

    /// How many more requests would pass right now.
    pub fn remaining(&self) -> u32 {
        self.outcome.remaining
    }

    /// For a refusal, how long until a request may pass.
    pub fn retry_after(&self) -> Option<Duration> {
        (!self.outcome.allowed).then(|| Duration::from_nanos(self.outcome.reset))
    }

    /// How long until one more request is available (for a refusal, the same as
    /// [`retry_after`](Self::retry_after)).
    pub fn reset(&self) -> Duration {
        Duration::from_nanos(self.outcome.reset)
    }

    pub(crate) fn outcome(&self) -> Outcome {
        self.outcome
    }
}

impl MemoryLimiter {
    /// A limiter for `quota` that remembers at most about `max_keys` clients at once.
    pub fn new(quota: Quota, max_keys: usize) -> Self {
        let gcra = Gcra::new(quota, NANOS_PER_SEC);
        // A full pass over the shards takes about one period (at least a minute, at most an
        // hour), by which time every key seen before the pass began may be reclaimable.
        let pass = quota
            .period()
            .clamp(Duration::from_secs(60), Duration::from_secs(3600));
        let sweep_every = u64::try_from(pass.as_nanos() / SHARDS as u128).unwrap_or(u64::MAX);
        Self {
            gcra,
            quota,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            max_keys: max_keys.max(1),
            keys: AtomicUsize::new(0),
            swept_all_at: AtomicU64::new(0),
            next_sweep: AtomicU64::new(sweep_every),
            sweep_every,
            sweep_cursor: AtomicUsize::new(0),
            warned_full_at: AtomicU64::new(0),
        }
    }

    /// The quota this limiter enforces.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    /// Decides a request from client `key` at time `now` (since any fixed instant, the same for
    /// every call), and spends one request of the key's budget if it passes.
    pub fn check_at(&self, key: &[u8], now: Duration) -> Check {
        let now = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        let hash = self.hasher.hash_one(key);
        // The high bits pick the shard; the map hashes with the low ones.
        let shard_index = usize::try_from(hash >> 58).unwrap_or(0) % SHARDS;
        let outcome = {
            let mut shard = lock(&self.shards[shard_index]);
            // The count first: it is a load, and a full table is rare.
            if self.keys.load(Ordering::Relaxed) >= self.max_keys && !shard.tats.contains_key(&hash)
            {
                self.sweep(&mut shard, now);
                if self.keys.load(Ordering::Relaxed) >= self.max_keys {
                    drop(shard);
                    let made_room = self.make_room(now);
                    shard = lock(&self.shards[shard_index]);
                    // A concurrent request from this very client may have added it meanwhile:
                    // then it is decided on that entry like any known client.
                    if !made_room && !shard.tats.contains_key(&hash) {
                        drop(shard);
                        self.warn_full(now);
                        return Check {
                            outcome: self.gcra.refusal_for_one_interval(),
                        };
                    }
                }
            }
            self.decide_in(&mut shard, hash, now)
        };
        self.sweep_if_due(now);
        Check { outcome }
    }

    /// Decides for `hash` in its (locked) shard, adding the client if it passes.
    fn decide_in(&self, shard: &mut Shard, hash: u64, now: u64) -> Outcome {
        match shard.tats.entry(hash) {
            Entry::Occupied(mut entry) => {
                let (outcome, new_tat) = self.gcra.decide(Some(*entry.get()), now);
                if let Some(new_tat) = new_tat {
                    *entry.get_mut() = new_tat;
                }
                outcome
            }
            Entry::Vacant(entry) => {
                let (outcome, new_tat) = self.gcra.decide(None, now);
                if let Some(new_tat) = new_tat {
                    entry.insert(new_tat);
                    self.keys.fetch_add(1, Ordering::Relaxed);
                    shard.next_expiry = shard.next_expiry.min(new_tat);
                }
                outcome
            }
        }
    }

    /// How many clients the limiter remembers.
    pub fn len(&self) -> usize {
        self.keys.load(Ordering::Relaxed)
    }

    /// Whether the limiter remembers no client.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets, in every shard, the clients whose budget is full again at `now`, and gives the
    /// memory back. Requests do this a shard at a time; this does it all at once.
    pub fn reclaim_at(&self, now: Duration) {
        let now = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        for shard in &*self.shards {
            self.sweep(&mut lock(shard), now);
        }
    }

    /// The table is full: sweeps every shard, at most once a second, and says whether that
    /// made room.
    fn make_room(&self, now: u64) -> bool {
        let last = self.swept_all_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= NANOS_PER_SEC
            && self
                .swept_all_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            for shard in &*self.shards {
                self.sweep(&mut lock(shard), now);
            }
        }
        self.keys.load(Ordering::Relaxed) < self.max_keys
    }

    /// Forgets the keys of one shard whose budget is full again at `now`.
    fn sweep(&self, shard: &mut Shard, now: u64) {
        if now < shard.next_expiry {
            return;
        }
        let before = shard.tats.len();
        let mut earliest = u64::MAX;
        shard.tats.retain(|_, tat| {
            let keep = *tat > now;
            if keep {
                earliest = earliest.min(*tat);
            }
            keep
        });
        shard.next_expiry = earliest;
        self.keys
            .fetch_sub(before - shard.tats.len(), Ordering::Relaxed);
        if shard.tats.capacity() > 64 && shard.tats.len() < shard.tats.capacity() / 4 {
            shard.tats.shrink_to_fit();
        }
    }

    fn sweep_if_due(&self, now: u64) {
        let due = self.next_sweep.load(Ordering::Relaxed);
        if now < due {
            return;
        }
        // One request wins the sweep; the others go on.
        let next = now.saturating_add(self.sweep_every);
        if self
            .next_sweep
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let index = self.sweep_cursor.fetch_add(1, Ordering::Relaxed) % SHARDS;
        self.sweep(&mut lock(&self.shards[index]), now);
    }

    fn warn_full(&self, now: u64) {
        let last = self.warned_full_at.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= 60 * NANOS_PER_SEC)
            && self
                .warned_full_at
                .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                target: "secure_api::rate",
                quota = %self.quota,
                max_keys = self.max_keys,
                "rate limiter full of active clients: new clients are refused until entries expire"
            );
        }
    }
}

impl std::fmt::Debug for MemoryLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryLimiter")
            .field("quota", &self.quota)
            .field("max_keys", &self.max_keys)
            .finish_non_exhaustive()
    }
}

fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    // A decision never panics while holding the lock; if something did, the map is still a
    // valid map of TATs.
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The map's keys are already `SipHash` values: use them as they are.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; fold anything else in, for completeness.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_burst_is_the_quota_and_a_refusal_says_when_the_next_request_fits() {
        let limiter = MemoryLimiter::new("5/15m".parse().unwrap(), 1000);
        for _ in 0..5 {
            assert!(limiter.check_at(b"203.0.113.9", secs(0)).is_allowed());
        }
        let refused = limiter.check_at(b"203.0.113.9", secs(0));
        assert_eq!(refused.retry_after(), Some(secs(180)));
        assert!(limiter.check_at(b"203.0.113.9", secs(180)).is_allowed());
    }

    #[test]
    fn keys_have_their_own_budgets() {
        let limiter = MemoryLimiter::new("2/1m".parse().unwrap(), 100);
        assert!(limiter.check_at(b"a", secs(0)).is_allowed());
        assert!(limiter.check_at(b"a", secs(0)).is_allowed());
        assert!(!limiter.check_at(b"a", secs(0)).is_allowed());
        assert!(limiter.check_at(b"b", secs(0)).is_allowed());
    }

    #[test]
    fn a_full_table_refuses_new_clients_but_not_known_ones() {
        let limiter = MemoryLimiter::new("2/1m".parse().unwrap(), 100);
        let mut admitted = Vec::new();
        let mut refused = 0;
        for i in 0..1000 {
            let key = i.to_string();
            let check = limiter.check_at(key.as_bytes(), secs(0));
            if check.is_allowed() {
                admitted.push(key);
            } else {
                assert_eq!(check.retry_after(), Some(secs(30)));
                refused += 1;
            }
        }
        assert_eq!(admitted.len(), 100, "exactly the cap fits");
        assert_eq!(refused, 900);
        assert_eq!(limiter.len(), 100);
        assert!(
            limiter
                .check_at(admitted[0].as_bytes(), secs(0))
                .is_allowed()
        );
        // Once the known clients' windows pass, their entries make room for new ones.
        assert!(limiter.check_at(b"newcomer", secs(61)).is_allowed());
    }

    fn shard_of(limiter: &MemoryLimiter, key: &[u8]) -> usize {
        usize::try_from(limiter.hasher.hash_one(key) >> 58).unwrap() % SHARDS
    }

    /// Concurrent first requests of one client, while a full table is making room, pass once:
    /// whoever relocks the shard after another added the client decides on its entry.
    #[test]
    fn a_full_table_making_room_never_gives_one_client_two_budgets() {
        const EXPIRED: usize = 2_000;
        const LIVE: usize = 20_000;
        const THREADS: usize = 4;
        let hour = secs(3600);
        for _ in 0..3 {
            let limiter = Arc::new(MemoryLimiter::new("1/1h".parse().unwrap(), EXPIRED + LIVE));
            let client = (0u64..1_000_000)
                .map(|i| format!("client{i}").into_bytes())
                .find(|k| shard_of(&limiter, k) > 1)
                .unwrap();
            let shard = shard_of(&limiter, &client);
            let keys_in = |shard: usize, n: usize, tag: &str| -> Vec<Vec<u8>> {
                (0u64..u64::MAX)
                    .map(|i| format!("{tag}{i}").into_bytes())
                    .filter(|k| shard_of(&limiter, k) == shard)
                    .take(n)
                    .collect()
            };
            // Expired entries elsewhere, live ones in the client's own shard: only a full
            // sweep, done outside the client's shard lock, makes room.
            for key in keys_in(1, EXPIRED, "old") {
                limiter.check_at(&key, Duration::ZERO);
            }
            for key in keys_in(shard, LIVE, "live") {
                limiter.check_at(&key, 2 * hour);
            }
            assert_eq!(limiter.len(), EXPIRED + LIVE);
            let barrier = Arc::new(Barrier::new(THREADS));
            let passed = (0..THREADS)
                .map(|_| {
                    let (limiter, barrier, client) =
                        (Arc::clone(&limiter), Arc::clone(&barrier), client.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        limiter.check_at(&client, 2 * hour).is_allowed()
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .filter(|_| true)
                .map(|thread| thread.join().unwrap())
                .filter(|allowed| *allowed)
                .count();
            assert_eq!(passed, 1, "a quota of one passed {passed} requests");
        }
    }

    #[test]
    fn times_near_the_end_of_u64_do_not_overflow() {
        let limiter = MemoryLimiter::new("1/1h".parse().unwrap(), 10);
        let near = Duration::from_nanos(u64::MAX - 7200 * NANOS_PER_SEC);
        assert!(limiter.check_at(b"k", near).is_allowed());
        assert!(!limiter.check_at(b"k", near).is_allowed());
        // At the very end time saturates instead of wrapping or panicking.
        limiter.check_at(b"k", Duration::from_nanos(u64::MAX));
        limiter.check_at(b"k", Duration::MAX);
    }

    #[test]
    fn idle_clients_are_reclaimed_by_later_requests() {
        let limiter = MemoryLimiter::new("5/1m".parse().unwrap(), 1_000_000);
        for i in 0..10_000u32 {
            limiter.check_at(&i.to_le_bytes(), secs(0));
        }
        assert_eq!(limiter.len(), 10_000);
        // A pass over all shards takes one period (a minute here); requests drive it.
        for step in 0..=SHARDS as u64 {
            limiter.check_at(b"someone", secs(120) + secs(step));
        }
        assert_eq!(
            limiter.len(),
            1,
            "only the client still within its window is kept"
        );
    }
}
