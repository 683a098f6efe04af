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
        let mut refused = Vec::new();
        let mut last = None;
        for n in 0..=quota {
            let answer = self.send(&app, route, probe, &path, &headers, None).await;
            if answer.status == StatusCode::TOO_MANY_REQUESTS {
                refused.push(n);
            }
            last = Some(answer);
        }
        let Some(last) = last else { return };
        let limited = last.headers.contains_key(header::RETRY_AFTER)
            && last.headers.contains_key("ratelimit")
            && last.headers.contains_key("ratelimit-policy");
        if refused != [quota] || !limited {
            let got = format!(
                "429 at requests {refused:?} of {}; the last: {}",
                quota + 1,
                last.summary()
            );
            let expected = "one 429, the last, with Retry-After and the RateLimit headers";
            self.found(route, probe, expected, got);
        }
    }
}
