use super::*;
use std::collections::HashMap;
use std::time::Duration;

fn from(vars: &[(&str, &str)]) -> Result<SecurityConfig, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    SecurityConfig::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn production_without_secret_refuses_to_start() {
    assert_eq!(
        from(&[("SECURE_API_ENV", "production")]).unwrap_err(),
        ConfigError::MissingSecret
    );
}

#[test]
fn development_without_secret_uses_an_ephemeral_key() {
    let config = from(&[]).unwrap();
    assert_eq!(config.mode(), Mode::Development);
    assert!(
        config
            .auth()
            .mint(&crate::auth::TokenRequest::new("u"))
            .is_ok()
    );
}

#[test]
fn short_secret_is_refused() {
    let err = from(&[("JWT_SECRET", "short")]).unwrap_err();
    assert!(matches!(
        err,
        ConfigError::WeakSecret {
            actual_bytes: 5,
            min_bytes: 32,
            ..
        }
    ));
}

#[test]
fn settings_are_read() {
    let config = from(&[
        ("SECURE_API_ENV", "production"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("JWT_ISSUER", "iss"),
        ("JWT_AUDIENCE", "aud"),
        ("JWT_TTL_SECS", "60"),
        ("BODY_LIMIT_BYTES", "10"),
        ("HTTPS_ONLY", "true"),
    ])
    .unwrap();
    assert_eq!(config.auth().issuer(), Some("iss"));
    assert_eq!(config.auth().audience(), Some("aud"));
    assert_eq!(config.auth().token_ttl(), Duration::from_secs(60));
    assert_eq!(config.body_limit(), 10);
}

#[test]
fn rate_settings_are_read_and_checked() {
    let config = from(&[
        ("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.0.1"),
        ("RATE_LIMIT_MAX_KEYS", "5000"),
    ])
    .unwrap();
    assert!(
        config
            .trusted_proxies()
            .contains("10.2.3.4".parse().unwrap())
    );
    assert!(
        !config
            .trusted_proxies()
            .contains("192.168.0.2".parse().unwrap())
    );
    assert_eq!(config.rate_max_keys(), 5000);
    assert_eq!(from(&[]).unwrap().rate_max_keys(), DEFAULT_MAX_KEYS);

    let err = from(&[("TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment variable TRUSTED_PROXIES: `proxy.internal` is not an IP address or a \
         CIDR block such as `10.0.0.0/8`"
    );
    let err = from(&[("RATE_LIMIT_REDIS_FAILURE", "sometimes")]).unwrap_err();
    assert!(matches!(
        err,
        ConfigError::InvalidEnv {
            var: "RATE_LIMIT_REDIS_FAILURE",
            ..
        }
    ));
    assert!(matches!(
        from(&[("RATE_LIMIT_MAX_KEYS", "0")]).unwrap_err(),
        ConfigError::InvalidSetting(_)
    ));
}

#[cfg(feature = "redis")]
#[test]
fn a_redis_url_moves_limits_and_revocations_to_redis() {
    // The store connects lazily: building the config needs no server.
    let config = from(&[
        ("REDIS_URL", "redis://127.0.0.1:1/"),
        ("RATE_LIMIT_REDIS_FAILURE", "open"),
    ])
    .unwrap();
    let redis = config.redis().expect("a Redis store");
    assert!(format!("{redis:?}").contains("Open"));
    assert!(matches!(
        from(&[("REDIS_URL", "not a url")]).unwrap_err(),
        ConfigError::InvalidEnv {
            var: "REDIS_URL",
            ..
        }
    ));
}

#[cfg(feature = "redis")]
#[test]
fn production_refuses_plain_redis_beyond_loopback_unless_declared() {
    let production = |redis: &[(&'static str, &'static str)]| {
        let mut vars = vec![
            ("SECURE_API_ENV", "production"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("HTTPS_ONLY", "true"),
        ];
        vars.extend_from_slice(redis);
        from(&vars)
    };
    let refused = production(&[("REDIS_URL", "redis://cache.internal:6379/")]).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "production sends rate limits and revoked tokens to Redis at cache.internal in clear: \
         use a rediss:// URL in REDIS_URL (TLS), or set REDIS_ALLOW_PLAINTEXT=true if the \
         network to it is private by other means"
    );
    assert!(production(&[("REDIS_URL", "redis://10.0.0.5/")]).is_err());
    // Deliberate, on loopback, over TLS, or in development: accepted.
    for accepted in [
        &[
            ("REDIS_URL", "redis://10.0.0.5/"),
            ("REDIS_ALLOW_PLAINTEXT", "true"),
        ][..],
        &[("REDIS_URL", "redis://127.0.0.1:6379/")],
        &[("REDIS_URL", "redis://localhost/")],
        &[("REDIS_URL", "redis://[::1]:6379/")],
        &[("REDIS_URL", "rediss://cache.internal:6380/")],
    ] {
        let config = production(accepted).unwrap_or_else(|e| panic!("{accepted:?}: {e}"));
        let tls = accepted[0].1.starts_with("rediss://");
        assert_eq!(config.redis().unwrap().is_tls(), tls, "{accepted:?}");
    }
    assert!(from(&[("REDIS_URL", "redis://10.0.0.5/")]).is_ok());
    assert!(matches!(
        production(&[
            ("REDIS_URL", "redis://10.0.0.5/"),
            ("REDIS_ALLOW_PLAINTEXT", "maybe")
        ])
        .unwrap_err(),
        ConfigError::InvalidEnv {
            var: "REDIS_ALLOW_PLAINTEXT",
            ..
        }
    ));
}

#[cfg(feature = "redis")]
#[test]
fn redis_root_certificates_need_a_tls_url_and_a_readable_file() {
    let dir = std::env::temp_dir().join(format!("secure-api-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(&ca, certified.cert.pem()).unwrap();
    let ca = ca.to_str().unwrap();

    let config = from(&[
        ("REDIS_URL", "rediss://localhost:6380/"),
        ("REDIS_CA_CERT", ca),
    ])
    .unwrap();
    assert!(config.redis().unwrap().is_tls());
    let plain = from(&[("REDIS_URL", "redis://localhost/"), ("REDIS_CA_CERT", ca)]).unwrap_err();
    assert_eq!(
        plain.to_string(),
        "environment variable REDIS_CA_CERT: root certificates are for TLS: REDIS_URL must be \
         rediss://"
    );
    let missing = from(&[
        ("REDIS_URL", "rediss://localhost/"),
        ("REDIS_CA_CERT", "/nonexistent/ca.pem"),
    ])
    .unwrap_err();
    assert!(matches!(
        missing,
        ConfigError::InvalidEnv {
            var: "REDIS_CA_CERT",
            ..
        }
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(not(feature = "redis"))]
#[test]
fn a_redis_url_without_the_feature_stops_start_up() {
    assert!(matches!(
        from(&[("REDIS_URL", "redis://127.0.0.1/")]).unwrap_err(),
        ConfigError::InvalidEnv {
            var: "REDIS_URL",
            ..
        }
    ));
}

#[test]
fn bad_values_name_the_variable_but_not_the_value() {
    let err = from(&[("JWT_LEEWAY_SECS", "soon")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment variable JWT_LEEWAY_SECS: not a valid non-negative number"
    );
    let err = from(&[("SECURE_API_ENV", "staging")]).unwrap_err();
    assert!(matches!(
        err,
        ConfigError::InvalidEnv {
            var: "SECURE_API_ENV",
            ..
        }
    ));
}

#[test]
fn connection_caps_are_read_and_checked() {
    let config = from(&[
        ("MAX_CONNECTIONS", "2000"),
        ("MAX_CONNECTIONS_PER_CLIENT", "16"),
    ])
    .unwrap();
    assert_eq!(config.connections().max_connections, 2000);
    assert_eq!(config.connections().max_connections_per_client, 16);
    let defaults = from(&[]).unwrap();
    assert_eq!(defaults.connections().max_connections_per_client, 256);
    for (var, value) in [
        ("MAX_CONNECTIONS_PER_CLIENT", "0"),
        ("MAX_CONNECTIONS", "many"),
    ] {
        assert!(
            matches!(from(&[(var, value)]), Err(ConfigError::InvalidEnv { var: v, .. }) if v == var),
            "{var}={value}"
        );
    }
}

#[test]
fn https_redirect_is_safe_all_or_off() {
    use crate::transport::PlainHttp;
    let origin = ("PUBLIC_URL", "https://api.example.com");
    for (value, expected) in [
        ("safe", PlainHttp::RedirectSafe),
        ("true", PlainHttp::RedirectSafe),
        ("ALL", PlainHttp::RedirectAll),
        ("off", PlainHttp::Serve),
        ("false", PlainHttp::Serve),
    ] {
        let config = from(&[origin, ("HTTPS_REDIRECT", value)]).unwrap();
        assert_eq!(config.https().plain_http_in(false), expected, "{value}");
    }
    let production = from(&[
        origin,
        ("SECURE_API_ENV", "production"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("TRUSTED_PROXIES", "10.0.0.0/8"),
    ])
    .unwrap();
    assert_eq!(
        production.https().plain_http_in(true),
        PlainHttp::RedirectSafe
    );
    let error = from(&[("HTTPS_REDIRECT", "sometimes")]).unwrap_err();
    assert!(
        matches!(
            error,
            ConfigError::InvalidEnv {
                var: "HTTPS_REDIRECT",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn production_needs_a_source_of_the_scheme() {
    let production = [
        ("SECURE_API_ENV", "production"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
    ];
    let error = from(&production).unwrap_err().to_string();
    for variable in ["TLS_CERT", "HTTPS_ONLY", "TRUSTED_PROXIES"] {
        assert!(error.contains(variable), "{error}");
    }
    for source in [
        [
            ("HTTPS_ONLY", "true"),
            ("PUBLIC_URL", "https://api.example.com"),
        ],
        [
            ("TRUSTED_PROXIES", "10.0.0.0/8"),
            ("PUBLIC_URL", "https://api.example.com"),
        ],
    ] {
        let mut vars = production.to_vec();
        vars.extend(source);
        assert!(from(&vars).is_ok(), "{source:?}");
    }
    // Development has no such need.
    assert!(from(&[("JWT_SECRET", "0123456789abcdef0123456789abcdef")]).is_ok());
}

#[test]
fn identity_providers_come_from_the_environment() {
    let config = from(&[
        (
            "JWT_ISSUER_URL",
            "https://idp.example.com/realms/main, https://tenant.auth0.example/",
        ),
        ("JWT_AUDIENCE", "blog-api"),
        ("JWT_TOKEN_TYPE", "at+jwt"),
    ])
    .unwrap();
    let auth = config.auth();
    assert_eq!(
        auth.issuer_urls().collect::<Vec<_>>(),
        [
            "https://idp.example.com/realms/main",
            "https://tenant.auth0.example/"
        ]
    );
    // The provider's keys are the key: no ephemeral development key is made.
    assert_eq!(auth.keys().len(), 0);
    assert_eq!(auth.token_type(), Some("at+jwt"));

    let config = from(&[
        ("JWKS_URL", "https://idp.example.com/keys"),
        ("JWT_ISSUER", "idp"),
    ])
    .unwrap();
    assert_eq!(
        config.auth().jwks_urls().collect::<Vec<_>>(),
        ["https://idp.example.com/keys"]
    );
    // A key-set URL takes the place of local keys: both at once are ambiguous.
    let err = from(&[
        ("JWKS_URL", "https://idp.example.com/keys"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
    ])
    .unwrap_err();
    assert!(matches!(err, ConfigError::AmbiguousKeys(_)), "{err}");
}

#[test]
fn production_takes_provider_tokens_only_for_its_audience() {
    let err = from(&[
        ("SECURE_API_ENV", "production"),
        ("JWT_ISSUER_URL", "https://idp.example.com/realms/main"),
        ("HTTPS_ONLY", "true"),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("set JWT_AUDIENCE"), "{err}");
    let err = from(&[
        ("SECURE_API_ENV", "production"),
        ("JWT_ISSUER_URL", "http://idp.example.com/realms/main"),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("plain HTTP"), "{err}");
}

#[test]
fn one_key_source_per_issuer() {
    use crate::auth::{AuthConfig, JwtKey};
    let key = || JwtKey::hs256("0123456789abcdef0123456789abcdef").unwrap();
    let ambiguous = [
        // Local keys and a discovered issuer of the same name.
        AuthConfig::builder()
            .key(key())
            .issuer("https://idp.example.com")
            .issuer_url("https://idp.example.com"),
        // The same issuer twice.
        AuthConfig::builder()
            .issuer_url("https://idp.example.com")
            .issuer_url("https://idp.example.com"),
        // A key-set URL beside local keys: both would verify the configured issuer's tokens.
        AuthConfig::builder()
            .key(key())
            .jwks_url("https://idp.example.com/keys"),
    ];
    for builder in ambiguous {
        let error = builder.build().unwrap_err();
        assert!(matches!(error, ConfigError::AmbiguousKeys(_)), "{error}");
    }
    // Local keys for the app's own issuer beside another's discovery are fine.
    assert!(
        AuthConfig::builder()
            .key(key())
            .issuer("blog")
            .issuer_url("https://idp.example.com")
            .build()
            .is_ok()
    );
}
