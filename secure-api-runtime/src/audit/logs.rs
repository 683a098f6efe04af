//! [`JsonLogs`]: JSON-lines logs for an application, audit records included, in one call.
//!
//! Lines are written by a background thread (tracing-appender's non-blocking writer), so a
//! slow terminal or pipe never holds up a request. When the writer cannot keep up, lines are
//! dropped rather than blocking, and never silently: the count is kept, reported on stderr as
//! it grows, and readable from the [`LogGuard`]. Every value is JSON-escaped, so a newline a
//! client managed to put in a logged value cannot start a forged line.

use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How often the count of dropped lines is checked and reported.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// JSON-lines logs: `secure_api::audit::JsonLogs::stdout().init()?` at the top of `main`.
///
/// The filter is `RUST_LOG` when set, else the one given (default `info`, which includes the
/// audit records of target `secure_api::audit`).
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
        let filter = EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(&self.filter))
            .unwrap_or_else(|_| EnvFilter::new("info"));
        let (writer, worker) = NonBlockingBuilder::default()
            .lossy(true)
            .buffered_lines_limit(self.buffered_lines)
            .finish(self.writer);
        let dropped = writer.error_counter();
        let subscriber = tracing_subscriber::registry().with(filter).with(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .with_writer(writer),
        );
        (subscriber, LogGuard::new(worker, dropped))
    }

    /// Installs the logs for the whole process. Keep the guard alive until the end of `main`:
    /// dropping it flushes what is still buffered.
    pub fn init(self) -> Result<LogGuard, tracing_subscriber::util::TryInitError> {
        let (subscriber, guard) = self.build();
        subscriber.try_init()?;
        Ok(guard)
    }
}

/// Keeps the log writer running; flushes it when dropped. See [`JsonLogs`].
pub struct LogGuard {
    dropped: ErrorCounter,
    stop: Option<mpsc::Sender<()>>,
    reporter: Option<JoinHandle<()>>,
    // Dropped last: the reporter stops before the writer flushes.
    _worker: WorkerGuard,
}

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogGuard")
            .field("dropped_lines", &self.dropped_lines())
            .finish_non_exhaustive()
    }
}

impl LogGuard {
    fn new(worker: WorkerGuard, dropped: ErrorCounter) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let counter = dropped.clone();
        let reporter = std::thread::Builder::new()
            .name("secure-api-log-drops".into())
            .spawn(move || {
                let mut reported = 0;
                loop {
                    match stopped.recv_timeout(REPORT_EVERY) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                    let now = counter.dropped_lines();
                    if now > reported {
                        report(now - reported, now);
                        reported = now;
                    }
                }
            })
            .ok();
        Self {
            dropped,
            stop: Some(stop),
            reporter,
            _worker: worker,
        }
    }

    /// How many log lines were dropped because the writer could not keep up.
    pub fn dropped_lines(&self) -> usize {
        self.dropped.dropped_lines()
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(reporter) = self.reporter.take() {
            let _ = reporter.join();
        }
        let dropped = self.dropped_lines();
        if dropped > 0 {
            report(dropped, dropped);
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
