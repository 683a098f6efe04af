//! One JWT key: the algorithm it is pinned to, how to verify with it, and (optionally) how to sign.

use std::fmt;

use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};

use crate::error::ConfigError;

/// The least number of bytes an HMAC secret may have, whatever the hash.
pub const MIN_HMAC_SECRET_BYTES: usize = 32;

/// A verification key pinned to one algorithm, with an optional `kid` and an optional signing key.
///
/// A token is only ever checked with the algorithm of the key that verifies it, so a token that
/// names another algorithm (`none`, or `HS256` against an RSA key) is refused before any
/// signature work.
///
/// ```
/// use secure_api::auth::{Algorithm, JwtKey};
///
/// let key = JwtKey::hmac(Algorithm::HS256, "a secret of at least thirty-two bytes!!")?;
/// assert_eq!(key.algorithm(), Algorithm::HS256);
/// assert!(JwtKey::hs256("too short").is_err());
/// # Ok::<(), secure_api::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct JwtKey {
    pub(crate) algorithm: Algorithm,
    pub(crate) decoding: DecodingKey,
    pub(crate) encoding: Option<EncodingKey>,
    pub(crate) kid: Option<String>,
}

impl JwtKey {
    /// An HMAC key (`HS256`, `HS384` or `HS512`) from a shared secret, which both verifies and
    /// signs. The secret must be at least 32 bytes, and at least as long as the hash output
    /// (48 bytes for `HS384`, 64 for `HS512`), as RFC 7518 §3.2 requires.
    pub fn hmac(algorithm: Algorithm, secret: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let secret = secret.as_ref();
        let min_bytes = match algorithm {
            Algorithm::HS256 => MIN_HMAC_SECRET_BYTES,
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            other => {
                return Err(ConfigError::AlgorithmMismatch {
                    algorithm: other,
                    key: "an HMAC secret",
                });
            }
        };
        if secret.len() < min_bytes {
            return Err(ConfigError::WeakSecret {
                algorithm,
                min_bytes,
                actual_bytes: secret.len(),
            });
        }
        Ok(Self {
            algorithm,
            decoding: DecodingKey::from_secret(secret).map_err(ConfigError::invalid_key)?,
            encoding: Some(EncodingKey::from_secret(secret).map_err(ConfigError::invalid_key)?),
            kid: None,
        })
    }

    /// `JwtKey::hmac(Algorithm::HS256, secret)`.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        Self::hmac(Algorithm::HS256, secret)
    }

    /// A public key in PEM for verification only: RSA (`RS*`, `PS*`), EC (`ES256`, `ES384`) or
    /// Ed25519 (`EdDSA`), as `algorithm` says. Add [`JwtKey::with_signing_pem`] to mint tokens.
    pub fn public_pem(algorithm: Algorithm, pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let pem = pem.as_ref();
        let decoding = match algorithm.family() {
            AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem),
            AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem),
            AlgorithmFamily::Ed => DecodingKey::from_ed_pem(pem),
            AlgorithmFamily::Hmac => {
                return Err(ConfigError::AlgorithmMismatch {
                    algorithm,
                    key: "a public key (use JwtKey::hmac for a shared secret)",
                });
            }
        }
        .map_err(ConfigError::invalid_key)?;
        Ok(Self {
            algorithm,
            decoding,
            encoding: None,
            kid: None,
        })
    }

    /// A public key in DER (the `SubjectPublicKeyInfo` bytes for RSA and EC, the raw 32 bytes
    /// for Ed25519), for verification only.
    pub fn public_der(algorithm: Algorithm, der: &[u8]) -> Result<Self, ConfigError> {
        let decoding = match algorithm.family() {
            AlgorithmFamily::Rsa => DecodingKey::from_rsa_der(der),
            AlgorithmFamily::Ec => DecodingKey::from_ec_der(der),
            AlgorithmFamily::Ed => DecodingKey::from_ed_der(der),
            AlgorithmFamily::Hmac => {
                return Err(ConfigError::AlgorithmMismatch {
                    algorithm,
                    key: "a public key (use JwtKey::hmac for a shared secret)",
                });
            }
        };
        Ok(Self {
            algorithm,
            decoding,
            encoding: None,
            kid: None,
        })
    }

    /// A key from one entry of a JWKS document. The entry's `alg` is required, since the
    /// algorithm is pinned to the key, and its `kid` becomes the key's id.
    pub fn from_jwk(jwk: &jsonwebtoken::jwk::Jwk) -> Result<Self, ConfigError> {
        let algorithm = jwk
            .common
            .key_algorithm
            .and_then(|alg| Algorithm::try_from(alg).ok())
            .ok_or(ConfigError::InvalidKey(
                "a JWK without a signing `alg` cannot be pinned to an algorithm".into(),
            ))?;
        if algorithm.family() == AlgorithmFamily::Hmac {
            return Err(ConfigError::AlgorithmMismatch {
                algorithm,
                key: "a JWK (shared secrets are configured with JwtKey::hmac)",
            });
        }
        Ok(Self {
            algorithm,
            decoding: DecodingKey::from_jwk(jwk).map_err(ConfigError::invalid_key)?,
            encoding: None,
            kid: jwk.common.key_id.clone(),
        })
    }

    /// Adds the private key, in PEM, that signs the tokens this key verifies.
    pub fn with_signing_pem(mut self, pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let pem = pem.as_ref();
        let encoding = match self.algorithm.family() {
            AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(pem),
            AlgorithmFamily::Ec => EncodingKey::from_ec_pem(pem),
            AlgorithmFamily::Ed => EncodingKey::from_ed_pem(pem),
            AlgorithmFamily::Hmac => return Ok(self),
        }
        .map_err(ConfigError::invalid_key)?;
        self.encoding = Some(encoding);
        Ok(self)
    }

    /// Names the key. A token that carries a `kid` is only verified by the key of that id.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The one algorithm this key accepts.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether this key can mint tokens.
    pub fn can_sign(&self) -> bool {
        self.encoding.is_some()
    }
}

impl fmt::Debug for JwtKey {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .field("can_sign", &self.can_sign())
            .finish_non_exhaustive()
    }
}
