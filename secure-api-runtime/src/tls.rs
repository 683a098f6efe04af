//! [`TlsConfig`]: a certificate chain and key for `secure_api::serve` to terminate TLS with.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::error::ConfigError;

/// A certificate chain and its private key, for [`Serve::tls`](crate::serve::Serve::tls).
///
/// TLS 1.2 and 1.3 only, with rustls's default cipher suites, on aws-lc-rs (the crypto backend
/// the JWT verification uses too, so one backend serves both). HTTP/2 and HTTP/1.1 are offered
/// by ALPN.
#[derive(Clone)]
pub struct TlsConfig {
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// From PEM text: the certificate chain (leaf first) and the private key (PKCS#8, PKCS#1
    /// or SEC1).
    pub fn from_pem(cert_chain: &[u8], private_key: &[u8]) -> Result<Self, ConfigError> {
        let invalid = |what: &str, error: &dyn std::fmt::Display| {
            ConfigError::InvalidSetting(format!("TLS {what}: {error}"))
        };
        let chain = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid("certificate", &e))?;
        if chain.is_empty() {
            return Err(ConfigError::InvalidSetting(
                "TLS certificate: no certificate in the PEM text".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(private_key).map_err(|e| invalid("key", &e))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid("config", &e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| invalid("certificate and key", &e))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// From PEM files.
    pub fn from_pem_files(cert_chain: &str, private_key: &str) -> Result<Self, ConfigError> {
        let read = |var: &str, path: &str| {
            std::fs::read(path).map_err(|e| {
                ConfigError::InvalidSetting(format!("TLS {var}: cannot read {path}: {e}"))
            })
        };
        Self::from_pem(
            &read("certificate", cert_chain)?,
            &read("key", private_key)?,
        )
    }

    /// From the files named by `TLS_CERT` and `TLS_KEY`; `None` when neither is set.
    /// `SecurityConfig::from_env` reads them too, and `serve` then uses them.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with variables looked up by `lookup`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
        match (var("TLS_CERT"), var("TLS_KEY")) {
            (Some(cert), Some(key)) => Self::from_pem_files(&cert, &key).map(Some),
            (None, None) => Ok(None),
            _ => Err(ConfigError::InvalidSetting(
                "set both TLS_CERT and TLS_KEY, or neither".into(),
            )),
        }
    }

    pub(crate) async fn accept<I>(&self, stream: I) -> std::io::Result<TlsStream<I>>
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        self.acceptor.accept(stream).await
    }
}
