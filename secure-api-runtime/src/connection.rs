//! [`ConnectionLimits`]: how long a client may take and how many may be served at once, as
//! `secure_api::serve` applies them to every connection.

use std::time::Duration;

/// The default cut-off for a client to send its request headers: 10 seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default cap on connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// The default cap on connections one client (an IPv4 address, an IPv6 /64) holds at once.
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 256;
/// The default time requests in flight get to finish after a shutdown signal: 30 seconds.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The limits `secure_api::serve` puts on connections; part of the `SecurityConfig`, and each
/// changeable on the server too (`Serve::max_connections`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client has to send a request's headers, and how long a connection may stay
    /// open with no request in flight.
    pub header_read_timeout: Duration,
    /// The most connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// The most connections one client holds at once (an IPv4 address, an IPv6 /64; trusted
    /// proxies are exempt); one more is closed without a byte.
    pub max_connections_per_client: usize,
    /// How long requests in flight get to finish after the shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    /// 10 s to send the headers, 10,000 connections (256 per client), 30 s of grace.
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}
