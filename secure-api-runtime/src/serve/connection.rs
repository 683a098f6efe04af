//! One accepted connection: TLS, HTTP/1.1 or HTTP/2, and the watch that closes it when idle or
//! when the server shuts down.
//!
//! hyper's header-read timeout covers an HTTP/1 request head once one starts. It does not cover
//! a client that connects and sends nothing, nor an HTTP/2 client that opens a connection and
//! sends no request (or starts a header block and never ends it). So every connection is also
//! watched here: with no request in flight for the idle timeout, it is shut down gracefully.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::time::Instant;
use tower::ServiceExt;

use super::{App, TlsConfig};
use crate::transport::TlsConnection;

/// The longest a TLS handshake may take.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// One accepted connection and what serving it needs.
pub(super) struct Connection {
    pub(super) app: App,
    pub(super) peer: SocketAddr,
    pub(super) builder: Arc<Builder<TokioExecutor>>,
    pub(super) tls: Option<TlsConfig>,
    /// How long the connection may go without a request in flight.
    pub(super) idle_timeout: Duration,
    /// Becomes `true` when the server shuts down.
    pub(super) stopping: watch::Receiver<bool>,
}

impl Connection {
    pub(super) async fn serve<I>(self, stream: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Some(tls) = self.tls.clone() else {
            return self.serve_io(TokioIo::new(stream)).await;
        };
        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
            Ok(Ok(stream)) => self.serve_io(TokioIo::new(stream)).await,
            Ok(Err(error)) => {
                tracing::debug!(target: "secure_api::serve", %error, "TLS handshake failed");
            }
            Err(_) => tracing::debug!(target: "secure_api::serve", "TLS handshake timed out"),
        }
    }

    async fn serve_io<I>(self, io: TokioIo<I>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Self {
            app,
            peer,
            builder,
            tls,
            idle_timeout,
            mut stopping,
        } = self;
        let over_tls = tls.is_some();
        let activity = Arc::new(Activity::new());
        let watched = Arc::clone(&activity);
        let service = tower::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            if over_tls {
                request.extensions_mut().insert(TlsConnection);
            }
            let app = app.clone();
            let in_flight = InFlight::enter(&watched);
            async move {
                let response = app.oneshot(request.map(Body::new)).await;
                drop(in_flight);
                response.map_err(|never: Infallible| never)
            }
        });
        let connection = builder
            .serve_connection_with_upgrades(io, TowerToHyperService::new(service))
            .into_owned();
        tokio::pin!(connection);
        let mut closing = false;
        // An idle connection is asked to close; a peer that does not go along (an HTTP/2
        // client ignoring GOAWAY and pings) is dropped once this passes.
        let mut idle_deadline: Option<Instant> = None;
        let result = loop {
            tokio::select! {
                result = connection.as_mut() => break result,
                _ = stopping.changed(), if !closing => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
                () = activity.idle_for(idle_timeout), if !closing => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                    idle_deadline = Some(Instant::now() + idle_timeout);
                }
                () = sleep_until_or_never(idle_deadline) => {
                    tracing::debug!(target: "secure_api::serve", "idle connection dropped");
                    return;
                }
            }
        };
        if let Err(error) = result {
            // A request hyper could not parse was answered by hyper itself (`400`, `431`),
            // outside the pipeline: it is audited here.
            if let Some(error) = error.downcast_ref::<hyper::Error>() {
                crate::audit::record_unparsed(error, peer.ip());
            }
            // Clients that go away, send garbage or are cut off by a timeout end here; none
            // of it is the server's failure.
            tracing::debug!(target: "secure_api::serve", error = %error, "connection closed");
        }
    }
}

async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Requests in flight on a connection, and when the last one started or ended.
struct Activity {
    since: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `since`.
    last_change: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            since: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_change: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let elapsed = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_change.store(elapsed, Ordering::Relaxed);
    }

    /// Completes once no request has been in flight for `timeout`.
    async fn idle_for(&self, timeout: Duration) {
        loop {
            let last = self.since + Duration::from_millis(self.last_change.load(Ordering::Relaxed));
            tokio::time::sleep_until(last + timeout).await;
            let unchanged = self.since
                + Duration::from_millis(self.last_change.load(Ordering::Relaxed))
                == last;
            if unchanged && self.in_flight.load(Ordering::Relaxed) == 0 {
                return;
            }
            if self.in_flight.load(Ordering::Relaxed) > 0 {
                // Busy: look again a timeout from now (a request ending touches it anyway).
                tokio::time::sleep(timeout).await;
            }
        }
    }
}

/// Counts one request in flight while it lives.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn enter(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        Self(Arc::clone(activity))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}
