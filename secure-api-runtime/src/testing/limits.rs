//! The probe of a route's rate limit.

use http::{StatusCode, header};

use super::exchange::App;
use super::report::Probe;
use crate::policy::{Access, Policy};
use crate::rate::{RateKey, covers};
use crate::routing::{RouteInfo, Router};

use super::audit::Run;

impl<F: Fn() -> Router> Run<'_, F> {
    /// The route's quota plus one, from one client: exactly one `429`, the last.
    pub(super) async fn rate_limit(&mut self, route: &RouteInfo, policy: &Policy) {
        let probe = Probe::RateLimit;
        let Some(rule) = policy.rate_limit() else {
            return;
        };
        if self.skips(route, probe) {
            return;
        }
        let quota = rule.quota().count();
        if quota > 1000 {
            self.skipped(
                route,
                probe,
                format!("a quota of {quota} is too many requests"),
            );
            return;
        }
        let router = (self.audit.app)();
        let general = router
            .general_limits()
            .iter()
            .filter(|limit| covers(&limit.prefix, &route.path))
            .map(|limit| limit.quota.count())
            .min();
        if general.is_some_and(|general| general <= quota) {
            let reason = "a general limit covering the path is as small as the route's";
            self.skipped(route, probe, reason);
            return;
        }
        let headers = if policy.access() == Access::Authenticated {
            let Some(headers) = self.audit.a.any_credential(policy.schemes()) else {
                self.skipped(route, probe, "no credential of A's the route accepts");
                return;
            };
            headers
        } else {
            Vec::new()
        };
        if rule.key() == RateKey::ApiKey && self.audit.a.api_key.is_none() {
            self.skipped(route, probe, "a limit by API key, and no key of A's");
            return;
        }
        let app = App::new(router);
        let path = Self::missing_path(route);
        // Until the first `429`: the quota passes, the next is refused, unless the budget
        // refilled meanwhile (one request every period / quota), which lets as many more
        // through. No `429` past quota + refills (or a bound) is the limit not working.
        let refill = rule.quota().refill_interval();
        let started = std::time::Instant::now();
        let bound = quota.saturating_mul(4).saturating_add(100);
        let mut sent = 0u32;
        let first_refusal = loop {
            let answer = self.send(&app, route, probe, &path, &headers, None).await;
            sent += 1;
            let refills = refills_in(started.elapsed(), refill);
            if answer.status == StatusCode::TOO_MANY_REQUESTS {
                break Some((sent - 1, refills, answer));
            }
            if sent > quota.saturating_add(refills) || sent > bound {
                break None;
            }
        };
        let expected = "a 429 once the quota is spent, with Retry-After and the RateLimit headers";
        match first_refusal {
            None => {
                let got = format!("no 429 in {sent} requests for a quota of {quota}");
                self.found(route, probe, expected, got);
            }
            Some((at, refills, answer)) => {
                let limited = answer.headers.contains_key(header::RETRY_AFTER)
                    && answer.headers.contains_key("ratelimit")
                    && answer.headers.contains_key("ratelimit-policy");
                let in_time = at >= quota && at <= quota.saturating_add(refills);
                if !(in_time && limited) {
                    let got = format!(
                        "the first 429 at request {} (quota {quota}, {refills} refilled){}",
                        at + 1,
                        if limited { "" } else { ", without the headers" }
                    );
                    self.found(route, probe, expected, got);
                }
            }
        }
    }
}

/// How many requests a budget refilling one every `interval` gave back in `elapsed` (one more
/// than whole intervals: the first refill may come at once).
fn refills_in(elapsed: std::time::Duration, interval: std::time::Duration) -> u32 {
    let whole = elapsed.as_nanos() / interval.as_nanos().max(1);
    u32::try_from(whole).unwrap_or(u32::MAX).saturating_add(1)
}
