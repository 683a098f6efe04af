//! The in-memory rate limiter, side by side with `governor`'s keyed limiter, in one run:
//!
//! - the cost of one decision (budget: under 1 µs), for one busy client and for many clients;
//! - the memory held for 1,000,000 distinct clients (budget: under 256 MiB), counted by a
//!   counting allocator rather than read from RSS, and what is left once they are idle.
//!
//! Run with `cargo bench --bench limiter`.

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::clock::FakeRelativeClock;
use secure_api::__private::MemoryLimiter;
use secure_api::rate::Quota;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const QUOTA: &str = "100/15m";
const CLIENTS: u32 = 1_000_000;
const DECISIONS: u32 = 2_000_000;
const ROUNDS: usize = 5;

fn main() {
    let quota: Quota = QUOTA.parse().unwrap();
    println!("quota {QUOTA}; {DECISIONS} decisions per round, best of {ROUNDS} rounds\n");
    println!(
        "{:<44} {:>12} {:>12}",
        "decision cost (ns per decision)", "secure-api", "governor"
    );
    decision_costs(quota);
    println!();
    println!(
        "{:<44} {:>12} {:>12}",
        "memory (MiB held)", "secure-api", "governor"
    );
    memory(quota);
}

fn governor_quota(quota: Quota) -> governor::Quota {
    governor::Quota::with_period(quota.refill_interval())
        .unwrap()
        .allow_burst(NonZeroU32::new(quota.count()).unwrap())
}

/// The key bytes of an IPv4 client, as the router counts it.
fn ip_key(client: u32) -> [u8; 5] {
    let [a, b, c, d] = client.to_be_bytes();
    [4, a, b, c, d]
}

fn best_ns_per_decision(mut round: impl FnMut() -> Duration) -> f64 {
    (0..ROUNDS)
        .map(|_| round().as_secs_f64() * 1e9 / f64::from(DECISIONS))
        .fold(f64::INFINITY, f64::min)
}

fn decision_costs(quota: Quota) {
    for (label, clients) in [("one busy client", 1), ("100,000 clients in turn", 100_000)] {
        let ours = MemoryLimiter::new(quota, CLIENTS as usize);
        let epoch = Instant::now();
        let mine = best_ns_per_decision(|| {
            let start = Instant::now();
            for i in 0..DECISIONS {
                let key = ip_key(i % clients);
                black_box(ours.check_at(&key, epoch.elapsed()).is_allowed());
            }
            start.elapsed()
        });
        let reference = governor::RateLimiter::dashmap(governor_quota(quota));
        let theirs = best_ns_per_decision(|| {
            let start = Instant::now();
            for i in 0..DECISIONS {
                let key = Ipv4Addr::from(i % clients);
                black_box(reference.check_key(&key).is_ok());
            }
            start.elapsed()
        });
        println!("{label:<44} {mine:>12.0} {theirs:>12.0}");
    }
}

fn mib(bytes: isize) -> f64 {
    #[allow(clippy::cast_precision_loss)] // a report, not arithmetic
    let bytes = bytes as f64;
    bytes / (1024.0 * 1024.0)
}

fn held(region: &Region<'_, std::alloc::System>) -> isize {
    let change = region.change();
    change.bytes_allocated.cast_signed() - change.bytes_deallocated.cast_signed()
        + change.bytes_reallocated
}

fn memory(quota: Quota) {
    let period = quota.period();

    // Ours: a million clients in the same instant, then idle for two periods, then ordinary
    // traffic (one request every 15 s for 17 minutes) that sweeps the shards as it goes.
    let region = Region::new(ALLOCATOR);
    let ours = MemoryLimiter::new(quota, CLIENTS as usize);
    for client in 0..CLIENTS {
        ours.check_at(&ip_key(client), Duration::ZERO);
    }
    let ours_full = held(&region);
    let remembered = ours.len();
    let idle = 2 * period;
    for step in 0..70 {
        ours.check_at(b"a later client", idle + Duration::from_secs(15 * step));
    }
    let ours_idle = held(&region);
    let kept = ours.len();

    // governor: the same clients on its keyed dashmap store, then its own reclaiming calls.
    let region = Region::new(ALLOCATOR);
    let clock = FakeRelativeClock::default();
    let reference = governor::RateLimiter::dashmap_with_clock(governor_quota(quota), clock.clone());
    for client in 0..CLIENTS {
        let _ = reference.check_key(&Ipv4Addr::from(client));
    }
    let theirs_full = held(&region);
    clock.advance(idle);
    reference.retain_recent();
    reference.shrink_to_fit();
    let theirs_idle = held(&region);

    println!(
        "{:<44} {:>12.1} {:>12.1}",
        format!("{CLIENTS} clients ({remembered} remembered)"),
        mib(ours_full),
        mib(theirs_full)
    );
    println!(
        "{:<44} {:>12.1} {:>12.1}",
        format!("after they went idle ({kept} remembered)"),
        mib(ours_idle),
        mib(theirs_idle)
    );
    drop(ours);
    drop(reference);
}
