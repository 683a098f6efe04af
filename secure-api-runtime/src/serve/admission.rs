//! Who gets a connection slot: a cap per client, and under pressure the silent connections
//! closed first.
//!
//! The global cap alone lets one address take every slot with idle connections (10,000
//! sockets that send nothing), and everyone else waits for the header timeout. So:
//!
//! - each client (the socket peer; IPv6 grouped by /64, the block one subscriber gets) holds at
//!   most `max_connections_per_client` at once; one over it is closed without a byte, and
//!   logged at most once a minute per client. Peers in `TRUSTED_PROXIES` are exempt: behind a
//!   load balancer, the balancer is every connection's peer;
//! - when fewer than a tenth of the global slots are free, connections that have sent nothing
//!   for a second are closed, oldest first, until a tenth is free again: many addresses
//!   together cannot hold the server with silence either.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::AbortHandle;

use crate::client_ip::TrustedProxies;

/// How long a connection may have sent nothing before it is closed under pressure.
pub(super) const SILENT_FOR: Duration = Duration::from_secs(1);
/// How often a refused client is logged, at most.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// The connections each client holds, and the silent ones in the order they came.
pub(super) struct Admission {
    per_client: usize,
    trusted: TrustedProxies,
    clients: Mutex<Clients>,
    silent: Mutex<BTreeMap<u64, Silent>>,
}

#[derive(Default)]
struct Clients {
    open: HashMap<ClientGroup, usize>,
    /// When each refused client was last logged.
    logged: HashMap<ClientGroup, Instant>,
    next_id: u64,
}

struct Silent {
    since: Instant,
    task: Option<AbortHandle>,
}

/// A client as the per-client cap counts it: an IPv4 address, or an IPv6 /64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ClientGroup(IpAddr);

impl ClientGroup {
    fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(_) => Self(address),
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    Self(IpAddr::V4(v4))
                } else {
                    let prefix = u128::from(v6) & !u128::from(u64::MAX);
                    Self(IpAddr::V6(prefix.into()))
                }
            }
        }
    }
}

impl Admission {
    pub(super) fn new(per_client: usize, trusted: TrustedProxies) -> Arc<Self> {
        Arc::new(Self {
            per_client: per_client.max(1),
            trusted,
            clients: Mutex::default(),
            silent: Mutex::default(),
        })
    }

    /// A place for a connection from `peer`, or `None` when the client holds its share.
    pub(super) fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Admitted> {
        let group = (!self.trusted.contains(peer)).then(|| ClientGroup::of(peer));
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(group) = group {
            let open = clients.open.entry(group).or_insert(0);
            if *open >= self.per_client {
                let now = Instant::now();
                let last = clients.logged.get(&group).copied();
                if last.is_none_or(|last| now.duration_since(last) >= LOG_EVERY) {
                    clients
                        .logged
                        .retain(|_, at| now.duration_since(*at) < LOG_EVERY);
                    clients.logged.insert(group, now);
                    tracing::warn!(
                        target: "secure_api::serve",
                        client = %group.0,
                        cap = self.per_client,
                        "a client holds its share of connections; further ones are closed (logged once a minute)"
                    );
                }
                return None;
            }
            *open += 1;
        }
        clients.next_id += 1;
        let id = clients.next_id;
        drop(clients);
        self.silent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                id,
                Silent {
                    since: Instant::now(),
                    task: None,
                },
            );
        Some(Admitted {
            admission: Arc::clone(self),
            group,
            id,
            heard: AtomicBool::new(false),
        })
    }

    /// Closes silent connections, oldest first, until `free` slots of `max` reach a tenth.
    pub(super) fn relieve(&self, free: usize, max: usize) {
        let wanted = (max / 10).max(1);
        if free >= wanted {
            return;
        }
        let Some(cutoff) = Instant::now().checked_sub(SILENT_FOR) else {
            return;
        };
        let mut silent = self.silent.lock().unwrap_or_else(PoisonError::into_inner);
        let oldest: Vec<u64> = silent
            .iter()
            .filter(|(_, connection)| connection.since <= cutoff && connection.task.is_some())
            .map(|(id, _)| *id)
            .take(wanted - free)
            .collect();
        if oldest.is_empty() {
            return;
        }
        tracing::debug!(
            target: "secure_api::serve",
            closed = oldest.len(),
            "few connection slots free: closing connections that have sent nothing"
        );
        for id in oldest {
            if let Some(Silent {
                task: Some(task), ..
            }) = silent.remove(&id)
            {
                task.abort();
            }
        }
    }

    fn heard(&self, id: u64) {
        self.silent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }
}

/// One admitted connection's place: given back when it is dropped.
pub(super) struct Admitted {
    admission: Arc<Admission>,
    group: Option<ClientGroup>,
    id: u64,
    heard: AtomicBool,
}

impl Admitted {
    /// The task serving the connection, which `relieve` aborts while it is silent.
    pub(super) fn served_by(&self, task: AbortHandle) {
        let mut silent = self
            .admission
            .silent
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(connection) = silent.get_mut(&self.id) {
            connection.task = Some(task);
        }
    }

    /// The connection's first bytes arrived: it is no longer silent.
    fn heard(&self) {
        // A plain load on every read after the first.
        if !self.heard.load(Ordering::Relaxed) && !self.heard.swap(true, Ordering::Relaxed) {
            self.admission.heard(self.id);
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.admission.heard(self.id);
        if let Some(group) = self.group {
            let mut clients = self
                .admission
                .clients
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(open) = clients.open.get_mut(&group) {
                *open -= 1;
                if *open == 0 {
                    clients.open.remove(&group);
                }
            }
        }
    }
}

/// A connection's stream, which tells its [`Admitted`] place when the first bytes arrive.
pub(super) struct Watched<I> {
    inner: I,
    place: Arc<Admitted>,
}

impl<I> Watched<I> {
    pub(super) fn new(inner: I, place: Arc<Admitted>) -> Self {
        Self { inner, place }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.place.heard();
        }
        result
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_grouped_by_their_64_bit_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientGroup::of(a), ClientGroup::of(b));
        assert_ne!(ClientGroup::of(a), ClientGroup::of(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            ClientGroup::of(mapped),
            ClientGroup::of("192.0.2.7".parse().unwrap())
        );
    }

    #[test]
    fn a_client_over_its_share_is_refused_until_one_closes() {
        let admission = Admission::new(2, TrustedProxies::none());
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        let first = admission.admit(peer).unwrap();
        let _second = admission.admit(peer).unwrap();
        assert!(admission.admit(peer).is_none(), "a third over a cap of two");
        assert!(admission.admit("192.0.2.2".parse().unwrap()).is_some());
        drop(first);
        assert!(admission.admit(peer).is_some(), "a place was given back");
    }

    #[test]
    fn trusted_proxies_have_no_share() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let admission = Admission::new(1, trusted);
        let places: Vec<_> = (0..5).map(|_| admission.admit(proxy)).collect();
        assert!(places.iter().all(Option::is_some));
    }
}
