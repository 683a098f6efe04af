//! [`ConfigError`]: a configuration that must not start.

use std::error::Error as StdError;
use std::fmt;

/// A configuration that must not start: reported when the config is built, never at request time.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// An HMAC secret shorter than its algorithm allows.
    WeakSecret {
        /// The algorithm the secret was given for.
        algorithm: jsonwebtoken::Algorithm,
        /// The least length accepted, in bytes.
        min_bytes: usize,
        /// The length given, in bytes.
        actual_bytes: usize,
    },
    /// A key of one kind given for an algorithm of another.
    AlgorithmMismatch {
        /// The algorithm requested.
        algorithm: jsonwebtoken::Algorithm,
        /// What was given instead.
        key: &'static str,
    },
    /// An RSA key shorter than [`MIN_RSA_BITS`](crate::auth::MIN_RSA_BITS).
    WeakRsaKey {
        /// The key's modulus length.
        bits: usize,
        /// The least length accepted.
        min_bits: usize,
    },
    /// Key material that does not parse.
    InvalidKey(String),
    /// Several keys where one of them has no `kid`, or two share one.
    AmbiguousKeys(String),
    /// An authentication config without any key.
    NoKeys,
    /// Production mode without a configured secret or key.
    MissingSecret,
    /// An environment variable with a value that does not parse.
    InvalidEnv {
        /// The variable.
        var: &'static str,
        /// What is wrong with it (never the value, which may be a secret).
        reason: String,
    },
    /// A setting outside its allowed range.
    InvalidSetting(String),
    /// No JWT crypto provider could be installed.
    NoCryptoProvider,
    /// An identity provider gave no keys at start-up.
    KeysUnavailable {
        /// The URL fetched first (the discovery document's, or the key set's).
        url: String,
        /// Why there are no keys.
        reason: String,
    },
}

impl ConfigError {
    #[allow(clippy::needless_pass_by_value)] // used as `map_err(ConfigError::invalid_key)`
    pub(crate) fn invalid_key(error: jsonwebtoken::errors::Error) -> Self {
        Self::InvalidKey(error.to_string())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WeakSecret {
                algorithm,
                min_bytes,
                actual_bytes,
            } => write!(
                f,
                "the {algorithm:?} secret is {actual_bytes} bytes long; it must be at least \
                 {min_bytes} random bytes"
            ),
            Self::AlgorithmMismatch { algorithm, key } => {
                write!(f, "{algorithm:?} cannot be used with {key}")
            }
            Self::WeakRsaKey { bits, min_bits } => write!(
                f,
                "the RSA key has {bits} bits; at least {min_bits} are required (for tokens the \
                 app mints, EdDSA or ES256 are smaller and stronger)"
            ),
            Self::InvalidKey(reason) => write!(f, "invalid JWT key: {reason}"),
            Self::AmbiguousKeys(reason) => write!(f, "ambiguous JWT key set: {reason}"),
            Self::NoKeys => f.write_str(
                "the authentication config has no key: give a key, a JWKS document, an issuer URL \
                 or a JWKS URL",
            ),
            Self::MissingSecret => f.write_str(
                "production mode needs a JWT key: set JWT_SECRET (at least 32 bytes) or configure \
                 one in code; refusing to start",
            ),
            Self::InvalidEnv { var, reason } => write!(f, "environment variable {var}: {reason}"),
            Self::InvalidSetting(reason) => f.write_str(reason),
            Self::NoCryptoProvider => f.write_str(
                "no JWT crypto provider could be installed (jsonwebtoken's CryptoProvider)",
            ),
            Self::KeysUnavailable { url, reason } => write!(
                f,
                "no keys from the identity provider at {url}: {reason}; refusing to start \
                 (AuthConfigBuilder::start_without_keys starts and answers 503 until they arrive)"
            ),
        }
    }
}

impl StdError for ConfigError {}
