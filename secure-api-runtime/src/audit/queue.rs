//! The queue between the threads that log and the one that writes: lines are gathered in one
//! buffer and written in batches, so a request spends a copy into the buffer, never a write, an
//! allocation or a wake-up of the writer of its own.
//!
//! The writer thread sleeps until a line arrives into an empty queue, then gathers for a few
//! milliseconds (or until the queue is half full) and writes everything at once. When the
//! destination cannot keep up and the queue is full, new lines are dropped and counted, never
//! waited for: a slow terminal must not slow the API down.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long the writer gathers lines after the first one before it writes them.
const GATHER: Duration = Duration::from_millis(5);

/// The front of the queue, as the loggers write to it: one `write` per line.
#[derive(Clone)]
pub(super) struct Queue {
    shared: Arc<Shared>,
}

/// How many lines were queued, and what became of them.
#[derive(Default)]
pub(super) struct Counts {
    pub(super) queued: AtomicUsize,
    pub(super) written: AtomicUsize,
    /// Refused by the destination (a closed pipe, a full disk).
    pub(super) failed: AtomicUsize,
    /// Dropped because the queue was full.
    pub(super) dropped: AtomicUsize,
}

struct Shared {
    pending: Mutex<Pending>,
    /// Wakes the writer: a first line, a queue half full, or the end.
    wake: Condvar,
    max_lines: usize,
    counts: Counts,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    lines: usize,
    /// Whether the writer sleeps until it is woken (rather than gathering on a timer).
    writer_waits: bool,
    closed: bool,
}

impl Queue {
    /// A queue of at most `max_lines` lines, and the writer that empties it into `destination`
    /// (run it on a thread of its own).
    pub(super) fn new(max_lines: usize, destination: Box<dyn Write + Send>) -> (Self, Writer) {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            max_lines: max_lines.max(1),
            counts: Counts::default(),
        });
        let writer = Writer {
            shared: Arc::clone(&shared),
            destination,
        };
        (Self { shared }, writer)
    }

    pub(super) fn counts(&self) -> &Counts {
        &self.shared.counts
    }

    /// Queues one line, or drops and counts it when the queue is full.
    pub(super) fn push(&self, line: &[u8]) {
        let counts = &self.shared.counts;
        counts.queued.fetch_add(1, Ordering::Relaxed);
        let mut pending = self.shared.lock();
        if pending.lines >= self.shared.max_lines || pending.closed {
            counts.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        pending.bytes.extend_from_slice(line);
        pending.lines += 1;
        let wake = if pending.writer_waits {
            pending.lines == 1
        } else {
            pending.lines == self.shared.max_lines.div_ceil(2)
        };
        drop(pending);
        if wake {
            self.shared.wake.notify_one();
        }
    }

    /// Ends the queue: the writer writes what is left and stops.
    pub(super) fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
    }
}

impl Write for Queue {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.push(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Queue {
    type Writer = Queue;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The back of the queue: empties it into the destination until the queue is closed.
pub(super) struct Writer {
    shared: Arc<Shared>,
    destination: Box<dyn Write + Send>,
}

impl Writer {
    pub(super) fn run(mut self) {
        let shared = Arc::clone(&self.shared);
        let mut batch = Vec::new();
        loop {
            let mut pending = shared.lock();
            while pending.lines == 0 && !pending.closed {
                pending.writer_waits = true;
                pending = shared
                    .wake
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            pending.writer_waits = false;
            if pending.lines == 0 {
                return; // closed, and everything written
            }
            if !pending.closed && pending.lines < shared.max_lines.div_ceil(2) {
                // Gather: one write, and one wake-up, for many lines.
                pending = shared
                    .wake
                    .wait_timeout(pending, GATHER)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            std::mem::swap(&mut pending.bytes, &mut batch);
            let lines = std::mem::take(&mut pending.lines);
            drop(pending);
            let written = self
                .destination
                .write_all(&batch)
                .and_then(|()| self.destination.flush());
            let count = match written {
                Ok(()) => &shared.counts.written,
                Err(_) => &shared.counts.failed,
            };
            count.fetch_add(lines, Ordering::Relaxed);
            batch.clear();
        }
    }
}
