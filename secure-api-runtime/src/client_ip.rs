//! Who the client is: the socket peer, or what trusted proxies say. Limits keyed by address
//! count by it, and the HTTPS policy believes only the proxies listed here.
//!
//! `X-Forwarded-For` is a list every hop appends to, so only its right end is trustworthy, and
//! only while the hops are our own proxies. The client is the rightmost address that is not a
//! trusted proxy. A peer that is not a trusted proxy is the client, whatever headers it sends,
//! so a client rotating fake `X-Forwarded-For` values is still limited by its own address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use axum::extract::ConnectInfo;
use http::{Extensions, HeaderMap};

/// The proxies whose `X-Forwarded-For` is believed: a list of CIDR blocks (`TRUSTED_PROXIES`).
///
/// ```
/// use secure_api::rate::TrustedProxies;
///
/// let proxies: TrustedProxies = "10.0.0.0/8, 192.168.1.10, fd00::/8".parse()?;
/// assert!(proxies.contains("10.1.2.3".parse().unwrap()));
/// assert!(!proxies.contains("203.0.113.9".parse().unwrap()));
/// # Ok::<(), secure_api::rate::InvalidCidr>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    blocks: Vec<Cidr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A `TRUSTED_PROXIES` entry that is not an address or a CIDR block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidCidr(String);

impl fmt::Display for InvalidCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an IP address or a CIDR block such as `10.0.0.0/8`",
            self.0
        )
    }
}

impl std::error::Error for InvalidCidr {}

impl FromStr for TrustedProxies {
    type Err = InvalidCidr;

    /// A comma-separated list of addresses and CIDR blocks; an empty string trusts no proxy.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let blocks = text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| parse_cidr(entry).ok_or_else(|| InvalidCidr(entry.to_owned())))
            .collect::<Result<_, _>>()?;
        Ok(Self { blocks })
    }
}

fn parse_cidr(entry: &str) -> Option<Cidr> {
    let (address, prefix) = match entry.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (entry, None),
    };
    let written: IpAddr = address.parse().ok()?;
    let network = normalize(written);
    let max = if written.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = match prefix {
        Some(prefix) if prefix.bytes().all(|b| b.is_ascii_digit()) => prefix.parse().ok()?,
        Some(_) => return None,
        None => max,
    };
    if prefix > max {
        return None;
    }
    // An IPv4-mapped block (`::ffff:10.0.0.0/104`) is the IPv4 block it maps (`10.0.0.0/8`):
    // its prefix counts the 96 bits of the mapping too. A shorter one spans more than IPv4.
    let prefix = match (written, network) {
        (IpAddr::V6(_), IpAddr::V4(_)) => prefix.checked_sub(96)?,
        _ => prefix,
    };
    Some(Cidr {
        network: mask(network, prefix),
        prefix,
    })
}

impl TrustedProxies {
    /// Trusts no proxy: the socket peer is always the client.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether `address` is one of the trusted proxies.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = normalize(address);
        self.blocks.iter().any(|block| {
            block.network.is_ipv4() == address.is_ipv4()
                && mask(address, block.prefix) == block.network
        })
    }

    /// Whether any proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The client's address for `peer`, given the request's `X-Forwarded-For` headers.
    pub(crate) fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = normalize(peer);
        if !self.contains(client) {
            return client;
        }
        // From the right, hop by hop, without collecting: the walk costs what it reads, and it
        // reads only as far as our own proxies go (at most `MAX_TRUSTED_HOPS` of them).
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .rev()
            .flat_map(|value| value.as_bytes().rsplit(|&byte| byte == b','));
        for (walked, hop) in hops.enumerate() {
            if walked == MAX_TRUSTED_HOPS {
                break;
            }
            // A hop that is not an address was not written by a proxy of ours (they write
            // what they saw): the last trusted hop is as far as the chain can be followed.
            let Some(address) = parse_hop(hop) else {
                tracing::debug!(
                    target: "secure_api::rate",
                    "X-Forwarded-For hop is not an address; counting the request as the last trusted hop"
                );
                return client;
            };
            client = normalize(address);
            if !self.contains(client) {
                return client;
            }
        }
        client
    }
}

/// How many trusted hops of `X-Forwarded-For` are followed at most: chains of proxies are short,
/// and a client that forges a long run of trusted-looking hops must not make every request
/// walk it.
const MAX_TRUSTED_HOPS: usize = 16;

/// One `X-Forwarded-For` hop: `203.0.113.9`, `2001:db8::1`, and the forms with a port that
/// some proxies write, `203.0.113.9:4711`, `[2001:db8::1]` and `[2001:db8::1]:4711`.
fn parse_hop(hop: &[u8]) -> Option<IpAddr> {
    let hop = std::str::from_utf8(hop).ok()?.trim();
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// The socket peer of a request, as the server loop (or axum's connect-info make-service)
/// recorded it; `None` when the server did not.
pub(crate) fn peer_of(extensions: &Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| *address)
}

/// The bytes a client address is counted under: IPv4 as itself (IPv4-mapped IPv6 included),
/// IPv6 by its /64, since one subscriber usually holds a whole /64.
pub(crate) fn ip_key(address: IpAddr) -> ([u8; 17], usize) {
    let mut key = [0; 17];
    match normalize(address) {
        IpAddr::V4(v4) => {
            key[0] = 4;
            key[1..5].copy_from_slice(&v4.octets());
            (key, 5)
        }
        IpAddr::V6(v6) => {
            key[0] = 6;
            key[1..9].copy_from_slice(&v6.octets()[..8]);
            (key, 9)
        }
    }
}

/// The text a client address is counted under on Redis: `203.0.113.9` or `2001:db8:1:2::/64`.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn ip_label(address: IpAddr) -> String {
    match normalize(address) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{}/64", mask(IpAddr::V6(v6), 64)),
    }
}

fn normalize(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}

fn mask(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & mask))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & mask))
        }
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(forwarded: &[&str]) -> HeaderMap {
        let mut request = http::Request::builder();
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        request.body(()).unwrap().into_parts().0.headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let request = parts(&["1.2.3.4"]);
        assert_eq!(
            proxies.client_of(ip("203.0.113.9"), &request),
            ip("203.0.113.9")
        );
        assert_eq!(
            TrustedProxies::none().client_of(ip("10.0.0.1"), &request),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let proxies: TrustedProxies = "10.0.0.0/8, 192.168.0.1".parse().unwrap();
        // The client forged the first entry; our proxies appended the rest.
        let request = parts(&["6.6.6.6, 198.51.100.7", "192.168.0.1"]);
        assert_eq!(
            proxies.client_of(ip("10.0.0.2"), &request),
            ip("198.51.100.7")
        );
        // Only trusted hops: the leftmost is as far as we can see.
        let request = parts(&["10.9.9.9"]);
        assert_eq!(proxies.client_of(ip("10.0.0.2"), &request), ip("10.9.9.9"));
        // Garbage stops the walk at the last hop we trust.
        let request = parts(&["1.1.1.1, nonsense, 10.1.1.1"]);
        assert_eq!(proxies.client_of(ip("10.0.0.2"), &request), ip("10.1.1.1"));
    }

    #[test]
    fn hops_with_ports_and_brackets_are_read_and_bytes_are_decoded_per_hop() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let peer = ip("10.0.0.2");
        for (forwarded, client) in [
            ("198.51.100.7:4711", "198.51.100.7"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:4711", "2001:db8::1"),
            (" 198.51.100.7 ", "198.51.100.7"),
        ] {
            assert_eq!(
                proxies.client_of(peer, &parts(&[forwarded])),
                ip(client),
                "{forwarded}"
            );
        }
        // A client's own non-ASCII value does not hide the hop the proxy appended to it.
        let mut request = http::Request::builder().body(()).unwrap();
        request.headers_mut().insert(
            "x-forwarded-for",
            http::HeaderValue::from_bytes(b"\xff, 198.51.100.7").unwrap(),
        );
        let request = request.into_parts().0.headers;
        assert_eq!(proxies.client_of(peer, &request), ip("198.51.100.7"));
    }

    #[test]
    fn a_forged_run_of_trusted_hops_is_walked_only_so_far() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let run = vec!["10.1.1.1"; 10_000].join(", ");
        let forwarded = format!("198.51.100.7, {run}");
        let client = proxies.client_of(ip("10.0.0.2"), &parts(&[&forwarded]));
        assert_eq!(client, ip("10.1.1.1"), "stops at the last hop it walked");
    }

    #[test]
    fn mapped_addresses_are_ipv4_and_ipv6_is_grouped_by_64() {
        assert_eq!(ip_key(ip("::ffff:203.0.113.9")), ip_key(ip("203.0.113.9")));
        assert_eq!(
            ip_key(ip("2001:db8:1:2::1")),
            ip_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(ip_key(ip("2001:db8:1:2::1")), ip_key(ip("2001:db8:1:3::1")));
        assert_eq!(ip_label(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_eq!(ip_label(ip("::ffff:203.0.113.9")), "203.0.113.9");
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        assert!(proxies.contains(ip("::ffff:10.1.2.3")));
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "fd00::/129",
            "host.example",
            "10.0.0.0/-1",
        ] {
            assert!(bad.parse::<TrustedProxies>().is_err(), "{bad}");
        }
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
    }
}
