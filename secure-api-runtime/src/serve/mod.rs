//! [`serve`]: the production server loop that `axum::serve` leaves to the application.
//!
//! On top of accepting connections and serving HTTP/1.1 and HTTP/2 on them, it
//!
//! - cuts off a client that does not finish sending its request headers in time (a client
//!   sending one byte a second holds nothing for long);
//! - caps the connections served at once, so a flood queues in the kernel's backlog instead of
//!   exhausting memory or file descriptors;
//! - gives every request its peer address, which address-keyed rate limits need;
//! - terminates TLS itself when given a certificate ([`TlsConfig`], rustls on aws-lc-rs, the
//!   crypto backend jsonwebtoken uses too), and marks those requests HTTPS;
//! - on SIGTERM or Ctrl-C stops accepting, lets requests in flight finish (up to a grace
//!   period), and returns.

mod admission;
mod connection;

use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use http::{Request, Response, StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

pub use crate::connection::{
    ConnectionLimits, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_CLIENT, DEFAULT_SHUTDOWN_GRACE,
};
pub use crate::tls::TlsConfig;

use crate::client_ip::TrustedProxies;
use crate::routing::{Router, SecureService};
use crate::transport::{HYPER_HEAD_CEILING, SecurityHeaders};
use admission::Admission;
use connection::Connection;

/// What a connection is served by: the app, or `redirect_http`'s redirecting router.
pub(crate) type App = tower::util::Either<SecureService, axum::Router>;
/// Requests one HTTP/2 connection may have in flight at once.
const H2_MAX_STREAMS: u32 = 100;
/// hyper's ceiling on an HTTP/2 header list, as on an HTTP/1 head.
#[allow(clippy::cast_possible_truncation)] // 64 KiB fits in `u32`.
const H2_MAX_HEADER_LIST: u32 = HYPER_HEAD_CEILING as u32;
/// How often an idle HTTP/2 peer is pinged, and how long it has to answer.
const H2_KEEP_ALIVE: Duration = Duration::from_secs(20);

type ShutdownSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Serves `app` on `listener` until SIGTERM or Ctrl-C (or the signal given to
/// [`Serve::with_graceful_shutdown`]), then lets requests in flight finish. With a certificate
/// in the app's config (`TLS_CERT`/`TLS_KEY`, or [`Serve::tls`]) it serves HTTPS.
///
/// ```no_run
/// use secure_api::prelude::*;
/// use secure_api::routing::get;
///
/// #[secure(public)]
/// async fn health() -> &'static str { "ok" }
///
/// # async fn run() -> std::io::Result<()> {
/// let app = secure_api::Router::new().route("/health", get(health));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// secure_api::serve(listener, app).await
/// # }
/// ```
///
/// # Panics
///
/// When `app` has no config and the environment's is invalid, as
/// [`Router::into_service`](crate::Router::into_service) does.
pub fn serve(listener: TcpListener, app: Router) -> Serve {
    let (app, config) = app.finish();
    Serve {
        listener,
        app: App::Left(app),
        options: Options {
            limits: *config.connections(),
            // A certificate in the config (`TLS_CERT`/`TLS_KEY`) means TLS.
            tls: config.tls().cloned(),
            // The balancer in front is every connection's peer: it has no share to exceed.
            trusted: config.trusted_proxies().clone(),
            mode: Some((config.mode(), config.mode_declared())),
            auth: Some(config.auth().clone()),
        },
        shutdown: None,
    }
}

/// Serves a plain-HTTP listener that answers every request with a `308` redirect to the same
/// path at `https_origin` (`https://api.example.com`), for a server that terminates TLS itself
/// and keeps port 80 open for browsers typing the bare host.
///
/// # Errors
///
/// When `https_origin` is not `https://host[:port]`.
pub fn redirect_http(
    listener: TcpListener,
    https_origin: &str,
) -> Result<Serve, crate::ConfigError> {
    let policy = crate::transport::HttpsPolicy::default().public_origin(https_origin)?;
    let headers = SecurityHeaders::default().templates();
    let app = axum::Router::new().fallback(move |request: Request<Body>| {
        let location = policy.location(request.uri());
        let headers = headers.clone();
        async move {
            let mut response = Response::new(Body::empty());
            match location {
                Some(location) => {
                    *response.status_mut() = StatusCode::PERMANENT_REDIRECT;
                    response.headers_mut().insert(header::LOCATION, location);
                }
                None => *response.status_mut() = StatusCode::BAD_REQUEST,
            }
            headers.apply(response.headers_mut(), false);
            response
        }
    });
    Ok(Serve {
        listener,
        app: App::Right(app),
        options: Options::default(),
        shutdown: None,
    })
}

/// A server being set up: [`serve`]'s result. Await it to run.
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    app: App,
    options: Options,
    shutdown: Option<ShutdownSignal>,
}

#[derive(Clone, Default)]
struct Options {
    limits: ConnectionLimits,
    tls: Option<TlsConfig>,
    trusted: TrustedProxies,
    /// The app's mode, and whether it was chosen rather than defaulted (`None`: not an app,
    /// `redirect_http`'s listener).
    mode: Option<(crate::Mode, bool)>,
    /// The app's token settings, whose identity providers' first keys are awaited.
    auth: Option<crate::auth::AuthConfig>,
}

impl Serve {
    /// How long a client has to send a request's headers (default 10 s), and how long a
    /// connection may stay open with no request in flight (a client that connects and sends
    /// nothing, an idle HTTP/2 connection); past it the connection is closed.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.options.limits.header_read_timeout = timeout;
        self
    }

    /// The most connections served at once (default 10,000). Further clients wait in the
    /// listen backlog until a connection closes.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.options.limits.max_connections = max.max(1);
        self
    }

    /// The most connections one client holds at once (default 256): an IPv4 address, or an
    /// IPv6 /64; peers in `TRUSTED_PROXIES` are exempt. One more is closed without a byte.
    pub fn max_connections_per_client(mut self, max: usize) -> Self {
        self.options.limits.max_connections_per_client = max.max(1);
        self
    }

    /// How long requests in flight get to finish after the shutdown signal (default 30 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.options.limits.shutdown_grace = grace;
        self
    }

    /// Terminates TLS with `tls`; requests are then known to be HTTPS (HSTS is sent).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.options.tls = Some(tls);
        self
    }

    /// Shuts down when `signal` completes, instead of on SIGTERM or Ctrl-C.
    pub fn with_graceful_shutdown<F>(mut self, signal: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.shutdown = Some(Box::pin(signal));
        self
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self))
    }
}

async fn run(serve: Serve) -> io::Result<()> {
    let Serve {
        listener,
        app,
        options,
        shutdown,
    } = serve;
    check_mode(&listener, options.mode)?;
    if let Some(auth) = &options.auth {
        await_keys(auth).await?;
    }
    let mut shutdown = shutdown.unwrap_or_else(|| Box::pin(termination_signal()));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.limits.header_read_timeout)
        // hyper's ceiling on a head, above the framework's own limits (`HeadLimits`), which
        // answer with the full envelope. hyper's cap of 100 headers stays as it is.
        .max_buf_size(HYPER_HEAD_CEILING);
    builder
        .http2()
        .timer(TokioTimer::new())
        // A cap per connection, so the connection cap bounds requests in flight too.
        .max_concurrent_streams(H2_MAX_STREAMS)
        .max_header_list_size(H2_MAX_HEADER_LIST)
        // A peer that stops answering pings is gone: its connection is closed.
        .keep_alive_interval(H2_KEEP_ALIVE)
        .keep_alive_timeout(H2_KEEP_ALIVE);
    let builder = Arc::new(builder);
    let (stop, stopping) = watch::channel(false);
    let max_connections = options.limits.max_connections;
    let slots = Arc::new(Semaphore::new(max_connections));
    let admission = Admission::new(
        options.limits.max_connections_per_client,
        options.trusted.clone(),
    );
    let mut connections = JoinSet::new();
    loop {
        let slot = tokio::select! {
            slot = acquire(&slots, &admission, max_connections) => slot?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Over its share: closed without a byte (the slot goes back with `slot`).
        let Some(place) = admission.admit(peer.ip()) else {
            continue;
        };
        let place = Arc::new(place);
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            app: app.clone(),
            peer,
            builder: Arc::clone(&builder),
            tls: options.tls.clone(),
            idle_timeout: options.limits.header_read_timeout,
            stopping: stopping.clone(),
        };
        let watched = admission::Watched::new(stream, Arc::clone(&place));
        let task = connections.spawn(async move {
            connection.serve(watched).await;
            drop(slot);
        });
        place.served_by(task);
        // Forget finished connections as we go, so the set only holds live ones.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    tracing::info!(target: "secure_api::serve", "shutting down: finishing requests in flight");
    let _ = stop.send(true);
    let finished = tokio::time::timeout(options.limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    });
    if finished.await.is_err() {
        tracing::warn!(
            target: "secure_api::serve",
            grace_secs = options.limits.shutdown_grace.as_secs(),
            connections = connections.len(),
            "requests still in flight after the grace period were cancelled"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    Ok(())
}

/// Waits for the first keys of the app's identity providers: with none, refuses to start,
/// naming the URL, unless the config starts without them (then tokens they sign answer `503`
/// until the keys arrive, fetched again as requests need them).
async fn await_keys(auth: &crate::auth::AuthConfig) -> io::Result<()> {
    match auth.ready().await {
        Ok(()) => Ok(()),
        Err(error) if auth.starts_without_keys() => {
            tracing::warn!(target: "secure_api::serve", %error, "starting without the identity provider's keys");
            Ok(())
        }
        Err(error) => Err(io::Error::other(error.to_string())),
    }
}

/// Logs the mode, and refuses to serve a defaulted development mode beyond loopback: its
/// ephemeral signing key, no HTTPS redirect and development answers must never reach a real
/// network by accident.
fn check_mode(listener: &TcpListener, mode: Option<(crate::Mode, bool)>) -> io::Result<()> {
    let Some((mode, declared)) = mode else {
        return Ok(());
    };
    let address = listener.local_addr()?;
    tracing::info!(
        target: "secure_api::serve",
        ?mode,
        declared,
        %address,
        "serving"
    );
    if !declared && !address.ip().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "secure-api refuses to serve on {address} in development mode by default: set \
                 SECURE_API_ENV=production for a deployment (or SECURE_API_ENV=development to \
                 run development mode on a network on purpose); on 127.0.0.1 the default stays \
                 development"
            ),
        ));
    }
    Ok(())
}

/// How often a full server looks again for silent connections to close.
const RELIEF_EVERY: Duration = Duration::from_millis(100);

/// A connection slot; while few are free, silent connections are closed to make room.
async fn acquire(
    slots: &Arc<Semaphore>,
    admission: &Admission,
    max: usize,
) -> io::Result<tokio::sync::OwnedSemaphorePermit> {
    loop {
        admission.relieve(slots.available_permits(), max);
        if let Ok(slot) =
            tokio::time::timeout(RELIEF_EVERY, Arc::clone(slots).acquire_owned()).await
        {
            return slot.map_err(io::Error::other);
        }
    }
}

/// Waits out an accept error: per-connection errors are retried at once; running out of file
/// descriptors or memory gets a pause, as axum's `serve` does, so the loop does not spin.
async fn accept_failed(error: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(target: "secure_api::serve", %error, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// SIGTERM (what container runtimes send) or Ctrl-C.
async fn termination_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
