//! [`Cors`]: cross-origin requests, off unless configured, on an allow-list of origins.
//!
//! Built on tower-http's `CorsLayer`, which answers preflights and never reflects an origin that
//! is not listed. What this adds is refusing, when the config is built, the combinations that
//! are mistakes: `*` with credentials, an origin with a path, an origin that is not one.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ConfigError;

/// Which other origins may call the API from a browser (`CORS_ALLOWED_ORIGINS`).
///
/// ```
/// use secure_api::transport::Cors;
///
/// let cors = Cors::allow_origins(["https://app.example.com"])?.allow_credentials(true);
/// assert!(Cors::allow_origins(["*"])?.allow_credentials(true).check().is_err());
/// # Ok::<(), secure_api::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cors {
    origins: Origins,
    credentials: bool,
    methods: Vec<Method>,
    headers: Vec<HeaderName>,
    max_age: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Origins {
    Any,
    List(Vec<HeaderValue>),
}

impl Cors {
    /// Allows these origins (`https://app.example.com`), or every origin with `"*"` alone,
    /// which cannot be combined with credentials.
    pub fn allow_origins<I, T>(origins: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let origins: Vec<String> = origins
            .into_iter()
            .map(|o| o.as_ref().trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        let origins = if origins == ["*"] {
            Origins::Any
        } else {
            Origins::List(
                origins
                    .iter()
                    .map(|origin| parse_origin(origin))
                    .collect::<Result<_, _>>()?,
            )
        };
        Ok(Self {
            origins,
            credentials: false,
            methods: vec![
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ],
            headers: vec![
                http::header::AUTHORIZATION,
                http::header::CONTENT_TYPE,
                crate::auth::CSRF_HEADER,
            ],
            max_age: Duration::from_secs(600),
        })
    }

    /// Lets browsers send cookies and `Authorization` cross-origin, and read the answers.
    #[must_use]
    pub fn allow_credentials(mut self, credentials: bool) -> Self {
        self.credentials = credentials;
        self
    }

    /// The methods a preflight allows (default `GET`, `POST`, `PUT`, `PATCH`, `DELETE`).
    #[must_use]
    pub fn allow_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.methods = methods.into_iter().collect();
        self
    }

    /// The request headers a preflight allows (default `Authorization`, `Content-Type`,
    /// `X-CSRF-Token`).
    #[must_use]
    pub fn allow_headers(mut self, headers: impl IntoIterator<Item = HeaderName>) -> Self {
        self.headers = headers.into_iter().collect();
        self
    }

    /// How long browsers may cache a preflight (default 10 minutes).
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Refuses `*` with credentials: browsers ignore it, and a server that "fixes" it by
    /// reflecting any origin hands every site the user's session.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.credentials && self.origins == Origins::Any {
            return Err(ConfigError::InvalidSetting(
                "CORS: `*` cannot be combined with credentials; list the allowed origins".into(),
            ));
        }
        Ok(())
    }

    /// The origins listed (none for `*`): with the public origin, where a browser session's
    /// unsafe requests may come from.
    pub(crate) fn listed_origins(&self) -> &[HeaderValue] {
        match &self.origins {
            Origins::Any => &[],
            Origins::List(list) => list,
        }
    }

    /// `3 origins`, `any origin`, with `, credentials` when they are allowed: for the posture
    /// line.
    pub(crate) fn summarize(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.origins {
            Origins::Any => f.write_str("any origin")?,
            Origins::List(origins) if origins.len() == 1 => f.write_str("1 origin")?,
            Origins::List(origins) => write!(f, "{} origins", origins.len())?,
        }
        if self.credentials {
            f.write_str(", credentials")?;
        }
        Ok(())
    }

    pub(crate) fn layer(&self) -> CorsLayer {
        let origins = match &self.origins {
            Origins::Any => AllowOrigin::any(),
            Origins::List(list) => AllowOrigin::list(list.iter().cloned()),
        };
        CorsLayer::new()
            .allow_origin(origins)
            .allow_credentials(self.credentials)
            .allow_methods(self.methods.clone())
            .allow_headers(self.headers.clone())
            .max_age(self.max_age)
    }
}

/// `scheme://host[:port]`, exactly as browsers send it in `Origin`.
fn parse_origin(origin: &str) -> Result<HeaderValue, ConfigError> {
    super::origin::parse(origin, &["https", "http"])
        .and_then(|origin| HeaderValue::from_str(&origin).ok())
        .ok_or_else(|| {
            ConfigError::InvalidSetting(format!(
                "CORS: `{origin}` is not an origin such as `https://app.example.com` (scheme, \
                 host and optional port; no path, no trailing slash)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert!(Cors::allow_origins(["https://app.example.com", "http://localhost:5173"]).is_ok());
        for bad in [
            "https://app.example.com/",
            "https://app.example.com/path",
            "app.example.com",
            "https://*.example.com",
            "ftp://example.com",
            "null",
        ] {
            assert!(Cors::allow_origins([bad]).is_err(), "{bad}");
        }
        let with_port = Cors::allow_origins(["https://app.example.com:443"]).unwrap();
        assert_eq!(
            with_port,
            Cors::allow_origins(["https://app.example.com"]).unwrap()
        );
        let any = Cors::allow_origins(["*"]).unwrap();
        assert!(any.check().is_ok());
        assert!(any.allow_credentials(true).check().is_err());
    }
}
