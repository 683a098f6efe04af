//! The tower plumbing of the pipeline: [`SecurityService`] runs steps 1 and 9 around the whole
//! router, matched paths or not, and [`GateService`] the gate and the timeout just inside the
//! CORS layer. Neither decides anything itself: each calls the step of [`super`].

use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody as _};
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use http::{Request, StatusCode};
use tower::{Layer, Service};

use super::context::RequestContext;
use super::{AppSettings, Exchange};
use crate::audit::Decision;
use crate::error::ApiError;

/// Applies [`SecurityService`] around the rest of the stack (CORS, the gate, the router).
#[derive(Clone, Debug)]
pub(crate) struct SecurityLayer {
    settings: Arc<AppSettings>,
}

impl SecurityLayer {
    pub(crate) fn new(settings: Arc<AppSettings>) -> Self {
        Self { settings }
    }
}

impl<S> Layer<S> for SecurityLayer {
    type Service = SecurityService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SecurityService {
            inner,
            settings: Arc::clone(&self.settings),
        }
    }
}

/// Steps 1 and 9 of the pipeline around everything inside; see the module docs.
#[derive(Clone, Debug)]
pub struct SecurityService<S> {
    inner: S,
    settings: Arc<AppSettings>,
}

impl<S, B> Service<Request<B>> for SecurityService<S>
where
    S: Service<Request<Body>, Error = Infallible>,
    S::Response: IntoResponse,
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let mut request = request.map(Body::new);
        let exchange = Exchange {
            started: Instant::now(),
            method: request.method().clone(),
        };
        let context = super::begin(&self.settings, &mut request);
        // A panic while building the handler's future is caught like one while polling it.
        let called = context
            .request_id()
            .while_current(|| catch_unwind(AssertUnwindSafe(|| self.inner.call(request))));
        let state = match called {
            Ok(future) => State::Running { future },
            Err(panic) => State::Done {
                response: Some(
                    context
                        .request_id()
                        .while_current(|| panic_response(&*panic)),
                ),
            },
        };
        ResponseFuture {
            state,
            request: Some((context, exchange)),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`SecurityService`].
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
        request: Option<(RequestContext, Exchange)>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        // Dropped before its response was ready: the client went away (or the server shut
        // down). The handler may have run, so the request is recorded all the same.
        fn drop(this: Pin<&mut Self>) {
            if let Some((context, exchange)) = this.project().request.take() {
                super::record(&context, &exchange, CLIENT_CLOSED_REQUEST, Decision::Cancelled);
            }
        }
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F> {
        Running { #[pin] future: F },
        Done { response: Option<Response> },
    }
}

impl<F, R> Future for ResponseFuture<F>
where
    F: Future<Output = Result<R, Infallible>>,
    R: IntoResponse,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some((context, _)) = this.request.as_ref() else {
            return Poll::Ready(Ok(
                ApiError::internal("response polled after completion").into_response()
            ));
        };
        let state = this.state;
        let response = context
            .request_id()
            .while_current(|| match state.project() {
                StateProj::Running { future } => {
                    // A panicking handler becomes a generic 500 and the server keeps serving. This
                    // is tower-http's CatchPanic, inlined to avoid boxing every response body.
                    match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                        Ok(Poll::Pending) => Poll::Pending,
                        Ok(Poll::Ready(Ok(response))) => Poll::Ready(response.into_response()),
                        Ok(Poll::Ready(Err(never))) => match never {},
                        Err(panic) => Poll::Ready(panic_response(&*panic)),
                    }
                }
                StateProj::Done { response } => Poll::Ready(response.take().unwrap_or_else(|| {
                    ApiError::internal("response polled twice").into_response()
                })),
            });
        let Poll::Ready(response) = response else {
            return Poll::Pending;
        };
        match this.request.take() {
            Some((context, exchange)) => {
                Poll::Ready(Ok(super::finish(response, &context, &exchange)))
            }
            None => Poll::Ready(Ok(response)),
        }
    }
}

/// The status recorded for a request whose client went away before the answer (nginx's 499).
const CLIENT_CLOSED_REQUEST: StatusCode = match StatusCode::from_u16(499) {
    Ok(status) => status,
    Err(_) => StatusCode::BAD_REQUEST,
};

fn panic_response(panic: &(dyn std::any::Any + Send)) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| String::from("(non-text panic payload)"));
    ApiError::internal(format!("handler panicked: {message}")).into_response()
}

/// Applies [`GateService`] with the app's body limit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GateLayer {
    pub(crate) body_limit: usize,
}

impl<S: Clone> Layer<S> for GateLayer {
    type Service = GateService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GateService {
            with_body: DefaultBodyLimit::max(self.body_limit).layer(inner.clone()),
            inner,
        }
    }
}

/// The gate and the timeout of step 1, just inside CORS; see the module docs.
#[derive(Clone, Debug)]
pub struct GateService<S> {
    inner: S,
    /// The same service, with the app's body limit set for the extractors that read a body
    /// (axum's `DefaultBodyLimit`): used for requests that may carry one.
    with_body: <DefaultBodyLimit as Layer<S>>::Service,
}

impl<S> Service<Request<Body>> for GateService<S>
where
    S: Service<Request<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GateFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => self.with_body.poll_ready(cx),
            other => other,
        }
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let Some(context) = request.extensions().get::<RequestContext>() else {
            return GateFuture::answered(
                ApiError::internal("a request reached the gate without its context")
                    .into_response(),
            );
        };
        let timeout = context.settings().transport.request_timeout;
        // Both steps read the request and its context in place; only a store to ask (Redis)
        // needs a context of its own, for the future that asks it.
        let decided = match super::gate(context, &request) {
            None => super::limit_by_address(context, &request),
            Some(answer) => {
                return GateFuture::answered(
                    answer.respond(request.version(), request.into_body()),
                );
            }
        };
        let with_body = !request.body().is_end_stream();
        match decided {
            super::AddressLimits::Passed => {}
            super::AddressLimits::Refused(error) => {
                return GateFuture::answered(error.into_response());
            }
            super::AddressLimits::Later { decided } => {
                let context = context.clone();
                // A store to ask (Redis): the limits, then the router, in one boxed future.
                let mut plain = self.inner.clone();
                let mut bounded = self.with_body.clone();
                let future = Box::pin(async move {
                    let limited =
                        super::limit_by_address_later(&context, request.uri().path(), decided)
                            .await;
                    if let Err(error) = limited {
                        return error.into_response();
                    }
                    let routed = if with_body {
                        bounded.call(request).await
                    } else {
                        plain.call(request).await
                    };
                    match routed {
                        Ok(response) => response.into_response(),
                        Err(never) => match never {},
                    }
                });
                return GateFuture {
                    state: GateState::Later {
                        future,
                        timeout,
                        deadline: None,
                    },
                };
            }
        }
        let future = if with_body {
            self.with_body.call(request)
        } else {
            self.inner.call(request)
        };
        GateFuture {
            state: GateState::Passed {
                future,
                timeout,
                deadline: None,
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`GateService`].
    pub struct GateFuture<F> {
        #[pin]
        state: GateState<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = GateProj]
    enum GateState<F> {
        Answered { response: Option<Response> },
        Passed {
            #[pin]
            future: F,
            timeout: Duration,
            // The timeout's timer, armed the first time the request is not answered at once:
            // a request answered in one poll, as most are, never arms one.
            deadline: Option<Pin<Box<tokio::time::Sleep>>>,
        },
        // The general limits on a store to ask, then the router.
        Later {
            future: Pin<Box<dyn Future<Output = Response> + Send>>,
            timeout: Duration,
            deadline: Option<Pin<Box<tokio::time::Sleep>>>,
        },
    }
}

impl<F> GateFuture<F> {
    fn answered(response: Response) -> Self {
        Self {
            state: GateState::Answered {
                response: Some(response),
            },
        }
    }
}

impl<F, R> Future for GateFuture<F>
where
    F: Future<Output = Result<R, Infallible>>,
    R: IntoResponse,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            GateProj::Answered { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| ApiError::internal("response polled twice").into_response()))),
            GateProj::Passed {
                future,
                timeout,
                deadline,
            } => {
                let answer = future.poll(cx).map(|result| match result {
                    Ok(response) => response.into_response(),
                    Err(never) => match never {},
                });
                within(answer, cx, *timeout, deadline)
            }
            GateProj::Later {
                future,
                timeout,
                deadline,
            } => within(future.as_mut().poll(cx), cx, *timeout, deadline),
        }
    }
}

/// `answer`, or the `408` of the request timeout once it passes.
fn within(
    answer: Poll<Response>,
    cx: &mut Context<'_>,
    timeout: Duration,
    deadline: &mut Option<Pin<Box<tokio::time::Sleep>>>,
) -> Poll<Result<Response, Infallible>> {
    if let Poll::Ready(response) = answer {
        return Poll::Ready(Ok(response));
    }
    let deadline = deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
    match deadline.as_mut().poll(cx) {
        Poll::Ready(()) => Poll::Ready(Ok(ApiError::status(StatusCode::REQUEST_TIMEOUT)
            .with_reason("the request took longer than the request timeout")
            .into_response())),
        Poll::Pending => Poll::Pending,
    }
}
