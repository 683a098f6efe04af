//! One `GET` of an identity provider's document (discovery or key set), as strictly as a key
//! source deserves: `https` to any host, `http` only to a loopback address, no redirect
//! followed, a connect and a read timeout, and a cap on the body.
//!
//! It is hyper's own client connection over a tokio socket (and rustls on aws-lc-rs for
//! `https`, with the system's trusted roots): documents are fetched a few times an hour, so a
//! pooled client would buy nothing.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use http::{Request, StatusCode, Uri, header};
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// How a document is fetched: timeouts and the body cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FetchLimits {
    /// To connect (and finish the TLS handshake).
    pub(crate) connect: Duration,
    /// From the request sent to the last byte of the body.
    pub(crate) read: Duration,
    pub(crate) max_bytes: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(10),
            max_bytes: 1024 * 1024,
        }
    }
}

/// A fetched document and how long its server says it may be kept.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) body: Bytes,
    /// `Cache-Control: max-age`; `Some(0)` for `no-cache` or `no-store`.
    pub(crate) max_age: Option<Duration>,
}

/// Checks that `url` may be fetched at all: an absolute `https` URL, or `http` to a loopback
/// address (`127.0.0.1`, `[::1]`, `localhost`). Returns it parsed.
pub(crate) fn checked_url(url: &str) -> Result<Uri, String> {
    let uri: Uri = url.parse().map_err(|_| format!("`{url}` is not a URL"))?;
    let host = uri
        .host()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| format!("`{url}` has no host"))?;
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if is_loopback(host) => Ok(uri),
        Some("http") => Err(format!(
            "`{url}` is plain HTTP to another host: keys are fetched over HTTPS (plain HTTP only \
             to a loopback address)"
        )),
        _ => Err(format!("`{url}` is not an http(s) URL")),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Fetches `url`: `200` with a body under the cap, or why not, in words for the log.
pub(crate) async fn get(url: &str, limits: FetchLimits) -> Result<Fetched, String> {
    let uri = checked_url(url)?;
    let https = uri.scheme_str() == Some("https");
    let host = uri.host().unwrap_or_default().to_owned();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let bare_host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let connect = async {
        let stream = TcpStream::connect((bare_host.as_str(), port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        if !https {
            // A name that resolved to another host is refused like a URL that named one.
            let peer = stream.peer_addr().map_err(|e| e.to_string())?;
            if !peer.ip().is_loopback() {
                return Err("plain HTTP reached a host that is not loopback".to_owned());
            }
        }
        Ok(stream)
    };
    let stream = tokio::time::timeout(limits.connect, connect)
        .await
        .map_err(|_| format!("no connection within {:?}", limits.connect))??;
    let request = Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(header::HOST, authority(&uri))
        .header(header::ACCEPT, "application/json")
        .header(header::USER_AGENT, "secure-api")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    if https {
        let name = rustls::pki_types::ServerName::try_from(bare_host)
            .map_err(|_| format!("`{host}` is not a valid TLS server name"))?;
        let tls = tokio::time::timeout(limits.connect, connector()?.connect(name, stream))
            .await
            .map_err(|_| format!("no TLS handshake within {:?}", limits.connect))?
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        exchange(tls, request, limits).await
    } else {
        exchange(stream, request, limits).await
    }
}

fn authority(uri: &Uri) -> String {
    uri.authority()
        .map_or_else(String::new, |a| a.as_str().to_owned())
}

/// Sends `request` on `io` and reads the answer, within the read timeout.
async fn exchange<IO>(
    io: IO,
    request: Request<Empty<Bytes>>,
    limits: FetchLimits,
) -> Result<Fetched, String>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let read = async {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| format!("HTTP handshake failed: {e}"))?;
        // Drives the connection until the answer is read; dropped with this future.
        let driver = tokio::spawn(connection);
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("request failed: {e}"));
        let result = match response {
            Ok(response) => read_answer(response, limits.max_bytes).await,
            Err(error) => Err(error),
        };
        driver.abort();
        result
    };
    tokio::time::timeout(limits.read, read)
        .await
        .map_err(|_| format!("no complete answer within {:?}", limits.read))?
}

async fn read_answer(
    response: http::Response<hyper::body::Incoming>,
    max_bytes: usize,
) -> Result<Fetched, String> {
    let status = response.status();
    if status.is_redirection() {
        return Err(format!(
            "answered {status} (a redirect, which is never followed: configure the final URL)"
        ));
    }
    if status != StatusCode::OK {
        return Err(format!("answered {status}"));
    }
    let too_large = || format!("the document is larger than {max_bytes} bytes");
    let declared = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_bytes as u64) {
        return Err(too_large());
    }
    let max_age = max_age(response.headers());
    let body = Limited::new(response.into_body(), max_bytes)
        .collect()
        .await
        .map_err(|error| {
            if error.is::<http_body_util::LengthLimitError>() {
                too_large()
            } else {
                format!("reading the document failed: {error}")
            }
        })?
        .to_bytes();
    Ok(Fetched { body, max_age })
}

/// `Cache-Control: max-age=N`, or zero for `no-cache` and `no-store`.
fn max_age(headers: &http::HeaderMap) -> Option<Duration> {
    let mut found = None;
    for value in headers.get_all(header::CACHE_CONTROL) {
        let Ok(text) = value.to_str() else { continue };
        for directive in text.split(',').map(str::trim) {
            let lower = directive.to_ascii_lowercase();
            if lower == "no-cache" || lower == "no-store" {
                return Some(Duration::ZERO);
            }
            if let Some(seconds) = lower.strip_prefix("max-age=") {
                found = seconds
                    .trim_matches('"')
                    .parse()
                    .ok()
                    .map(Duration::from_secs);
            }
        }
    }
    found
}

/// The TLS client for `https` key sources: the system's roots, on aws-lc-rs.
fn connector() -> Result<tokio_rustls::TlsConnector, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::warn!(target: "secure_api::auth", %error, "a system root certificate could not be read");
        }
        let (added, _ignored) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            tracing::warn!(target: "secure_api::auth", "no system root certificates: HTTPS key sets cannot be verified");
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS client: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    });
    config.clone().map(tokio_rustls::TlsConnector::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(checked_url("https://idp.example.com/realms/main").is_ok());
        assert!(checked_url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(checked_url("http://[::1]:8080/jwks").is_ok());
        assert!(checked_url("http://localhost/jwks").is_ok());
        let error = checked_url("http://idp.example.com/jwks").unwrap_err();
        assert!(error.contains("plain HTTP to another host"), "{error}");
        assert!(checked_url("ftp://idp.example.com/jwks").is_err());
        assert!(checked_url("/jwks").is_err());
    }

    #[test]
    fn max_age_read_from_cache_control() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(max_age(&headers), None);
        headers.insert(
            header::CACHE_CONTROL,
            "public, max-age=3600".parse().unwrap(),
        );
        assert_eq!(max_age(&headers), Some(Duration::from_secs(3600)));
        headers.insert(header::CACHE_CONTROL, "no-store".parse().unwrap());
        assert_eq!(max_age(&headers), Some(Duration::ZERO));
    }
}
