//! The gate: step 1 of the pipeline, the answers given before any other work.
//!
//! Plain HTTP in production is redirected to HTTPS, and a body declared larger than the limit
//! is refused with `413`, before routing reaches a policy guard. The gate sits inside the CORS
//! layer and the security envelope, so these answers carry the CORS headers an allowed origin
//! needs to read them, the security headers, the JSON error shape and an audit record.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use tower::{Layer, Service};

use super::https::Scheme;
use crate::config::{Mode, SecurityConfig};
use crate::error::ApiError;

/// Applies [`GateService`].
#[derive(Clone, Debug)]
pub(crate) struct GateLayer {
    config: SecurityConfig,
}

impl GateLayer {
    pub(crate) fn new(config: SecurityConfig) -> Self {
        Self { config }
    }
}

impl<S> Layer<S> for GateLayer {
    type Service = GateService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GateService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// See the module docs.
#[derive(Clone, Debug)]
pub(crate) struct GateService<S> {
    inner: S,
    config: SecurityConfig,
}

impl<S> Service<Request> for GateService<S>
where
    S: Service<Request, Error = Infallible>,
    S::Response: IntoResponse,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GateFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.answer_early(&request) {
            Some(response) => GateFuture::Answered {
                response: Some(response),
            },
            None => GateFuture::Passed {
                future: self.inner.call(request),
            },
        }
    }
}

impl<S> GateService<S> {
    fn answer_early(&self, request: &Request) -> Option<Response> {
        let https = self.config.https();
        // The envelope decided the scheme; plain HTTP is only ever known from a trusted proxy.
        let plain = request.extensions().get::<Scheme>() == Some(&Scheme::Http);
        if plain && https.redirects(self.config.mode() == Mode::Production) {
            // 308 keeps the method and the body; the origin is the configured one, never the
            // client's `Host`.
            return Some(match https.location(request.uri()) {
                Some(location) => (
                    StatusCode::PERMANENT_REDIRECT,
                    [(header::LOCATION, location)],
                )
                    .into_response(),
                None => {
                    ApiError::internal("no public origin to redirect plain HTTP to").into_response()
                }
            });
        }
        if declared_length(request).is_some_and(|len| len > self.config.body_limit()) {
            return Some(
                ApiError::payload_too_large()
                    .with_reason("declared Content-Length over the body limit")
                    .into_response(),
            );
        }
        None
    }
}

fn declared_length(request: &Request) -> Option<usize> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

pin_project_lite::pin_project! {
    /// The response future of [`GateService`].
    #[project = GateProj]
    pub(crate) enum GateFuture<F> {
        Answered { response: Option<Response> },
        Passed { #[pin] future: F },
    }
}

impl<F, R> Future for GateFuture<F>
where
    F: Future<Output = Result<R, Infallible>>,
    R: IntoResponse,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GateProj::Answered { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| ApiError::internal("response polled twice").into_response()))),
            GateProj::Passed { future } => future
                .poll(cx)
                .map(|result| result.map(IntoResponse::into_response)),
        }
    }
}
