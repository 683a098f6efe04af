//! Properties of `X-Forwarded-For`, on any bytes a client can send: a hop reads as the address
//! it names or as nothing, and the client of a chain is the rightmost hop that is not one of
//! our proxies, whatever the client wrote to the left of it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

use crate::properties::{config, long};

use super::{MAX_TRUSTED_HOPS, TrustedProxies, normalize, parse_hop};

/// Any IPv6 address but an IPv4-mapped one (proptest's own `Ipv6Addr` is mostly mapped).
fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>()
        .prop_map(Ipv6Addr::from)
        .prop_filter("IPv4-mapped", |v6| v6.to_ipv4_mapped().is_none())
}

/// IPv4, IPv6, and IPv4 mapped into IPv6 (which counts as the IPv4 address).
fn address() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<Ipv4Addr>().prop_map(IpAddr::V4),
        ipv6().prop_map(IpAddr::V6),
        any::<Ipv4Addr>().prop_map(|v4| IpAddr::V6(v4.to_ipv6_mapped())),
    ]
}

/// The ways a proxy writes a hop: bare, padded, with a port, bracketed, mapped.
#[derive(Clone, Copy, Debug)]
enum Style {
    Bare,
    Padded,
    Port(u16),
    Brackets,
    BracketsPort(u16),
    Mapped,
}

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        Just(Style::Bare),
        Just(Style::Padded),
        any::<u16>().prop_map(Style::Port),
        Just(Style::Brackets),
        any::<u16>().prop_map(Style::BracketsPort),
        Just(Style::Mapped),
    ]
}

/// `address` written in `style`, as text a proxy appends.
fn written(address: IpAddr, style: Style) -> String {
    match (style, address) {
        (Style::Bare, _) => address.to_string(),
        (Style::Padded, _) => format!(" \t{address} "),
        (Style::Port(port), IpAddr::V4(v4)) => format!("{v4}:{port}"),
        (Style::Port(port) | Style::BracketsPort(port), IpAddr::V6(v6)) => {
            format!("[{v6}]:{port}")
        }
        (Style::Brackets, IpAddr::V6(v6)) => format!("[{v6}]"),
        (Style::Mapped, IpAddr::V4(v4)) => v4.to_ipv6_mapped().to_string(),
        (Style::Brackets | Style::BracketsPort(_), IpAddr::V4(v4)) => {
            format!("[{}]:443", v4.to_ipv6_mapped())
        }
        (Style::Mapped, IpAddr::V6(v6)) => format!("[{v6}]:0"),
    }
}

/// Text a client may put anywhere in the header: junk, near-addresses, zones, long runs, and
/// bytes that are not UTF-8.
fn junk() -> impl Strategy<Value = Vec<u8>> {
    let visible = prop_oneof![Just(b'\t'), 0x20u8..=0x7e, 0x80u8..=0xff];
    prop_oneof![
        proptest::collection::vec(visible.clone(), 0..24),
        Just(b"unknown".to_vec()),
        Just(b"fe80::1%eth0".to_vec()),
        Just(b"[fe80::1%4]".to_vec()),
        Just(b"999.1.1.1".to_vec()),
        Just(b"1.2.3.4:99999".to_vec()),
        Just(b"[::1".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        long(visible, 4096..12_000),
    ]
}

/// The proxies: one to four blocks, of IPv4 or IPv6. (A block written as IPv4-mapped IPv6
/// is read as IPv4, prefix and all; `tests/properties.rs` covers that.)
fn trusted_blocks() -> impl Strategy<Value = Vec<(IpAddr, u8)>> {
    let block = prop_oneof![
        (any::<Ipv4Addr>(), 8u8..=32).prop_map(|(a, p)| (IpAddr::V4(a), p)),
        (ipv6(), 16u8..=128).prop_map(|(a, p)| (IpAddr::V6(a), p)),
    ];
    proptest::collection::vec(block, 1..=4)
}

fn proxies_of(blocks: &[(IpAddr, u8)]) -> TrustedProxies {
    let text: Vec<String> = blocks.iter().map(|(a, p)| format!("{a}/{p}")).collect();
    text.join(", ").parse().unwrap()
}

/// An address inside one of `blocks`: its network bits, with random host bits.
fn inside(blocks: &[(IpAddr, u8)], pick: prop::sample::Index, host: u128) -> IpAddr {
    let (network, prefix) = blocks[pick.index(blocks.len())];
    match network {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            #[allow(clippy::cast_possible_truncation)] // The low 32 bits, on purpose.
            let host = host as u32;
            IpAddr::V4(Ipv4Addr::from((u32::from(v4) & mask) | (host & !mask)))
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from((u128::from(v6) & mask) | (host & !mask)))
        }
    }
}

/// The hops as header lines: joined with commas and blanks, cut into one to three lines at
/// hop boundaries (every cut falls between two hops).
fn lines(hops: &[Vec<u8>], separators: &[&[u8]], cuts: &[prop::sample::Index]) -> HeaderMap {
    let mut cut_after: Vec<usize> = cuts.iter().map(|c| c.index(hops.len())).collect();
    cut_after.sort_unstable();
    let mut map = HeaderMap::new();
    let mut line = Vec::new();
    for (i, hop) in hops.iter().enumerate() {
        line.extend_from_slice(hop);
        if i + 1 == hops.len() || cut_after.contains(&i) {
            map.append("x-forwarded-for", HeaderValue::from_bytes(&line).unwrap());
            line.clear();
        } else {
            line.extend_from_slice(separators[i % separators.len()]);
        }
    }
    map
}

fn separators() -> impl Strategy<Value = Vec<&'static [u8]>> {
    let one = prop_oneof![
        Just(&b", "[..]),
        Just(&b","[..]),
        Just(&b" , "[..]),
        Just(&b"\t,\t"[..]),
    ];
    proptest::collection::vec(one, 1..4)
}

/// A forwarded chain through our proxies: the peer and every hop right of the client are
/// trusted, the client is not, and left of it is whatever the client forged.
#[derive(Debug)]
struct Chain {
    proxies: TrustedProxies,
    peer: IpAddr,
    client: IpAddr,
    headers: HeaderMap,
}

fn chain(trusted_hops: std::ops::Range<usize>) -> impl Strategy<Value = (Chain, Vec<IpAddr>)> {
    trusted_blocks().prop_flat_map(move |blocks| {
        let proxies = proxies_of(&blocks);
        let untrusted = {
            let proxies = proxies.clone();
            address().prop_filter("a trusted address", move |a| !proxies.contains(*a))
        };
        let blocks_for_hops = blocks.clone();
        let trusted = (any::<prop::sample::Index>(), any::<u128>())
            .prop_map(move |(pick, host)| inside(&blocks_for_hops, pick, host));
        (
            (any::<prop::sample::Index>(), any::<u128>()),
            proptest::collection::vec((trusted, style()), trusted_hops.clone()),
            (untrusted, style()),
            proptest::collection::vec(junk(), 0..4),
            separators(),
            proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
        )
            .prop_map(
                move |(peer, trusted, (client, client_style), forged, seps, cuts)| {
                    let peer = inside(&blocks, peer.0, peer.1);
                    let mut hops = forged;
                    hops.push(written(client, client_style).into_bytes());
                    hops.extend(trusted.iter().map(|(a, s)| written(*a, *s).into_bytes()));
                    let headers = lines(&hops, &seps, &cuts);
                    let chain = Chain {
                        proxies: proxies.clone(),
                        peer,
                        client,
                        headers,
                    };
                    (chain, trusted.into_iter().map(|(a, _)| a).collect())
                },
            )
    })
}

/// `X-Forwarded-For` lines of any bytes a header value holds.
fn any_lines() -> impl Strategy<Value = HeaderMap> {
    let hops = proptest::collection::vec(
        prop_oneof![
            junk(),
            (address(), style()).prop_map(|(a, s)| written(a, s).into_bytes())
        ],
        1..8,
    );
    (
        hops,
        separators(),
        proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
    )
        .prop_map(|(hops, seps, cuts)| lines(&hops, &seps, &cuts))
}

proptest! {
    #![proptest_config(config())]

    /// Every form a proxy writes reads back as its address: bare, padded with blanks, with a
    /// port, bracketed, IPv4 mapped into IPv6.
    #[test]
    fn a_written_hop_reads_back_as_its_address(address in address(), style in style()) {
        let text = written(address, style);
        let read = parse_hop(text.as_bytes()).map(normalize);
        prop_assert_eq!(read, Some(normalize(address)), "{}", text);
    }

    /// A hop is an address or nothing: bytes that are not UTF-8 are nothing, and an address
    /// read from any bytes is one that reads back from its own text.
    #[test]
    fn any_bytes_read_as_an_address_or_nothing(bytes in prop_oneof![
        junk(),
        proptest::collection::vec(any::<u8>(), 0..64),
    ]) {
        let read = parse_hop(&bytes);
        if std::str::from_utf8(&bytes).is_err() {
            prop_assert_eq!(read, None);
        }
        if let Some(address) = read {
            prop_assert_eq!(parse_hop(address.to_string().as_bytes()), Some(address));
        }
    }

    /// An IPv6 hop with a zone reads as the address without its zone, or as nothing: never as
    /// another address.
    #[test]
    fn a_zoned_hop_is_its_address_or_nothing(
        v6 in any::<Ipv6Addr>(),
        zone in prop_oneof!["[0-9]{1,10}", "[a-z]{1,8}[0-9]?", Just(String::new())],
        port in proptest::option::of(any::<u16>()),
    ) {
        let text = match port {
            Some(port) => format!("[{v6}%{zone}]:{port}"),
            None => format!("{v6}%{zone}"),
        };
        let read = parse_hop(text.as_bytes());
        prop_assert!(read.is_none() || read == Some(IpAddr::V6(v6)), "{text}: {read:?}");
    }

    /// Through our proxies, the client is the rightmost hop that is not one of them, whatever
    /// the client forged to its left (junk, addresses, bytes that are not UTF-8, long runs)
    /// and however the hops are spaced and split into header lines.
    #[test]
    fn the_client_is_the_rightmost_untrusted_hop(
        (chain, _) in chain(0..MAX_TRUSTED_HOPS),
    ) {
        let client = chain.proxies.client_of(chain.peer, &chain.headers);
        prop_assert_eq!(client, normalize(chain.client), "{:?}", chain);
    }

    /// A run of trusted-looking hops longer than the walk is followed only so far: the client
    /// is then the last trusted hop walked, never what the client wrote left of the run.
    #[test]
    fn a_long_trusted_run_stops_at_the_last_hop_walked(
        (chain, trusted) in chain(MAX_TRUSTED_HOPS..MAX_TRUSTED_HOPS * 3),
    ) {
        let client = chain.proxies.client_of(chain.peer, &chain.headers);
        let last_walked = trusted[trusted.len() - MAX_TRUSTED_HOPS];
        prop_assert_eq!(client, normalize(last_walked));
        prop_assert!(chain.proxies.contains(client));
    }

    /// A peer that is not one of our proxies is the client, whatever it sends.
    #[test]
    fn an_untrusted_peer_is_the_client(
        blocks in trusted_blocks(),
        peer in address(),
        headers in any_lines(),
    ) {
        let proxies = proxies_of(&blocks);
        prop_assume!(!proxies.contains(peer));
        prop_assert_eq!(proxies.client_of(peer, &headers), normalize(peer));
    }

    /// Whatever a trusted peer forwards, the client is the peer or an address written in one
    /// of the hops: never one made up.
    #[test]
    fn the_client_is_never_an_address_nobody_wrote(
        blocks in trusted_blocks(),
        pick in any::<prop::sample::Index>(),
        host in any::<u128>(),
        headers in any_lines(),
    ) {
        let proxies = proxies_of(&blocks);
        let peer = inside(&blocks, pick, host);
        let client = proxies.client_of(peer, &headers);
        let written: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|line| line.as_bytes().split(|&b| b == b','))
            .filter_map(parse_hop)
            .map(normalize)
            .collect();
        prop_assert!(client == normalize(peer) || written.contains(&client), "{client} from {headers:?}");
    }
}
