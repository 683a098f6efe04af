//! The probes of a route's rate limits: by client, and by account.

use http::{HeaderName, HeaderValue, StatusCode, header};

use super::checks::is_invalid_input;
use super::exchange::App;
use super::inputs::valid_inputs;
use super::report::Probe;
use crate::policy::{Access, Policy};
use crate::rate::{Quota, RateKey, covers};
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
        let Some(headers) = self.headers_of_a(route, &[probe]) else {
            return;
        };
        if rule.key() == RateKey::ApiKey && self.audit.a.api_key.is_none() {
            self.skipped(route, probe, "a limit by API key, and no key of A's");
            return;
        }
        let path = Self::missing_path(route);
        let budget = Budget {
            quota: rule.quota(),
            path,
            headers,
            body: None,
            from_many_addresses: false,
        };
        self.until_refused(route, probe, App::new(router), budget)
            .await;
    }

    /// The route's quota by account plus one attempt on one account, each from a client of
    /// its own: exactly one `429`, the last. Each attempt is an input the route accepts,
    /// whose account field is the same (the sampler's).
    pub(super) async fn account_limit(&mut self, route: &RouteInfo, policy: &Policy) {
        let probe = Probe::AccountLimit;
        let Some(rule) = policy.account_limit() else {
            return;
        };
        if self.skips(route, probe) {
            return;
        }
        let quota = rule.quota().count();
        if let Some(own) = policy.rate_limit()
            && own.key() != RateKey::Ip
            && own.quota().count() <= quota
        {
            // Every attempt is A's: the route's own limit by user answers first.
            let reason = "the route's own limit by user is as small, and answers first";
            self.skipped(route, probe, reason);
            return;
        }
        let Some(target) = self.input_target(route, policy, &[probe]) else {
            return;
        };
        let (query, body) = valid_inputs(policy);
        let Some((media, body)) = body else {
            self.skipped(
                route,
                probe,
                "the input naming the account is beyond the sampler",
            );
            return;
        };
        let path = target.path_with(query.as_deref());
        let mut headers = target.credential;
        headers.push((header::CONTENT_TYPE, HeaderValue::from_static(media)));
        let budget = Budget {
            quota: rule.quota(),
            path,
            headers,
            body: Some(body),
            from_many_addresses: true,
        };
        self.until_refused(route, probe, self.app(), budget).await;
    }

    /// Each general limit (`Router::rate_limit`): its quota plus one request from one client
    /// to a route it covers, a read whose own limit (if any) is larger: exactly one `429`, the
    /// last. Made once per limit, after the routes' probes.
    pub(super) async fn general_limits(&mut self) {
        let probe = Probe::GeneralLimit;
        let router = (self.audit.app)();
        let general = router.general_limits();
        let inventory = self.routes.clone();
        for limit in general {
            let quota = limit.quota.count();
            // A route no smaller general limit covers: that one would answer first.
            let covered = |route: &&RouteInfo| {
                covers(&limit.prefix, &route.path)
                    && general.iter().all(|other| {
                        other == limit
                            || !covers(&other.prefix, &route.path)
                            || other.quota.count() > quota
                    })
                    && route.method == http::Method::GET
                    && route
                        .policy
                        .rate_limit()
                        .is_none_or(|own| own.quota().count() > quota)
            };
            // A public route first: no credential's own limits in the way.
            let route = inventory
                .iter()
                .filter(covered)
                .min_by_key(|route| route.policy.access() == Access::Authenticated);
            let Some(route) = route else {
                let reason = format!(
                    "no read under {} without a smaller limit of its own or another general one",
                    limit.prefix
                );
                self.skipped_limit(&limit.prefix, reason);
                continue;
            };
            let Some(headers) = self.headers_of_a(route, &[probe]) else {
                continue;
            };
            if self.skips(route, probe) {
                continue;
            }
            let budget = Budget {
                quota: limit.quota,
                path: Self::missing_path(route),
                headers,
                body: None,
                from_many_addresses: false,
            };
            self.until_refused(route, probe, self.app(), budget).await;
        }
    }

    /// Requests until the first `429`: the quota passes, the next is refused, unless the
    /// budget refilled meanwhile (one request every period / quota), which lets as many more
    /// through. No `429` past quota + refills (or a bound) is the limit not working.
    async fn until_refused(
        &mut self,
        route: &RouteInfo,
        probe: Probe,
        mut app: App,
        budget: Budget,
    ) {
        let quota = budget.quota.count();
        if quota > 1000 {
            let reason = format!("a quota of {quota} is too many requests");
            self.skipped(route, probe, reason);
            return;
        }
        let refill = budget.quota.refill_interval();
        let started = std::time::Instant::now();
        let bound = quota.saturating_mul(4).saturating_add(100);
        let mut sent = 0u32;
        let first_refusal = loop {
            if budget.from_many_addresses {
                app.move_to_new_address();
            }
            let body = budget.body.clone();
            let answer = self
                .send(&app, route, probe, &budget.path, &budget.headers, body)
                .await;
            sent += 1;
            let refills = refills_in(started.elapsed(), refill);
            if answer.status == StatusCode::TOO_MANY_REQUESTS {
                break Some((sent - 1, refills, answer));
            }
            if sent == 1 && budget.body.is_some() && is_invalid_input(&answer) {
                // Refused by the input's rules, before the account was counted: the sample
                // proves nothing. (A handler's own 400 comes after the count.)
                let reason = format!("the sampled input was refused: {}", answer.summary());
                self.skipped(route, probe, reason);
                return;
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

/// The requests of a limit probe.
struct Budget {
    quota: Quota,
    path: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Vec<u8>>,
    /// Each request from another client: a limit by account must not care.
    from_many_addresses: bool,
}

/// How many requests a budget refilling one every `interval` gave back in `elapsed` (one more
/// than whole intervals: the first refill may come at once).
fn refills_in(elapsed: std::time::Duration, interval: std::time::Duration) -> u32 {
    let whole = elapsed.as_nanos() / interval.as_nanos().max(1);
    u32::try_from(whole).unwrap_or(u32::MAX).saturating_add(1)
}
