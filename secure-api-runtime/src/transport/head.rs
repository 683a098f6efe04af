//! [`HeadLimits`]: how large a request's head may be, checked by the gate and answered with the
//! full envelope (JSON body, security headers, request id, audit record).
//!
//! hyper parses the head first, under ceilings `secure_api::serve` sets above these limits
//! ([`HYPER_HEAD_CEILING`], and hyper's own 100 headers). What passes hyper but not these
//! limits gets the framework's `431` or `414`; what hyper itself refuses gets hyper's bodyless
//! answer, which the server still audits (decision `malformed`).

use http::{HeaderMap, Method, StatusCode, Uri};

use crate::error::{ApiError, ConfigError};

/// The default most bytes of request line plus headers: 16 KiB.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;
/// The default most headers in a request.
pub const DEFAULT_MAX_HEADERS: usize = 100;
/// The default most bytes of a request's URI: 8 KiB.
pub const DEFAULT_MAX_URI_BYTES: usize = 8 * 1024;
/// The head size past which hyper answers `431` itself (its read buffer for HTTP/1, the header
/// list for HTTP/2), set by `secure_api::serve`. The framework's limit stays below it.
pub const HYPER_HEAD_CEILING: usize = 64 * 1024;
/// hyper's own cap on the headers of an HTTP/1 request (not raised: it allocates per request).
const HYPER_MAX_HEADERS: usize = 100;

/// The limits on a request's head: request line plus headers (`MAX_HEADER_BYTES`, default
/// 16 KiB), header count (`MAX_HEADERS`, default 100) and URI length (`MAX_URI_BYTES`, default
/// 8 KiB). Over any of them: `431` for the headers, `414` for the URI.
///
/// ```
/// use secure_api::transport::HeadLimits;
///
/// let limits = HeadLimits::default().max_header_bytes(8 * 1024).max_uri_bytes(2048);
/// assert_eq!((limits.header_bytes(), limits.headers()), (8192, 100));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadLimits {
    header_bytes: usize,
    headers: usize,
    uri_bytes: usize,
}

impl Default for HeadLimits {
    fn default() -> Self {
        Self {
            header_bytes: DEFAULT_MAX_HEADER_BYTES,
            headers: DEFAULT_MAX_HEADERS,
            uri_bytes: DEFAULT_MAX_URI_BYTES,
        }
    }
}

impl HeadLimits {
    /// The most bytes of request line plus headers, as sent on HTTP/1.1 (`name: value\r\n`).
    #[must_use]
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.header_bytes = bytes;
        self
    }

    /// The most headers in a request (at most 100, hyper's own cap).
    #[must_use]
    pub fn max_headers(mut self, count: usize) -> Self {
        self.headers = count;
        self
    }

    /// The most bytes of a request's URI.
    #[must_use]
    pub fn max_uri_bytes(mut self, bytes: usize) -> Self {
        self.uri_bytes = bytes;
        self
    }

    /// The most bytes of request line plus headers.
    pub fn header_bytes(&self) -> usize {
        self.header_bytes
    }

    /// The most headers in a request.
    pub fn headers(&self) -> usize {
        self.headers
    }

    /// The most bytes of a request's URI.
    pub fn uri_bytes(&self) -> usize {
        self.uri_bytes
    }

    /// Refuses limits that hyper would answer before the framework could, or that refuse
    /// every request.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let invalid = |reason: String| Err(ConfigError::InvalidSetting(reason));
        // Room under hyper's ceiling for the head the framework refuses to still be read.
        if self.header_bytes > HYPER_HEAD_CEILING / 2 {
            return invalid(format!(
                "the header limit may be at most {} bytes (hyper answers heads past {} itself)",
                HYPER_HEAD_CEILING / 2,
                HYPER_HEAD_CEILING
            ));
        }
        if self.headers > HYPER_MAX_HEADERS {
            return invalid(format!(
                "the header count limit may be at most {HYPER_MAX_HEADERS} (hyper's own)"
            ));
        }
        if self.header_bytes < 1024 || self.headers < 8 || self.uri_bytes < 256 {
            return invalid(
                "head limits below 1 KiB of headers, 8 headers or a 256-byte URI refuse \
                 ordinary requests"
                    .into(),
            );
        }
        Ok(())
    }

    /// The refusal of a head over the limits, if it is.
    pub(crate) fn refusal(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Option<ApiError> {
        let uri_bytes = uri_length(uri);
        if uri_bytes > self.uri_bytes {
            return Some(
                ApiError::status(StatusCode::URI_TOO_LONG).with_reason("URI over the limit"),
            );
        }
        if headers.len() > self.headers {
            return Some(
                ApiError::status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
                    .with_reason("more headers than the limit"),
            );
        }
        // `METHOD URI HTTP/1.1\r\n`, then `name: value\r\n` per header.
        let mut bytes = method.as_str().len() + uri_bytes + 12;
        for (name, value) in headers {
            bytes += name.as_str().len() + value.len() + 4;
        }
        (bytes > self.header_bytes).then(|| {
            ApiError::status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
                .with_reason("request head over the limit")
        })
    }
}

/// The URI's length as the client sent it: path and query, with scheme and authority when it
/// came in absolute form.
fn uri_length(uri: &Uri) -> usize {
    let path_and_query = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    let authority = uri.authority().map_or(0, |a| a.as_str().len());
    let scheme = uri.scheme_str().map_or(0, |s| s.len() + 3);
    scheme + authority + path_and_query
}
