//! Property tests of the parsers a client's bytes (or an operator's settings) reach through the
//! public API: quotas, the trusted proxy list, path ids, queries, content types and JSON
//! bodies. The crate-private parsers (bearer credentials, `X-Forwarded-For`, `Forwarded`) have
//! theirs next to the code, in `#[cfg(test)] mod properties`.

mod common;

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use axum::body::Body;
use common::{Reply, hs256_config, read};
use proptest::prelude::*;
use secure_api::prelude::*;
use secure_api::rate::{MAX_PERIOD_SECS, Quota, QuotaError, TrustedProxies};
use secure_api::routing::{get, post};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use validator::Validate;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// Quotas: `COUNT "/" [AMOUNT] UNIT`.

/// Whether `text` is in the documented grammar: digits, `/`, optional digits, one unit.
fn in_quota_grammar(text: &str) -> bool {
    let Some((count, duration)) = text.split_once('/') else {
        return false;
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (amount, unit) = amount_and_unit(duration);
    !count.is_empty() && digits(count) && digits(amount) && ["s", "m", "h", "d"].contains(&unit)
}

/// `15m` as `15` and `m`: the last character is the unit.
fn amount_and_unit(duration: &str) -> (&str, &str) {
    let unit = duration.chars().last().map_or(0, char::len_utf8);
    duration.split_at(duration.len() - unit)
}

/// A number as written, possibly past any integer type: its value, saturated.
fn value_of(digits: &str) -> u128 {
    digits.bytes().fold(0u128, |n, b| {
        n.saturating_mul(10).saturating_add(u128::from(b - b'0'))
    })
}

fn quota_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{0,12}/[0-9]{0,8}[smhdx]?",
        "[0-9 +.-]{0,6}/[0-9 +.,]{0,6}[smhd ]{0,2}",
        "\\PC{0,12}",
        "[0-9]{1,3}/[0-9]{20,40}[smhd]",
        Just("\u{ff15}/1m".to_owned()),
        Just("5/\u{ff11}m".to_owned()),
        Just("5/1m\n".to_owned()),
        Just("5/1m/1m".to_owned()),
    ]
}

proptest! {
    #![proptest_config(config(1024))]

    /// Every quota displays in the grammar, in its shortest unit, and parses back to itself.
    #[test]
    fn a_quota_displays_and_parses_back_to_itself(
        count in 1u32..,
        period in 1..=MAX_PERIOD_SECS,
    ) {
        prop_assume!(u64::from(count) <= period * 1_000_000);
        let quota = Quota::new(count, Duration::from_secs(period)).unwrap();
        let text = quota.to_string();
        prop_assert!(in_quota_grammar(&text), "{text}");
        prop_assert_eq!(text.parse::<Quota>(), Ok(quota));
        // The next larger unit does not divide the period (days have none).
        let unit = text.as_bytes()[text.len() - 1];
        let next_unit = match unit {
            b's' => 60,
            b'm' => 3_600,
            b'h' => 86_400,
            _ => u64::MAX,
        };
        prop_assert!(period % next_unit != 0, "{text} is not the shortest");
    }

    /// Any text is a quota in the grammar that displays back to itself, or refused; each
    /// reason for a refusal is true of the text, and text without a reason is accepted.
    #[test]
    fn any_text_is_a_quota_or_refused_for_a_true_reason(text in quota_text()) {
        match text.parse::<Quota>() {
            Ok(quota) => {
                prop_assert!(in_quota_grammar(&text), "{text:?} accepted");
                prop_assert_eq!(quota.to_string().parse::<Quota>(), Ok(quota));
            }
            Err(error) => {
                prop_assert!(!error.to_string().is_empty());
                if !in_quota_grammar(&text) {
                    return Ok(());
                }
                let (count, duration) = text.split_once('/').unwrap();
                let count = value_of(count);
                let (amount, unit) = amount_and_unit(duration);
                let amount = if amount.is_empty() { 1 } else { value_of(amount) };
                let unit = match unit { "s" => 1, "m" => 60, "h" => 3_600, _ => 86_400 };
                let period = amount.saturating_mul(unit);
                let true_reason = match error {
                    QuotaError::CountTooLarge => count > u128::from(u32::MAX),
                    QuotaError::ZeroCount => count == 0,
                    QuotaError::ZeroPeriod => period == 0,
                    QuotaError::PeriodTooLong => period > u128::from(MAX_PERIOD_SECS),
                    QuotaError::TooFine => count > period.saturating_mul(1_000_000),
                    _ => false,
                };
                prop_assert!(true_reason, "{text:?}: {error:?}");
            }
        }
    }
}

// The trusted proxy list (`TRUSTED_PROXIES`): addresses and CIDR blocks.

/// Any IPv6 address but an IPv4-mapped one (proptest's own `Ipv6Addr` is mostly mapped).
fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>()
        .prop_map(Ipv6Addr::from)
        .prop_filter("IPv4-mapped", |v6| v6.to_ipv4_mapped().is_none())
}

/// A block as an operator writes it: an address and a prefix within its family's bits.
fn block() -> impl Strategy<Value = (IpAddr, u8)> {
    prop_oneof![
        (any::<Ipv4Addr>(), 0u8..=32).prop_map(|(a, p)| (IpAddr::V4(a), p)),
        (ipv6(), 0u8..=128).prop_map(|(a, p)| (IpAddr::V6(a), p)),
    ]
}

/// Whether `address` shares the first `prefix` bits of `network`: the definition of a block.
fn in_block(address: IpAddr, (network, prefix): (IpAddr, u8)) -> bool {
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    };
    let differing = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => u128::from(u32::from(a) ^ u32::from(n)) << 96,
        (IpAddr::V6(a), IpAddr::V6(n)) => u128::from(a) ^ u128::from(n),
        _ => return false,
    };
    differing.leading_zeros() >= u32::from(prefix)
}

/// Addresses near `network` (random low bits) and anywhere.
fn probe(network: IpAddr) -> impl Strategy<Value = IpAddr> {
    (any::<u128>(), 0u32..=128, any::<bool>()).prop_map(move |(bits, low, anywhere)| {
        let keep = u128::MAX.checked_shl(low).unwrap_or(0);
        match network {
            IpAddr::V4(n) if !anywhere => {
                let keep = u32::MAX.checked_shl(low.min(32)).unwrap_or(0);
                #[allow(clippy::cast_possible_truncation)] // The low 32 bits, on purpose.
                let bits = bits as u32;
                IpAddr::V4(Ipv4Addr::from((u32::from(n) & keep) | (bits & !keep)))
            }
            IpAddr::V6(n) if !anywhere => {
                IpAddr::V6(Ipv6Addr::from((u128::from(n) & keep) | (bits & !keep)))
            }
            _ => IpAddr::V6(Ipv6Addr::from(bits)),
        }
    })
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(","),
        Just(", "),
        Just(" ,\t"),
        Just(",,"),
        Just(" , , ")
    ]
}

/// Entries near the grammar: blocks with odd prefixes, zones, brackets, ports, junk.
fn proxy_entry() -> impl Strategy<Value = String> {
    prop_oneof![
        block().prop_map(|(a, p)| format!("{a}/{p}")),
        any::<Ipv4Addr>().prop_map(|a| a.to_string()),
        (any::<Ipv4Addr>(), "[0-9+ -]{0,4}").prop_map(|(a, p)| format!("{a}/{p}")),
        (ipv6(), 0u16..300).prop_map(|(a, p)| format!("{a}/{p}")),
        ipv6().prop_map(|a| format!("[{a}]")),
        ipv6().prop_map(|a| format!("{a}%eth0")),
        any::<Ipv4Addr>().prop_map(|a| format!("{a}:8080")),
        "[0-9a-fA-F.:/%\\[\\] ]{0,24}",
        "\\PC{0,10}",
    ]
}

proptest! {
    #![proptest_config(config(1024))]

    /// A block parses to exactly the addresses that share its prefix, whatever host bits it
    /// was written with; an address alone is a block of one.
    #[test]
    fn a_block_holds_exactly_the_addresses_of_its_prefix(
        ((network, prefix), probes) in block()
            .prop_flat_map(|b| (Just(b), proptest::collection::vec(probe(b.0), 8))),
    ) {
        let proxies: TrustedProxies = format!("{network}/{prefix}").parse().unwrap();
        for address in probes.into_iter().chain([network]) {
            prop_assert_eq!(
                proxies.contains(address),
                in_block(address, (network, prefix)),
                "{}/{} and {}", network, prefix, address
            );
        }
        let alone: TrustedProxies = network.to_string().parse().unwrap();
        prop_assert!(alone.contains(network));
    }

    /// A list is the union of its entries, however they are separated and padded.
    #[test]
    fn a_list_holds_the_addresses_of_any_of_its_blocks(
        (blocks, probe) in proptest::collection::vec(block(), 0..5).prop_flat_map(|blocks| {
            let near = blocks.first().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |b| b.0);
            (Just(blocks), probe(near))
        }),
        separators in proptest::collection::vec(separator(), 5),
    ) {
        let mut text = String::new();
        for ((network, prefix), separator) in blocks.iter().zip(&separators) {
            write!(text, " {network}/{prefix}{separator}").unwrap();
        }
        let proxies: TrustedProxies = text.parse().unwrap();
        prop_assert_eq!(proxies.is_empty(), blocks.is_empty());
        let expected = blocks.iter().any(|&block| in_block(probe, block));
        prop_assert_eq!(proxies.contains(probe), expected, "{:?} and {}", text, probe);
    }

    /// Any list is accepted, or refused naming its first entry that is not an address or a
    /// block, exactly as written (trimmed).
    #[test]
    fn a_refused_list_names_its_first_bad_entry(
        entries in proptest::collection::vec(proxy_entry(), 0..5),
        separator in separator(),
    ) {
        let text = entries.join(separator);
        let trimmed: Vec<&str> = text.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
        let first_bad = trimmed.iter().find(|e| e.parse::<TrustedProxies>().is_err());
        match (text.parse::<TrustedProxies>(), first_bad) {
            (Ok(_), None) => {}
            (Err(error), Some(bad)) => prop_assert_eq!(
                error.to_string(),
                format!("`{bad}` is not an IP address or a CIDR block such as `10.0.0.0/8`")
            ),
            (outcome, bad) => {
                return Err(TestCaseError::fail(format!("{text:?}: {outcome:?}, bad entry {bad:?}")));
            }
        }
    }

    /// A block written as IPv4-mapped IPv6 holds the addresses of the IPv4 block it names,
    /// as a mapped address is the IPv4 one.
    #[test]
    fn a_mapped_block_is_its_ipv4_block(v4 in any::<Ipv4Addr>(), prefix in 0u8..=32) {
        let mapped = format!("{}/{}", v4.to_ipv6_mapped(), 96 + prefix);
        let ipv4 = format!("{v4}/{prefix}");
        prop_assert_eq!(mapped.parse::<TrustedProxies>(), ipv4.parse::<TrustedProxies>());
    }
}

// Requests: path ids, queries, content types and JSON bodies, through the router.

#[derive(Debug, PartialEq, Deserialize, Serialize, Validate, Input)]
struct Draft {
    #[validate(length(min = 1, max = 40))]
    title: String,
    views: u32,
    #[validate(length(max = 4))]
    #[input(each(length(min = 1, max = 10)))]
    tags: Option<Vec<String>>,
    #[validate(nested)]
    author: Option<Author>,
}

#[derive(Debug, PartialEq, Deserialize, Serialize, Validate, Input)]
struct Author {
    #[validate(length(max = 20))]
    name: String,
}

#[derive(Deserialize, Validate, Input)]
struct Page {
    #[validate(range(min = 1))]
    page: Option<u32>,
    #[serde(rename = "perPage")]
    #[validate(range(min = 1, max = 100))]
    per_page: Option<u32>,
}

#[secure(public)]
async fn by_uuid(Path(id): Path<uuid::Uuid>) -> String {
    id.to_string()
}

#[secure(public)]
async fn by_number(Path(n): Path<u64>) -> String {
    n.to_string()
}

#[secure(public)]
async fn list(Query(page): Query<Page>) -> String {
    format!("{:?}/{:?}", page.page, page.per_page)
}

#[secure(public)]
async fn list_form(Form(page): Form<Page>) -> String {
    format!("{:?}/{:?}", page.page, page.per_page)
}

#[secure(public)]
async fn create(Json(draft): Json<Draft>) -> StatusCode {
    let _ = draft;
    StatusCode::CREATED
}

/// The app, built once per test thread on a runtime of its own, which runs every case's
/// request.
struct App {
    runtime: tokio::runtime::Runtime,
    service: secure_api::routing::SecureService,
}

thread_local! {
    static APP: App = {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let service = {
            let _context = runtime.enter();
            secure_api::Router::new()
                .route("/ids/{id}", get(by_uuid))
                .route("/numbers/{n}", get(by_number))
                .route("/list", get(list).post(list_form))
                .route("/drafts", post(create))
                .with_config(hs256_config())
                .into_service()
        };
        App { runtime, service }
    };
}

fn send(request: http::Request<Body>) -> Reply {
    APP.with(|app| {
        let service = app.service.clone();
        app.runtime
            .block_on(async move { read(service.oneshot(request).await.unwrap()).await })
    })
}

/// What every answer carries: the security headers, and on an error the JSON error body with
/// the request id of its header.
fn assert_envelope(reply: &Reply) -> Result<(), TestCaseError> {
    prop_assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    prop_assert_eq!(reply.header("cache-control"), Some("no-store"));
    prop_assert!(reply.header("content-security-policy").is_some());
    prop_assert!(!reply.status.is_server_error(), "{reply:?}");
    if !reply.status.is_success() {
        prop_assert!(reply.body["error"].is_string(), "{reply:?}");
        prop_assert_eq!(
            reply.body["requestId"].as_str(),
            reply.header("x-request-id")
        );
    }
    Ok(())
}

/// Percent-decoding as a path parameter is decoded: `%XX` is a byte, a `%` without two hex
/// digits stays as it is.
fn percent_decoded(text: &str) -> Vec<u8> {
    let hex = |at: usize| {
        let digit = char::from(*text.as_bytes().get(at)?).to_digit(16)?;
        u8::try_from(digit).ok()
    };
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match hex(i + 1).zip(hex(i + 2)) {
            Some((high, low)) if bytes[i] == b'%' => {
                out.push(high << 4 | low);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

/// A path segment: ids in every spelling `uuid` knows, numbers, percent-encodings of any
/// byte, sub-delimiters, text past ASCII, and very long runs.
fn segment() -> impl Strategy<Value = String> {
    let uuid = any::<u128>().prop_map(uuid::Uuid::from_u128);
    let piece = prop_oneof![
        "[A-Za-z0-9._~-]{1,8}",
        "[!$&'()*+,;=:@]{1,3}",
        any::<u8>().prop_map(|b| format!("%{b:02X}")),
        any::<u8>().prop_map(|b| format!("%{b:02x}")),
        Just("%".to_owned()),
        Just("%g1".to_owned()),
        Just("%+1".to_owned()),
        uuid.clone().prop_map(|u| u.hyphenated().to_string()),
        uuid.clone()
            .prop_map(|u| u.simple().to_string().to_uppercase()),
        uuid.clone()
            .prop_map(|u| format!("%7B{}%7D", u.hyphenated())),
        uuid.clone().prop_map(|u| u.urn().to_string()),
        uuid.prop_map(|u| u.hyphenated().to_string().replace('-', "%2D")),
        "[+-]?[0-9]{1,22}",
        "\\PC{1,3}",
    ];
    prop_oneof![
        8 => proptest::collection::vec(piece.clone(), 1..4).prop_map(|p| p.concat()),
        1 => (piece, 7_000usize..9_000).prop_map(|(p, len)| p.repeat(len / p.len().max(1) + 1)),
    ]
}

/// A `GET` of `uri`, if it is one.
fn request_to(uri: &str) -> Option<http::Request<Body>> {
    http::Request::get(uri).body(Body::empty()).ok()
}

/// `value` as `Content-Type`, and whether a JSON body may come with it: the type's letters in
/// any case, its parameters, blanks, and lookalikes.
fn content_type() -> impl Strategy<Value = (Vec<u8>, bool)> {
    let mime = prop_oneof![
        12 => Just(("application/json", true)),
        2 => Just(("application/problem+json", true)),
        2 => Just(("application/vnd.api+json", true)),
        1 => Just(("text/json", false)),
        1 => Just(("application/jsonx", false)),
        1 => Just(("application/json-seq", false)),
        1 => Just(("application/x-www-form-urlencoded", false)),
        1 => Just(("application/", false)),
        1 => Just(("", false)),
    ];
    let case = proptest::collection::vec(any::<bool>(), 32);
    let parameter = prop_oneof![
        Just(""),
        Just("; charset=utf-8"),
        Just(";charset=\"UTF-8\""),
        Just(" ; x=y; z"),
        Just(";"),
    ];
    let non_ascii = proptest::bool::weighted(0.1);
    (mime, case, parameter, "[ \t]{0,2}", non_ascii).prop_map(
        |((mime, json), case, parameter, blank, non_ascii)| {
            let mime: String = mime
                .chars()
                .zip(case.into_iter().cycle())
                .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                .collect();
            let mut value = format!("{blank}{mime}{blank}{parameter}").into_bytes();
            if non_ascii {
                value.extend_from_slice(b"; q=\xe9");
            }
            // A value that is not text is refused: its type cannot be read.
            (value, json && !non_ascii)
        },
    )
}

/// A body: JSON of any shape (arrays, wrong types, unknown and duplicate fields, numbers past
/// any integer, deep nesting), bytes that are not JSON, and trailing bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "VALUE~\\PC{0,12}".prop_map(serde_json::Value::from),
    ];
    let key = prop_oneof![
        Just("title".to_owned()),
        Just("views".to_owned()),
        Just("tags".to_owned()),
        Just("author".to_owned()),
        Just("name".to_owned()),
        "[a-z$@_-]{1,6}",
        "KEY~<\\PC{0,8}>",
    ];
    let value = leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    // A valid draft, then with one thing wrong: a field too long, of another type, unknown.
    let change = prop_oneof![3 => Just(0u8), 4 => 1..5u8];
    let near_valid = (draft(), change).prop_map(|(draft, change)| {
        let mut value = serde_json::to_value(&draft).unwrap();
        match change {
            0 => {}
            1 => value["title"] = "t".repeat(41).into(),
            2 => value["views"] = "VALUE~1".into(),
            3 => value["tags"] = serde_json::json!(["VALUE~ of more than ten characters"]),
            _ => value["KEY~<script>"] = 1.into(),
        }
        value.to_string().into_bytes()
    });
    prop_oneof![
        3 => near_valid,
        6 => value.prop_map(|v| v.to_string().into_bytes()),
        1 => prop_oneof![
            Just(br#"{"title":"a","views":1e400}"#.to_vec()),
            Just(br#"{"title":"a","views":18446744073709551616}"#.to_vec()),
            Just(br#"{"title":"a","views":-0}"#.to_vec()),
            Just(br#"{"title":"a","title":"b","views":1}"#.to_vec()),
            Just(b"{\"title\":\"\xff\",\"views\":1}".to_vec()),
            Just(b"\xef\xbb\xbf{\"title\":\"a\",\"views\":1}".to_vec()),
            Just(br#"{"title":"a","views":1} x"#.to_vec()),
            (1usize..3_000).prop_map(|depth| [b"[".repeat(depth), b"]".repeat(depth)].concat()),
            (1usize..3_000).prop_map(|depth| br#"{"author":"#.repeat(depth)),
        ],
        1 => proptest::collection::vec(any::<u8>(), 0..64),
    ]
}

fn draft() -> impl Strategy<Value = Draft> {
    (
        "\\PC{1,40}",
        any::<u32>(),
        proptest::option::of(proptest::collection::vec("\\PC{1,10}", 0..=4)),
        proptest::option::of("\\PC{0,20}".prop_map(|name| Author { name })),
    )
        .prop_map(|(title, views, tags, author)| Draft {
            title,
            views,
            tags,
            author,
        })
}

/// Whether `field` names a field the way `details` may: names of at most 64 plain
/// characters (or `[…]` for one the client chose that is not plain), then indexes (`[3]`),
/// joined by dots.
fn is_plain_path(field: &str) -> bool {
    const HIDDEN: &str = "[…]";
    field.split('.').all(|part| {
        let name_end = if part.starts_with(HIDDEN) {
            HIDDEN.len()
        } else {
            part.find('[').unwrap_or(part.len())
        };
        let (name, indexes) = part.split_at(name_end);
        let plain = name == HIDDEN
            || name == "?"
            || (name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-$@".contains(c)));
        let indexes = indexes.split_terminator(']').all(|index| {
            index
                .strip_prefix('[')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        plain && indexes
    })
}

/// What the rules of `Draft` say of an accepted one, checked apart from the validator.
fn follows_the_rules(draft: &Draft) -> bool {
    let chars = |s: &str| s.chars().count();
    (1..=40).contains(&chars(&draft.title))
        && draft
            .tags
            .as_ref()
            .is_none_or(|tags| tags.len() <= 4 && tags.iter().all(|t| (1..=10).contains(&chars(t))))
        && draft.author.as_ref().is_none_or(|a| chars(&a.name) <= 20)
}

proptest! {
    #![proptest_config(config(256))]

    /// A path id that parses as its type is served; any other (bytes that are not UTF-8,
    /// near-ids, long runs) is `404 Not found`, as if the resource did not exist. A URI over
    /// the limit is `414`.
    #[test]
    fn a_path_id_is_served_or_not_found(segment in segment(), uuid_route in any::<bool>()) {
        let prefix = if uuid_route { "/ids/" } else { "/numbers/" };
        let Some(request) = request_to(&format!("{prefix}{segment}")) else {
            // Not a URI at all: hyper refuses such a request line before the app sees it.
            return Ok(());
        };
        // The segment as the URI holds it: a `?` starts the query, a `#` the fragment.
        let uri = request.uri().path_and_query().map_or("", |p| p.as_str()).to_owned();
        let segment = request.uri().path().strip_prefix(prefix).unwrap_or_default().to_owned();
        let reply = send(request);
        assert_envelope(&reply)?;
        let decoded = String::from_utf8(percent_decoded(&segment)).ok();
        let expected = decoded.as_deref().and_then(|text| {
            if uuid_route {
                uuid::Uuid::parse_str(text).ok().map(|u| u.to_string())
            } else {
                text.parse::<u64>().ok().map(|n| n.to_string())
            }
        });
        match expected {
            _ if uri.len() > 8 * 1024 => prop_assert_eq!(reply.status, StatusCode::URI_TOO_LONG),
            Some(id) => {
                prop_assert_eq!(reply.status, StatusCode::OK, "{}: {:?}", uri, reply);
                prop_assert_eq!(reply.text, id);
            }
            None => {
                prop_assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}: {:?}", uri, reply);
                prop_assert_eq!(reply.body_without_request_id(), serde_json::json!({"error": "Not found"}));
            }
        }
    }

    /// A query (or a form body) of in-range numbers is read as written; out of range,
    /// `400 Invalid input`; any other is served or refused with a `400`.
    #[test]
    fn a_query_or_form_is_read_or_refused_with_400(
        page in proptest::option::of(0u64..=u64::from(u32::MAX) + 1),
        per_page in proptest::option::of(0u32..=200),
        junk in proptest::option::of("([A-Za-z0-9=&%+._~-]|%[0-9A-F]{2}){0,40}"),
        as_form in any::<bool>(),
    ) {
        let mut fields: Vec<String> = Vec::new();
        fields.extend(page.map(|p| format!("page={p}")));
        fields.extend(per_page.map(|p| format!("perPage={p}")));
        let text = junk.clone().unwrap_or_else(|| fields.join("&"));
        let uri = format!("/list?{text}");
        let request = if as_form {
            http::Request::post("/list")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(text))
                .ok()
        } else {
            request_to(&uri)
        };
        let Some(request) = request else { return Ok(()) };
        let reply = send(request);
        assert_envelope(&reply)?;
        prop_assert!(matches!(reply.status.as_u16(), 200 | 400), "{uri}: {reply:?}");
        if junk.is_some() {
            return Ok(());
        }
        let page_ok = page.is_none_or(|p| (1..=u64::from(u32::MAX)).contains(&p));
        let per_page_ok = per_page.is_none_or(|p| (1..=100).contains(&p));
        if page_ok && per_page_ok {
            prop_assert_eq!(reply.text, format!("{page:?}/{per_page:?}"));
        } else {
            prop_assert_eq!(reply.status, StatusCode::BAD_REQUEST);
            prop_assert_eq!(reply.body["error"].as_str(), Some("Invalid input"), "{:?}", reply);
        }
    }

    /// A JSON body is read only under a JSON content type, is accepted only when it is a valid
    /// `Draft`, and is otherwise refused with a `400` whose details name fields plainly and
    /// never echo a value, or a key the client chose that is not plain.
    #[test]
    fn a_body_is_accepted_only_when_valid_and_refused_without_echo(
        body in body(),
        (content_type, json_type) in content_type(),
        duplicate in proptest::option::of(content_type()),
    ) {
        let mut request = http::Request::post("/drafts")
            .header("content-type", http::HeaderValue::from_bytes(&content_type).unwrap());
        if let Some((other, _)) = duplicate {
            request = request.header("content-type", http::HeaderValue::from_bytes(&other).unwrap());
        }
        let reply = send(request.body(Body::from(body.clone())).unwrap());
        assert_envelope(&reply)?;
        prop_assert!(!reply.text.contains("VALUE~") && !reply.text.contains("KEY~"), "{reply:?}");
        if !json_type {
            prop_assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{:?}", reply);
            return Ok(());
        }
        let read = secure_api::validate::json::<Draft>(&body);
        if let Ok(draft) = &read {
            prop_assert!(follows_the_rules(draft), "{draft:?}");
        }
        let valid = read.is_ok();
        let expected = if valid { StatusCode::CREATED } else { StatusCode::BAD_REQUEST };
        prop_assert_eq!(reply.status, expected, "{:?}", String::from_utf8_lossy(&body));
        if !valid {
            let error = reply.body["error"].as_str();
            prop_assert!(matches!(error, Some("Invalid request" | "Invalid input")), "{reply:?}");
            let details = reply.body["details"].as_array().cloned().unwrap_or_default();
            prop_assert!(details.len() <= 20);
            for detail in details {
                let field = detail["field"].as_str().unwrap_or("~");
                prop_assert!(is_plain_path(field), "{field:?} in {reply:?}");
            }
        }
    }

    /// A valid draft, serialized, is read back as itself.
    #[test]
    fn a_valid_draft_reads_back_as_itself(draft in draft()) {
        let body = serde_json::to_vec(&draft).unwrap();
        prop_assert_eq!(secure_api::validate::json::<Draft>(&body).unwrap(), draft);
    }
}
