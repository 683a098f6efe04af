//! Properties of `Forwarded` and `X-Forwarded-Proto`, on any bytes a client can send: the
//! scheme is what our proxy appended last, and a client cannot turn a reported `http` into
//! anything else.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

use crate::properties::{config, long};

use super::{HttpsPolicy, Scheme, forwarded_protos};
use crate::client_ip::TrustedProxies;

fn proxies() -> TrustedProxies {
    "10.0.0.0/8, fd00::/8".parse().unwrap()
}

fn proxy_peer() -> SocketAddr {
    SocketAddr::from(([10, 0, 0, 1], 4711))
}

/// `http` or `https` in any letter case, as our proxy reports it.
fn proto() -> impl Strategy<Value = (&'static str, String)> {
    (
        prop_oneof![Just("http"), Just("https")],
        proptest::collection::vec(any::<bool>(), 5),
    )
        .prop_map(|(proto, upper)| {
            let spelled = proto
                .chars()
                .zip(upper.into_iter().cycle())
                .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                .collect();
            (proto, spelled)
        })
}

/// Spaces and tabs.
fn blanks() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![Just(' '), Just('\t')], 0..3)
        .prop_map(|blanks| blanks.into_iter().collect())
}

/// One `Forwarded` element as a proxy writes it: `proto=` among `for=`, `by=` and `host=`, in
/// any order, the value quoted or not, with blanks around the separators.
fn forwarded_element() -> impl Strategy<Value = (&'static str, String)> {
    let others = proptest::sample::subsequence(
        vec![
            "for=198.51.100.7",
            "for=\"[2001:db8::1]:4711\"",
            "by=10.0.0.1",
            "host=api.example.com",
            "for=unknown",
        ],
        0..=3,
    );
    (
        proto(),
        any::<bool>(),
        others,
        any::<prop::sample::Index>(),
        blanks(),
    )
        .prop_map(|((proto, spelled), quoted, others, at, blank)| {
            let value = if quoted {
                format!("\"{spelled}\"")
            } else {
                spelled
            };
            let pair = format!("{blank}PrOtO{blank}={blank}{value}{blank}");
            let mut pairs: Vec<String> = others.into_iter().map(str::to_owned).collect();
            pairs.insert(at.index(pairs.len() + 1), pair);
            (proto, pairs.join(";"))
        })
}

/// What a client writes before our proxy's value: visible ASCII, including lookalike
/// elements that claim HTTPS.
fn client_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\t -~]{0,40}",
        Just("proto=https".to_owned()),
        Just("for=1.2.3.4;proto=https".to_owned()),
        Just("proto=\"https".to_owned()),
        Just("https".to_owned()),
        Just(",;=\"".to_owned()),
        long(0x20u8..=0x7e, 2000..8000).prop_map(|bytes| String::from_utf8(bytes).unwrap()),
    ]
}

/// Any bytes a header value holds (no control bytes but tab), including bytes past ASCII.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![Just(b'\t'), 0x20u8..=0x7e, 0x80u8..=0xff];
    prop_oneof![
        proptest::collection::vec(byte.clone(), 0..48),
        long(byte, 2000..6000),
    ]
}

/// The header as our proxy forwards it: the client's own value, then the proxy's, on the same
/// line after a comma or on a line of its own.
fn forwarded_by_proxy(name: &'static str, client: &[u8], own: &str, same_line: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if same_line {
        let line = [client, b", ", own.as_bytes()].concat();
        headers.append(name, HeaderValue::from_bytes(&line).unwrap());
    } else {
        headers.append(name, HeaderValue::from_bytes(client).unwrap());
        headers.append(name, HeaderValue::from_str(own).unwrap());
    }
    headers
}

fn scheme(headers: &HeaderMap, peer: SocketAddr) -> Scheme {
    HttpsPolicy::default().scheme(false, Some(peer), headers, &proxies())
}

proptest! {
    #![proptest_config(config())]

    /// Whatever the headers hold, each reads as `http`, `https` or nothing.
    #[test]
    fn any_header_bytes_read_as_http_https_or_nothing(
        forwarded in proptest::collection::vec(header_bytes(), 0..3),
        proto in proptest::collection::vec(header_bytes(), 0..3),
    ) {
        let mut headers = HeaderMap::new();
        for value in &forwarded {
            headers.append("forwarded", HeaderValue::from_bytes(value).unwrap());
        }
        for value in &proto {
            headers.append("x-forwarded-proto", HeaderValue::from_bytes(value).unwrap());
        }
        for reported in forwarded_protos(&headers) {
            prop_assert!(matches!(reported, None | Some("http" | "https")), "{reported:?}");
        }
    }

    /// The `proto=` of the element our proxy appended to `Forwarded` is the one read,
    /// whatever the client wrote before it.
    #[test]
    fn the_proxys_forwarded_element_is_read(
        client in client_text(),
        (proto, element) in forwarded_element(),
        same_line in any::<bool>(),
    ) {
        let headers = forwarded_by_proxy("forwarded", client.as_bytes(), &element, same_line);
        prop_assert_eq!(forwarded_protos(&headers), [Some(proto), None], "{:?}", headers);
    }

    /// The value our proxy appended to `X-Forwarded-Proto` is the one read.
    #[test]
    fn the_proxys_forwarded_proto_is_read(
        client in client_text(),
        (proto, spelled) in proto(),
        blank in blanks(),
        same_line in any::<bool>(),
    ) {
        let own = format!("{blank}{spelled}{blank}");
        let headers = forwarded_by_proxy("x-forwarded-proto", client.as_bytes(), &own, same_line);
        prop_assert_eq!(forwarded_protos(&headers), [None, Some(proto)], "{:?}", headers);
    }

    /// Plain HTTP reported by our proxy in either header wins over anything the client wrote
    /// in either header, so a client cannot talk its way out of the redirect.
    #[test]
    fn plain_http_reported_by_the_proxy_wins(
        client in client_text(),
        other in proptest::collection::vec(client_text(), 0..2),
        in_forwarded in any::<bool>(),
        same_line in any::<bool>(),
    ) {
        let (name, other_name, own) = if in_forwarded {
            ("forwarded", "x-forwarded-proto", "for=198.51.100.7;proto=http")
        } else {
            ("x-forwarded-proto", "forwarded", "http")
        };
        let mut headers = forwarded_by_proxy(name, client.as_bytes(), own, same_line);
        for value in other {
            headers.append(other_name, HeaderValue::from_str(&value).unwrap());
        }
        prop_assert_eq!(scheme(&headers, proxy_peer()), Scheme::Http, "{:?}", headers);
    }

    /// The headers of a peer that is not our proxy say nothing, whatever they hold.
    #[test]
    fn an_untrusted_peer_is_not_believed(
        forwarded in header_bytes(),
        proto in header_bytes(),
        peer in any::<Ipv4Addr>(),
    ) {
        let peer = SocketAddr::new(IpAddr::V4(peer), 4711);
        prop_assume!(!proxies().contains(peer.ip()));
        let mut headers = HeaderMap::new();
        headers.append("forwarded", HeaderValue::from_bytes(&forwarded).unwrap());
        headers.append("x-forwarded-proto", HeaderValue::from_bytes(&proto).unwrap());
        prop_assert_eq!(scheme(&headers, peer), Scheme::Unknown);
        prop_assert_eq!(
            HttpsPolicy::default().scheme(true, Some(peer), &headers, &proxies()),
            Scheme::Https
        );
    }
}

proptest! {
    #![proptest_config(config())]

    /// As `plain_http_reported_by_the_proxy_wins`, with client bytes past ASCII on the line
    /// our proxy appends to.
    #[test]
    fn plain_http_reported_by_the_proxy_wins_over_any_client_bytes(
        client in header_bytes(),
        in_forwarded in any::<bool>(),
    ) {
        let (name, own) = if in_forwarded {
            ("forwarded", "for=198.51.100.7;proto=http")
        } else {
            ("x-forwarded-proto", "http")
        };
        let headers = forwarded_by_proxy(name, &client, own, true);
        prop_assert_eq!(scheme(&headers, proxy_peer()), Scheme::Http, "{:?}", headers);
    }
}

/// The minimal case proptest once found: `X-Forwarded-Proto: \xff, http` from our proxy.
/// (`X-Forwarded-For` decodes each hop on its own for the same reason; see `client_ip`.)
#[test]
fn a_non_ascii_client_prefix_does_not_hide_the_proxys_http() {
    for (name, own) in [
        ("x-forwarded-proto", "http"),
        ("forwarded", "for=198.51.100.7;proto=http"),
    ] {
        let headers = forwarded_by_proxy(name, b"\xff", own, true);
        assert_eq!(scheme(&headers, proxy_peer()), Scheme::Http, "{name}");
    }
}
