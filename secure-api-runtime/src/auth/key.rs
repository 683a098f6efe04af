//! One JWT key: the algorithm it is pinned to, how to verify with it, and (optionally) how to sign.

use std::fmt;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};

use crate::error::ConfigError;

/// The least number of bytes an HMAC secret may have, whatever the hash.
pub const MIN_HMAC_SECRET_BYTES: usize = 32;

/// The fewest bits an RSA key may have (NIST SP 800-131A): shorter keys are refused when loaded.
pub const MIN_RSA_BITS: usize = 2048;

/// RSA keys shorter than this are loaded with a warning: under 128-bit security (NIST SP
/// 800-57). For tokens the app mints, `EdDSA` or `ES256` are smaller and stronger.
pub const RECOMMENDED_RSA_BITS: usize = 3072;

/// A verification key pinned to one algorithm, with an optional `kid` and an optional signing key.
///
/// A token is only ever checked with the algorithm of the key that verifies it, so a token that
/// names another algorithm (`none`, or `HS256` against an RSA key) is refused before any
/// signature work. RSA keys under [`MIN_RSA_BITS`] are refused when loaded, and keys under
/// [`RECOMMENDED_RSA_BITS`] are named in a warning when the config is built: RSA stays for
/// verifying an identity provider's tokens, but new deployments mint with `EdDSA` or `ES256`.
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
    /// The modulus length of an RSA key; `None` for the other families.
    pub(crate) rsa_bits: Option<usize>,
    /// An RSA public key as configured: what an attacker who knows the public key would make
    /// an HMAC secret of (the self-audit's key-confusion probe does).
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) public_form: Option<PublicForm>,
}

/// How an RSA public key was given.
#[derive(Clone)]
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) enum PublicForm {
    /// PEM text.
    Pem(Vec<u8>),
    /// DER bytes (`RSAPublicKey` or `SubjectPublicKeyInfo`).
    Der(Vec<u8>),
    /// An entry of a JWKS document.
    Jwk(Box<jsonwebtoken::jwk::Jwk>),
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
            rsa_bits: None,
            public_form: None,
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
        let rsa_bits = rsa_size(algorithm, decoding.try_get_as_bytes().ok())?;
        Ok(Self {
            algorithm,
            decoding,
            encoding: None,
            kid: None,
            rsa_bits,
            public_form: rsa_bits.map(|_| PublicForm::Pem(pem.to_vec())),
        })
    }

    /// A public key in DER (for RSA the `RSAPublicKey` or `SubjectPublicKeyInfo` bytes, for EC
    /// the uncompressed point, for Ed25519 the raw 32 bytes), for verification only.
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
        let rsa_bits = rsa_size(algorithm, Some(der))?;
        Ok(Self {
            algorithm,
            decoding,
            encoding: None,
            kid: None,
            rsa_bits,
            public_form: rsa_bits.map(|_| PublicForm::Der(der.to_vec())),
        })
    }

    /// A key from one entry of a JWKS document, for verifying signatures: its `use`, when
    /// present, must be `sig`. Its `alg`, when present, pins the key; when absent (as Entra ID
    /// serves its keys) the algorithm follows from the key: RSA `RS256`, EC `P-256` `ES256` and
    /// `P-384` `ES384`, OKP `Ed25519` `EdDSA`. Its `kid` becomes the key's id. Shared secrets
    /// are refused: they are configured with [`JwtKey::hmac`], never read from a key set.
    pub fn from_jwk(jwk: &jsonwebtoken::jwk::Jwk) -> Result<Self, ConfigError> {
        use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, PublicKeyUse};
        if let Some(usage) = &jwk.common.public_key_use
            && *usage != PublicKeyUse::Signature
        {
            return Err(ConfigError::InvalidKey(
                "a JWK whose `use` is not `sig` does not verify signatures".into(),
            ));
        }
        let implied = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
            AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                EllipticCurve::P256 => Some(Algorithm::ES256),
                EllipticCurve::P384 => Some(Algorithm::ES384),
                _ => None,
            },
            AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
                Some(Algorithm::EdDSA)
            }
            _ => None,
        };
        let algorithm = match jwk.common.key_algorithm {
            Some(alg) => Algorithm::try_from(alg).ok(),
            None => implied,
        }
        .ok_or(ConfigError::InvalidKey(
            "a JWK whose `alg` is not a signing algorithm, or absent and not implied by the key"
                .into(),
        ))?;
        // An `alg` that names another curve than the key's is refused, not trusted.
        if let (AlgorithmParameters::EllipticCurve(_), Some(implied)) = (&jwk.algorithm, implied)
            && implied != algorithm
        {
            return Err(ConfigError::AlgorithmMismatch {
                algorithm,
                key: "a JWK of another curve",
            });
        }
        if algorithm.family() == AlgorithmFamily::Hmac {
            return Err(ConfigError::AlgorithmMismatch {
                algorithm,
                key: "a JWK (shared secrets are configured with JwtKey::hmac)",
            });
        }
        let rsa_bits = match &jwk.algorithm {
            jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) => {
                let modulus = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(rsa.n.trim_end_matches('='))
                    .map_err(|_| {
                        ConfigError::InvalidKey("an RSA JWK's `n` is not base64url".into())
                    })?;
                Some(checked_rsa_bits(unsigned_bits(&modulus))?)
            }
            _ if algorithm.family() == AlgorithmFamily::Rsa => {
                return Err(ConfigError::AlgorithmMismatch {
                    algorithm,
                    key: "a JWK that is not an RSA key",
                });
            }
            _ => None,
        };
        Ok(Self {
            algorithm,
            decoding: DecodingKey::from_jwk(jwk).map_err(ConfigError::invalid_key)?,
            encoding: None,
            kid: jwk.common.key_id.clone(),
            rsa_bits,
            public_form: rsa_bits.map(|_| PublicForm::Jwk(Box::new(jwk.clone()))),
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
        rsa_size(self.algorithm, Some(encoding.as_bytes()))?;
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

    /// Whether tokens are verified with a public key (RSA, EC, Ed25519) rather than a secret
    /// only this app holds: others may hold the private key, and sign tokens meant for others.
    pub fn is_asymmetric(&self) -> bool {
        self.algorithm.family() != AlgorithmFamily::Hmac
    }

    /// The length of an RSA key's modulus in bits; `None` for other keys.
    pub fn rsa_bits(&self) -> Option<usize> {
        self.rsa_bits
    }
}

/// For an RSA algorithm, the modulus length of `der`, checked against [`MIN_RSA_BITS`]:
/// `RSAPublicKey` or `SubjectPublicKeyInfo` for public keys, `RSAPrivateKey` for private ones
/// (what jsonwebtoken keeps of a PEM). aws-lc-rs would refuse a short key only at the first
/// signature, so that every token is refused with a bare `401`; here it stops start-up.
fn rsa_size(algorithm: Algorithm, der: Option<&[u8]>) -> Result<Option<usize>, ConfigError> {
    if algorithm.family() != AlgorithmFamily::Rsa {
        return Ok(None);
    }
    let bits = der.and_then(rsa_modulus_bits).ok_or_else(|| {
        ConfigError::InvalidKey(format!("{algorithm:?} needs an RSA key, and this is none"))
    })?;
    checked_rsa_bits(bits).map(Some)
}

fn checked_rsa_bits(bits: usize) -> Result<usize, ConfigError> {
    if bits < MIN_RSA_BITS {
        return Err(ConfigError::WeakRsaKey {
            bits,
            min_bits: MIN_RSA_BITS,
        });
    }
    Ok(bits)
}

/// The modulus length of an RSA key in DER: `SEQUENCE { n, e }` (public), `SEQUENCE { 0, n, e,
/// ... }` (private), or a `SubjectPublicKeyInfo` whose bit string holds the public one.
fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    use simple_asn1::ASN1Block;
    let blocks = simple_asn1::from_der(der).ok()?;
    let [ASN1Block::Sequence(_, items)] = blocks.as_slice() else {
        return None;
    };
    let bits = |n: &simple_asn1::BigInt| usize::try_from(n.bits()).ok();
    match items.as_slice() {
        [ASN1Block::Integer(_, n), ASN1Block::Integer(_, _)]
        | [ASN1Block::Integer(_, _), ASN1Block::Integer(_, n), _, ..] => bits(n),
        [ASN1Block::Sequence(..), ASN1Block::BitString(_, _, inner)] => rsa_modulus_bits(inner),
        _ => None,
    }
}

/// The bit length of a big-endian unsigned integer.
fn unsigned_bits(bytes: &[u8]) -> usize {
    let Some(first) = bytes.iter().position(|&byte| byte != 0) else {
        return 0;
    };
    (bytes.len() - first) * 8 - bytes[first].leading_zeros() as usize
}

impl fmt::Debug for JwtKey {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .field("rsa_bits", &self.rsa_bits)
            .field("can_sign", &self.can_sign())
            .finish_non_exhaustive()
    }
}
