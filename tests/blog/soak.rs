//! A bounded soak: the blog's own binary under about a minute of mixed traffic at high
//! concurrency, over real sockets, from a pool of client addresses (forwarded through the
//! trusted loopback proxy, with the production general limit of 100 per 15 minutes, so the
//! per-address limits act as they would in production).
//!
//! Every answer must be one its kind of request allows; every post created (`201`) must be
//! readable afterwards; resident memory at the end may be at most 20% above its value after
//! the warm-up. `SOAK_SECS` changes the length (default 60); the numbers are printed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::child::ChildBlog;
use crate::harness::Client;

const WORKERS: usize = 48;
const ADDRESSES: usize = 400;
const USERS: usize = 12;
const WARM_UP: Duration = Duration::from_secs(8);

/// The kinds of request, each with the statuses it may answer. `429` is every kind's: the
/// limits act. `503` is a login's while the hashing queue is full, and any write's while the
/// database is busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    List,
    Read,
    Create,
    Login,
    WrongPassword,
    BadToken,
    Oversized,
    Malformed,
    WrongType,
}

impl Kind {
    fn allowed(self) -> &'static [u16] {
        match self {
            Self::List | Self::Read => &[200, 429],
            Self::Create => &[201, 429, 503],
            Self::Login => &[200, 429, 503],
            Self::WrongPassword => &[401, 429, 503],
            Self::BadToken => &[401, 429],
            Self::Oversized => &[413, 429],
            Self::Malformed => &[400, 429],
            Self::WrongType => &[415, 429],
        }
    }

    /// The mix: mostly reads, some writes, a few of each attack.
    fn pick(n: u64) -> Self {
        match n % 100 {
            0..=39 => Self::List,
            40..=64 => Self::Read,
            65..=79 => Self::Create,
            80..=81 => Self::Login,
            82..=84 => Self::WrongPassword,
            85..=89 => Self::BadToken,
            90..=91 => Self::Oversized,
            92..=95 => Self::Malformed,
            _ => Self::WrongType,
        }
    }
}

struct Account {
    email: String,
    password: String,
    token: String,
}

#[derive(Default)]
struct Record {
    latencies: Vec<Duration>,
    statuses: std::collections::BTreeMap<(Kind, u16), u64>,
    unexpected: Vec<String>,
    /// Each created post with its author's index.
    created: Vec<(String, usize)>,
}

/// A small, fast generator (xorshift): the mix must not depend on a crate's randomness.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// An index below `len`, from the generator.
fn below(state: &mut u64, len: usize) -> usize {
    usize::try_from(next(state) % len as u64).unwrap()
}

/// What every worker shares.
struct Shared {
    accounts: Vec<Account>,
    pool: Vec<String>,
    base: Client,
    record: Mutex<Record>,
    stop: AtomicBool,
    oversized: String,
}

/// Registers and logs in the soak's accounts, each from an address of its own.
async fn accounts(clients: &crate::harness::Clients) -> Vec<Account> {
    let mut accounts = Vec::new();
    for n in 0..USERS {
        let client = clients.client();
        let email = format!("soak{n}@example.com");
        let password = format!("soak user {n}'s long passphrase");
        let reply = client
            .post(
                "/api/v1/auth/register",
                &json!({"email": email, "name": format!("soak {n}"), "password": password}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        let token = client.login(&email, &password).await;
        accounts.push(Account {
            email,
            password,
            token,
        });
    }
    accounts
}

/// One client in a loop until told to stop: a request of a random kind, from a random address
/// of the pool, as a random account.
async fn work(shared: Arc<Shared>, worker: u64) {
    let mut state = 0x9E37_79B9_7F4A_7C15 ^ (worker + 1);
    while !shared.stop.load(Ordering::Relaxed) {
        let kind = Kind::pick(next(&mut state));
        let author = below(&mut state, shared.accounts.len());
        let mut client: Client = shared.base.with_token(&shared.accounts[author].token);
        client.ip = shared.pool[below(&mut state, shared.pool.len())].clone();
        let known = {
            let record = shared.record.lock().unwrap();
            (!record.created.is_empty())
                .then(|| record.created[below(&mut state, record.created.len())].clone())
        };
        let begun = Instant::now();
        let reply = send(
            kind,
            &client,
            &shared.accounts,
            author,
            known,
            &shared.oversized,
        )
        .await;
        let latency = begun.elapsed();
        let mut record = shared.record.lock().unwrap();
        record.latencies.push(latency);
        *record.statuses.entry((kind, reply.status)).or_default() += 1;
        if !kind.allowed().contains(&reply.status) && record.unexpected.len() < 20 {
            record.unexpected.push(format!(
                "{kind:?} answered {}: {}",
                reply.status,
                reply.text.chars().take(200).collect::<String>()
            ));
        }
        if kind == Kind::Create && reply.status == 201 {
            let id = reply.body["id"].as_str().unwrap().to_owned();
            record.created.push((id, author));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minute_of_mixed_traffic_loses_nothing_and_holds_its_memory() {
    let secs = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let blog = ChildBlog::start(&[("BLOG_API_RATE", "100/15m")]);
    let clients = blog.clients(&[]);
    let pool: Vec<String> = (0..ADDRESSES).map(|_| clients.client().ip).collect();

    let shared = Arc::new(Shared {
        accounts: accounts(&clients).await,
        pool,
        base: clients.client(),
        record: Mutex::new(Record::default()),
        stop: AtomicBool::new(false),
        oversized: "x".repeat(2 * 1024 * 1024),
    });
    let started = Instant::now();
    let workers: Vec<_> = (0..WORKERS as u64)
        .map(|worker| tokio::spawn(work(shared.clone(), worker)))
        .collect();
    tokio::time::sleep(WARM_UP).await;
    let warm = blog.memory_kib("VmRSS");
    tokio::time::sleep(Duration::from_secs(secs).saturating_sub(WARM_UP)).await;
    shared.stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed();
    let end = blog.memory_kib("VmRSS");

    let shared = Arc::try_unwrap(shared).ok().unwrap();
    let (accounts, mut record) = (shared.accounts, shared.record.into_inner().unwrap());
    record.latencies.sort();
    let total = record.latencies.len();
    let p99 = record.latencies[total * 99 / 100];
    eprintln!(
        "soak: {total} requests in {:.0?} ({:.0}/s) by {WORKERS} clients from {ADDRESSES} \
         addresses; p50 {:.1?}, p99 {:.1?}; {} posts created; resident {} MiB after warm-up, \
         {} MiB at the end, peak {} MiB",
        elapsed,
        f64::from(u32::try_from(total).unwrap()) / elapsed.as_secs_f64(),
        record.latencies[total / 2],
        p99,
        record.created.len(),
        warm / 1024,
        end / 1024,
        blog.memory_kib("VmHWM") / 1024,
    );
    eprintln!("soak statuses: {:?}", record.statuses);
    assert!(record.unexpected.is_empty(), "{:#?}", record.unexpected);
    for kind in [
        Kind::List,
        Kind::Read,
        Kind::Create,
        Kind::BadToken,
        Kind::Malformed,
    ] {
        let success = kind.allowed()[0];
        assert!(
            record.statuses.get(&(kind, success)).copied().unwrap_or(0) > 0,
            "no {kind:?} answered {success}: the soak exercised nothing"
        );
    }

    // No lost writes: every 201 is readable by its author, from fresh addresses.
    let mut reader: Option<Client> = None;
    for (n, (id, author)) in record.created.iter().enumerate() {
        if n % 90 == 0 {
            reader = Some(clients.client().with_token(&accounts[*author].token));
        }
        let reader = reader
            .as_ref()
            .unwrap()
            .with_token(&accounts[*author].token);
        let post = reader.get(&format!("/api/v1/posts/{id}")).await;
        assert_eq!(
            post.status, 200,
            "post {id}, created with 201: {}",
            post.text
        );
    }

    assert!(
        end * 100 <= warm * 120,
        "resident memory grew from {} MiB after warm-up to {} MiB",
        warm / 1024,
        end / 1024
    );
}

async fn send(
    kind: Kind,
    client: &Client,
    accounts: &[Account],
    author: usize,
    known: Option<(String, usize)>,
    oversized: &str,
) -> crate::harness::Reply {
    let account = &accounts[author];
    match kind {
        Kind::List => client.get("/api/v1/posts?perPage=20").await,
        Kind::Read => match known {
            // Drafts are their author's: read with the author's token.
            Some((id, author)) => {
                let client = client.with_token(&accounts[author].token);
                client.get(&format!("/api/v1/posts/{id}")).await
            }
            None => client.get("/api/v1/users/me").await,
        },
        Kind::Create => {
            let body = json!({"title": "soak post", "content": "x".repeat(500), "tags": ["soak"]});
            client.post("/api/v1/posts", &body).await
        }
        Kind::Login => {
            let body = json!({"email": account.email, "password": account.password});
            client.post("/api/v1/auth/login", &body).await
        }
        Kind::WrongPassword => {
            let body = json!({"email": account.email, "password": "not the passphrase"});
            client.post("/api/v1/auth/login", &body).await
        }
        Kind::BadToken => {
            let forged = format!("{}x", account.token);
            client.with_token(&forged).get("/api/v1/users/me").await
        }
        Kind::Oversized => {
            let headers = [("content-type", "application/json")];
            client
                .send("POST", "/api/v1/posts", &headers, Some(oversized))
                .await
        }
        Kind::Malformed => {
            let headers = [("content-type", "application/json")];
            client
                .send("POST", "/api/v1/posts", &headers, Some("{\"title\": "))
                .await
        }
        Kind::WrongType => {
            let headers = [("content-type", "text/plain")];
            client
                .send("POST", "/api/v1/posts", &headers, Some("title=x"))
                .await
        }
    }
}
