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
