//! The posture line, logged once when an app starts (target `secure_api::posture`): what an
//! operator checks before trusting a deployment, in one record. It names kinds and sources,
//! never a secret: no key material, no password of a Redis URL.

use std::fmt::{self, Write as _};

use jsonwebtoken::AlgorithmFamily;

use super::{Mode, SecurityConfig};

/// How many routes of each access an app serves.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RouteCounts {
    pub(crate) public: usize,
    pub(crate) authenticated: usize,
}

impl SecurityConfig {
    /// Logs the posture line for an app with these routes.
    pub(crate) fn log_posture(&self, routes: RouteCounts) {
        let settings = &self.inner;
        tracing::info!(
            target: "secure_api::posture",
            mode = match settings.mode {
                Mode::Development if settings.mode_declared => "development",
                Mode::Development => "development (by default)",
                Mode::Production => "production",
            },
            https = %self.https_sources(),
            keys = %self.key_kinds(),
            issuer = settings.auth.issuer().unwrap_or("not checked"),
            audience = settings.auth.audience().unwrap_or("not checked"),
            limiter = %self.limiter_store(),
            cors = %self.cors_summary(),
            public_routes = routes.public,
            auth_routes = routes.authenticated,
            "security posture"
        );
        self.warn_of_sessions();
    }

    /// Browser sessions that will not work as a deployment expects: development's cookie
    /// without `Secure`, or no origin their unsafe requests may come from.
    fn warn_of_sessions(&self) {
        let settings = &self.inner;
        if settings.auth.session_config().is_none() {
            return;
        }
        if settings.mode == Mode::Development {
            tracing::warn!(
                target: "secure_api::config",
                "development: over plain HTTP the session cookie is `session`, without Secure \
                 (browsers refuse `__Host-session` without it); production always sets \
                 `__Host-session; Secure`"
            );
        }
        if self.csrf_origins().is_empty() {
            tracing::warn!(
                target: "secure_api::config",
                "browser sessions with no allowed origin: set PUBLIC_URL or \
                 CORS_ALLOWED_ORIGINS, or every unsafe request with a session cookie and an \
                 Origin header is refused (CSRF)"
            );
        }
    }

    /// Where the framework learns that a request came over HTTPS.
    fn https_sources(&self) -> String {
        let settings = &self.inner;
        let sources = [
            (settings.tls.is_some(), "tls"),
            (settings.https.assumes_https(), "declared (HTTPS_ONLY)"),
            (
                !settings.trusted_proxies.is_empty(),
                "proxy (X-Forwarded-Proto of TRUSTED_PROXIES)",
            ),
        ];
        let named: Vec<&str> = sources
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect();
        if named.is_empty() {
            "none (plain HTTP)".to_owned()
        } else {
            named.join(" + ")
        }
    }

    /// Each key's algorithm and kind: `HS256 secret`, `RS256 rsa-2048 kid=idp`, `EdDSA ed25519
    /// signing`.
    fn key_kinds(&self) -> String {
        let mut kinds = String::new();
        for key in self.inner.auth.keys() {
            if !kinds.is_empty() {
                kinds.push_str(", ");
            }
            let _ = write!(kinds, "{:?} ", key.algorithm());
            match (key.algorithm().family(), key.rsa_bits()) {
                (AlgorithmFamily::Hmac, _) if self.inner.ephemeral_key => {
                    kinds.push_str("secret (ephemeral)");
                }
                (AlgorithmFamily::Hmac, _) => kinds.push_str("secret"),
                (_, Some(bits)) => {
                    let _ = write!(kinds, "rsa-{bits}");
                }
                (AlgorithmFamily::Ec, _) => kinds.push_str("ec"),
                (_, None) => kinds.push_str("ed25519"),
            }
            if key.is_asymmetric() && key.can_sign() {
                kinds.push_str(" signing");
            }
            if let Some(kid) = key.kid() {
                let _ = write!(kinds, " kid={kid}");
            }
        }
        kinds
    }

    /// Where rate limits are counted.
    #[cfg_attr(
        not(feature = "redis"),
        expect(
            clippy::unused_self,
            reason = "only the Redis store is read from the config"
        )
    )]
    fn limiter_store(&self) -> String {
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.inner.redis {
            return redis.describe();
        }
        "memory (this process)".to_owned()
    }

    fn cors_summary(&self) -> impl fmt::Display + '_ {
        struct Summary<'a>(Option<&'a crate::transport::Cors>);
        impl fmt::Display for Summary<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    None => f.write_str("off"),
                    Some(cors) => cors.summarize(f),
                }
            }
        }
        Summary(self.inner.cors.as_ref())
    }
}
