//! The blog example's own binary as a child process, for the tests that measure the process:
//! its peak and current resident memory (`/proc/PID/status`), under a burst or a soak.
//!
//! The binary is the one `cargo test` builds beside the tests (`target/debug/examples/blog`);
//! run alone, a test needs `cargo build --example blog` first.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::{Clients, SECRET};

/// A blog process on a free loopback port, with its own database; killed on drop.
pub struct ChildBlog {
    child: Child,
    pub address: SocketAddr,
    dir: PathBuf,
    /// Its log lines (JSON), as it wrote them.
    pub logs: Arc<Mutex<Vec<String>>>,
}

fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let blog = debug.join("examples").join("blog");
    assert!(
        blog.exists(),
        "no blog binary at {}: `cargo test` builds it; alone, run `cargo build --example blog`",
        blog.display()
    );
    blog
}

impl ChildBlog {
    /// Starts the blog with the tests' defaults (a JWT secret, the loopback proxy trusted,
    /// a generous general limit) and these variables on top.
    pub fn start(vars: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("secure-api-child-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut command = Command::new(binary());
        command
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PORT", "0")
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.join("blog.db").display()),
            )
            .env("JWT_SECRET", SECRET)
            .env("TRUSTED_PROXIES", "127.0.0.1")
            .env("BLOG_API_RATE", "100000/15m");
        for (name, value) in vars {
            command.env(name, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let address = first
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("the blog's first line: {first:?}"))
            .parse()
            .unwrap();
        // Read every line as it comes, so the pipe never fills and blocks the blog.
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let blog = Self {
            child,
            address,
            dir,
            logs,
        };
        blog.wait_until_serving();
        blog
    }

    /// Clients from addresses of their own, through the trusted loopback proxy.
    pub fn clients(&self, passwords: &[&str]) -> Clients {
        let mut secrets = passwords.to_vec();
        secrets.push(SECRET);
        Clients::at(self.address, &secrets)
    }

    fn wait_until_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(self.address).is_err() {
            assert!(Instant::now() < deadline, "the blog did not start serving");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A field of `/proc/PID/status`, in KiB: `VmHWM` (peak resident), `VmRSS` (now).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.trim().trim_end_matches(" kB").parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc status"))
    }

    /// The blog's working directory, where its database and outbox are.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl Drop for ChildBlog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
