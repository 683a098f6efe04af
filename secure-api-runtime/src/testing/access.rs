//! The probes of who may call a route: refused credentials, the CSRF check, roles and
//! scopes, another's resource.

use http::{HeaderName, HeaderValue, StatusCode, header};

use super::caller::{SCHEMES, bearer, header_value, malformed, scheme_name};
use super::checks::{clip, is_access_denied, is_refused_credential};
use super::exchange::App;
use super::forge;
use super::report::Probe;
use crate::auth::CSRF_HEADER;
use crate::auth::TokenRequest;
use crate::authz::DenyAs;
use crate::policy::{Policy, Schemes};
use crate::routing::{RouteInfo, Router};

use super::audit::{CROSS_SITE, Run, fill, is_safe};

impl<F: Fn() -> Router> Run<'_, F> {
    /// Every refused credential: exactly the generic `401` with a challenge.
    pub(super) async fn authentication(&mut self, route: &RouteInfo, policy: &Policy) {
        let app = self.app();
        let configured = app.config.auth().schemes();
        let accepted = policy.schemes().intersection(configured);
        let path = Self::missing_path(route);
        let mut cases: Vec<(Probe, Vec<(HeaderName, HeaderValue)>)> =
            vec![(Probe::NoCredential, Vec::new())];
        for scheme in SCHEMES {
            if !configured.contains(scheme) {
                continue;
            }
            if !accepted.contains(scheme) {
                match self.audit.a.credential(scheme) {
                    Some(headers) => cases.push((Probe::OtherScheme, headers)),
                    None => self.skipped(
                        route,
                        Probe::OtherScheme,
                        format!("no credential of A's of {}", scheme_name(scheme)),
                    ),
                }
                continue;
            }
            cases.push((Probe::MalformedCredential, malformed(scheme)));
        }
        if accepted.contains(Schemes::BEARER) {
            self.forged_tokens(route, &app, &mut cases).await;
        }
        for (probe, headers) in cases {
            if self.skips(route, probe) {
                continue;
            }
            // A fresh app, a fresh client: a route's limit by address must not answer first.
            let app = self.app();
            let answer = self.send(&app, route, probe, &path, &headers, None).await;
            if !is_refused_credential(&answer, accepted) {
                let got = format!("{}: {}", answer.summary(), clip(&answer.text));
                self.found(route, probe, "401 with a challenge", got);
            }
        }
        if accepted.contains(Schemes::SESSION) && !is_safe(&route.method) {
            self.cross_site(route, &app, &path).await;
        }
    }

    /// The forged tokens of A's, each a case of the authentication probe.
    async fn forged_tokens(
        &mut self,
        route: &RouteInfo,
        app: &App,
        cases: &mut Vec<(Probe, Vec<(HeaderName, HeaderValue)>)>,
    ) {
        let Some(valid) = self.audit.a.bearer.clone() else {
            self.skipped(
                route,
                Probe::AlgNone,
                "no bearer token of A's to forge from",
            );
            return;
        };
        let auth = app.config.auth().clone();
        for probe in [
            Probe::AlgNone,
            Probe::TamperedPayload,
            Probe::TruncatedSignature,
            Probe::ExpiredToken,
            Probe::OtherAudience,
            Probe::OtherIssuer,
            Probe::KeyConfusion,
        ] {
            match forge::tokens(probe, &valid, &auth) {
                Ok(tokens) => cases.extend(tokens.iter().map(|token| (probe, bearer(token)))),
                Err(reason) => self.skipped(route, probe, reason),
            }
        }
        // A token of A's subject, minted and then revoked.
        let subject = forge::subject_of(&valid);
        match auth.mint(&TokenRequest::new(subject.unwrap_or_default())) {
            Ok(minted)
                if auth
                    .revoke(&minted.token_id, minted.expires_at)
                    .await
                    .is_ok() =>
            {
                cases.push((Probe::RevokedToken, bearer(&minted.token)));
            }
            Ok(_) => self.skipped(route, Probe::RevokedToken, "the revocation store failed"),
            Err(error) => self.skipped(route, Probe::RevokedToken, error.to_string()),
        }
    }

    /// A's session cookie on an unsafe request that fails one of the two CSRF checks:
    /// from another site (without the token, and with it), and from the app's own pages
    /// without the token or with another. Each `403`: either check alone must refuse.
    async fn cross_site(&mut self, route: &RouteInfo, app: &App, path: &str) {
        let probe = Probe::CrossSiteRequest;
        let Some((cookie, token)) = self.audit.a.session.clone() else {
            self.skipped(route, probe, "no session of A's");
            return;
        };
        if self.skips(route, probe) {
            return;
        }
        let cross_site = (header::ORIGIN, HeaderValue::from_static(CROSS_SITE));
        let same_origin = (
            HeaderName::from_static("sec-fetch-site"),
            HeaderValue::from_static("same-origin"),
        );
        let csrf = |token: &str| (CSRF_HEADER, header_value(token));
        let cases = [
            ("from another site", vec![cross_site.clone()]),
            (
                "from another site, with the token",
                vec![cross_site, csrf(&token)],
            ),
            (
                "from the app's pages, without the token",
                vec![same_origin.clone()],
            ),
            (
                "from the app's pages, with another session's token",
                vec![same_origin, csrf("secure-api-audit-not-the-token")],
            ),
        ];
        for (case, mut headers) in cases {
            headers.push((header::COOKIE, header_value(&cookie)));
            let answer = self.send(app, route, probe, path, &headers, None).await;
            if !is_access_denied(&answer) {
                let expected = format!("403 Access denied {case}");
                self.found(route, probe, &expected, answer.summary());
            }
        }
    }

    /// A's credential on a route requiring a role or scope A lacks: `403`.
    pub(super) async fn requirements(&mut self, route: &RouteInfo, policy: &Policy) {
        let probes = [
            (
                Probe::MissingRole,
                !policy.required_roles().names().is_empty(),
            ),
            (
                Probe::MissingScope,
                !policy.required_scopes().names().is_empty(),
            ),
        ];
        for (probe, required) in probes {
            if !required || self.skips(route, probe) {
                continue;
            }
            if probe == Probe::MissingScope && probes[0].1 {
                // The role is checked first: A, without it, is refused before any scope.
                let reason = "the route also requires a role, checked first";
                self.skipped(route, probe, reason);
                continue;
            }
            let Some(headers) = self.audit.a.any_credential(policy.schemes()) else {
                self.skipped(route, probe, "no credential of A's the route accepts");
                continue;
            };
            let app = self.app();
            let path = Self::missing_path(route);
            let answer = self.send(&app, route, probe, &path, &headers, None).await;
            if !is_access_denied(&answer) {
                self.found(route, probe, "403 Access denied", answer.summary());
            }
        }
    }

    /// A on B's resource: the route's answer for another's, exactly a missing id's.
    pub(super) async fn ownership(&mut self, route: &RouteInfo, policy: &Policy) {
        let probe = Probe::OthersResource;
        if self.skips(route, probe) {
            return;
        }
        let Some(owned) = self
            .audit
            .owned
            .iter()
            .find(|owned| owned.path == route.path)
        else {
            self.skipped(route, probe, "no resource of B's given for this path");
            return;
        };
        let Some(headers) = self.audit.a.any_credential(policy.schemes()) else {
            self.skipped(route, probe, "no credential of A's the route accepts");
            return;
        };
        let app = self.app();
        let expected = match policy.deny().unwrap_or(app.config.deny_as()) {
            DenyAs::NotFound => StatusCode::NOT_FOUND,
            DenyAs::Forbidden => StatusCode::FORBIDDEN,
        };
        let body = (!is_safe(&route.method)).then(|| b"{}".to_vec());
        let mut headers = headers;
        if body.is_some() {
            headers.push((
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ));
        }
        let theirs = fill(&route.path, &owned.id);
        // The fixture first: B reads their own resource, or A's refusal proves nothing. (Only
        // a read: B's own update or delete would change what the other probes see.)
        if !is_safe(&route.method) && !self.has_read_route(&route.path) {
            let reason = "B's resource is unverified: no read route on this path to check it by";
            self.skipped(route, probe, reason);
        }
        if is_safe(&route.method) {
            let Some(own) = self.audit.b.any_credential(policy.schemes()) else {
                self.skipped(route, probe, "no credential of B's the route accepts");
                return;
            };
            // B's own answer holds B's values: it is not scanned for them.
            let secrets = std::mem::take(&mut self.secrets);
            let answer = self.send(&app, route, probe, &theirs, &own, None).await;
            self.secrets = secrets;
            if !answer.status.is_success() {
                let expected = "B's own read of the resource to succeed (the fixture)";
                self.found(route, probe, expected, answer.summary());
                return;
            }
        }
        let answer = self
            .send(&app, route, probe, &theirs, &headers, body.clone())
            .await;
        let missing = self
            .send(
                &app,
                route,
                probe,
                &Self::missing_path(route),
                &headers,
                body,
            )
            .await;
        if answer.status != expected {
            let expected = format!("{} {}", expected.as_u16(), "as for a missing id");
            self.found(route, probe, &expected, answer.summary());
        } else if expected == StatusCode::NOT_FOUND
            && answer.without_request_id() != missing.without_request_id()
        {
            let got = format!("{} against {}", clip(&answer.text), clip(&missing.text));
            self.found(route, probe, "the same answer as a missing id", got);
        }
    }
}
