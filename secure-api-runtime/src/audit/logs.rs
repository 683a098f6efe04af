//! [`JsonLogs`]: JSON-lines logs for an application, audit records included, in one call.
//!
//! Lines are written in batches by a background thread (see `queue.rs`), so a slow terminal or
//! pipe never holds up a request. When the writer cannot keep up, lines are
//! dropped rather than blocking, and never silently: the count is kept, reported on stderr as
//! it grows, and readable from the [`LogGuard`]. Every value is JSON-escaped, so a newline a
//! client managed to put in a logged value cannot start a forged line.

use std::cell::RefCell;
use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use super::AuditRecord;
use super::json::{JsonLines, audit_line};
use super::queue::Queue;

/// Audit records are written whatever the filter says.
const AUDIT_DIRECTIVE: &str = "secure_api::audit=info";

/// How often the count of dropped lines is checked and reported.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// JSON-lines logs: `secure_api::audit::JsonLogs::stdout().init()?` at the top of `main`.
///
/// The filter is `RUST_LOG` when set, else the one given (default `info`); the audit records
/// (target `secure_api::audit`) are written whatever the filter.
///
/// ```no_run
/// let _logs = secure_api::audit::JsonLogs::stdout().init()?;
/// tracing::info!("listening");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub struct JsonLogs {
    writer: Box<dyn Write + Send>,
    filter: String,
    buffered_lines: usize,
}

impl std::fmt::Debug for JsonLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLogs")
            .field("filter", &self.filter)
            .field("buffered_lines", &self.buffered_lines)
            .finish_non_exhaustive()
    }
}

impl JsonLogs {
    /// Logs to standard output.
    pub fn stdout() -> Self {
        Self::to_writer(std::io::stdout())
    }

    /// Logs to `writer` (a file, a pipe, a buffer in a test).
    pub fn to_writer(writer: impl Write + Send + 'static) -> Self {
        Self {
            writer: Box::new(writer),
            filter: "info".to_owned(),
            buffered_lines: 128_000,
        }
    }

    /// The filter used when `RUST_LOG` is not set, in `RUST_LOG`'s syntax (default `info`).
    pub fn filter(mut self, directives: impl Into<String>) -> Self {
        self.filter = directives.into();
        self
    }

    /// How many lines may wait for the writer before new ones are dropped (default 128,000).
    pub fn buffered_lines(mut self, lines: usize) -> Self {
        self.buffered_lines = lines.max(1);
        self
    }

    /// The subscriber, for a scope of one's own (`tracing::subscriber::set_default`), and the
    /// guard that keeps its writer running.
    pub fn build(self) -> (impl tracing::Subscriber + Send + Sync + 'static, LogGuard) {
        let mut filter = EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(&self.filter))
            .unwrap_or_else(|_| EnvFilter::new("info"));
        // The audit trail is not a matter of verbosity: a quiet `RUST_LOG=warn` keeps it.
        if let Ok(audit) = AUDIT_DIRECTIVE.parse() {
            filter = filter.add_directive(audit);
        }
        let (queue, writer) = Queue::new(self.buffered_lines, self.writer);
        let (done, finished) = mpsc::channel::<()>();
        let worker = std::thread::Builder::new()
            .name("secure-api-logs".into())
            .spawn(move || {
                writer.run();
                let _ = done.send(());
            })
            .ok();
        let writer = queue.clone();
        let subscriber = tracing_subscriber::registry().with(filter).with(
            tracing_subscriber::fmt::layer()
                .event_format(JsonLines)
                .with_writer(writer),
        );
        (subscriber, LogGuard::new(queue, worker.map(|_| finished)))
    }

    /// Installs the logs for the whole process. Keep the guard alive until the end of `main`:
    /// dropping it flushes what is still buffered.
    ///
    /// Installed for the process, the logs also take the audit records straight into their
    /// queue, without a `tracing` dispatch per request (see [`crate::audit`]).
    pub fn init(self) -> Result<LogGuard, tracing_subscriber::util::TryInitError> {
        let (subscriber, guard) = self.build();
        subscriber.try_init()?;
        let _ = AUDIT_QUEUE.set(guard.queue.clone());
        Ok(guard)
    }
}

/// The queue of the process's `JsonLogs`, once [`JsonLogs::init`] installed them.
static AUDIT_QUEUE: OnceLock<Queue> = OnceLock::new();

thread_local! {
    /// The line an audit record is written into, kept between records.
    static AUDIT_LINE: RefCell<String> = RefCell::new(String::with_capacity(512));
}

/// Writes `record` as one JSON line into the process's log queue; `false` when no `JsonLogs`
/// were installed for the process, and the record must go through `tracing`.
pub(super) fn write_audit_line(record: &AuditRecord<'_>) -> bool {
    let Some(queue) = AUDIT_QUEUE.get() else {
        return false;
    };
    AUDIT_LINE.with(|line| {
        let Ok(mut line) = line.try_borrow_mut() else {
            return false;
        };
        line.clear();
        audit_line(&mut line, record);
        // The queue counts a line it could not take with the other dropped lines.
        queue.push(line.as_bytes());
        true
    })
}

/// Keeps the log writer running; flushes it when dropped. See [`JsonLogs`].
pub struct LogGuard {
    queue: Queue,
    /// Says when the writer has written everything, once the queue is closed.
    finished: Option<mpsc::Receiver<()>>,
    stop: Option<mpsc::Sender<()>>,
    reporter: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogGuard")
            .field("dropped_lines", &self.dropped_lines())
            .finish_non_exhaustive()
    }
}

/// How long dropping the guard waits for the writer to write what is queued.
const FLUSH_WAIT: Duration = Duration::from_secs(1);

impl LogGuard {
    fn new(queue: Queue, finished: Option<mpsc::Receiver<()>>) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let watched = queue.clone();
        let reporter = std::thread::Builder::new()
            .name("secure-api-log-drops".into())
            .spawn(move || {
                let mut reported = 0;
                loop {
                    match stopped.recv_timeout(REPORT_EVERY) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                    let counts = watched.counts();
                    let now = counts.dropped.load(Ordering::Relaxed)
                        + counts.failed.load(Ordering::Relaxed);
                    if now > reported {
                        report(now - reported, now);
                        reported = now;
                    }
                }
            })
            .ok();
        Self {
            queue,
            finished,
            stop: Some(stop),
            reporter,
        }
    }

    /// How many log lines were lost so far: dropped because the writer could not keep up, or
    /// refused by the writer (a closed pipe, a full disk).
    pub fn dropped_lines(&self) -> usize {
        let counts = self.queue.counts();
        counts.dropped.load(Ordering::Relaxed) + counts.failed.load(Ordering::Relaxed)
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(reporter) = self.reporter.take() {
            let _ = reporter.join();
        }
        // Writes what is queued, for at most a second; whatever is still unwritten after it
        // is lost, and counted with the rest.
        self.queue.close();
        if let Some(finished) = self.finished.take() {
            let _ = finished.recv_timeout(FLUSH_WAIT);
        }
        let counts = self.queue.counts();
        let queued = counts.queued.load(Ordering::Relaxed);
        let written = counts.written.load(Ordering::Relaxed);
        let lost = queued.saturating_sub(written);
        if lost > 0 {
            eprintln!(
                "secure-api: {lost} log lines were lost in all (dropped when the writer could \
                 not keep up, refused by it, or unwritten at exit); audit records among them"
            );
        }
    }
}

/// On stderr, outside the saturated log stream.
fn report(new: usize, total: usize) {
    eprintln!(
        "secure-api: {new} log lines dropped because the log writer could not keep up \
         ({total} in all); audit records among them are lost"
    );
}
