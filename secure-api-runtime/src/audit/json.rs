//! One JSON object per event, written straight into the line: `{"timestamp", "level",
//! "target", "message", fields...}`, the shape tracing-subscriber's flattened JSON format has.
//!
//! tracing-subscriber's own JSON format gathers each event's fields into a map of JSON values
//! first; writing them as they come costs a fraction of that, and the audit record is written
//! for every request. Every string is escaped here, so a client-controlled value (a path, a
//! header) cannot end the line or forge a field.

use std::fmt::{self, Write as _};
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::{AUDIT_TARGET, AuditRecord};
use crate::digits::{push_i64, push_padded, push_u64};

/// The event format of [`JsonLogs`](super::JsonLogs).
pub(crate) struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        // A record from the `log` crate arrives as an event of target `log`; its own target
        // and level are in its fields.
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let mut line = String::with_capacity(256);
        line.push_str("{\"timestamp\":\"");
        rfc3339(&mut line, SystemTime::now());
        line.push_str("\",\"level\":\"");
        line.push_str(metadata.level().as_str());
        line.push_str("\",\"target\":");
        escaped(&mut line, metadata.target());
        event.record(&mut Fields {
            line: &mut line,
            log_record: normalized.is_some(),
        });
        line.push_str("}\n");
        writer.write_str(&line)
    }
}

/// Appends the audit record as the line its `tracing` event would be formatted into.
pub(super) fn audit_line(line: &mut String, record: &AuditRecord<'_>) {
    line.push_str("{\"timestamp\":\"");
    rfc3339(line, SystemTime::now());
    // The target, the request id (a UUID's text), a method (an HTTP token) and the decision
    // need no escape; the route and the user id are escaped.
    line.push_str("\",\"level\":\"INFO\",\"target\":\"");
    line.push_str(AUDIT_TARGET);
    line.push_str("\",\"message\":\"request\",\"request_id\":\"");
    line.push_str(record.request_id);
    line.push_str("\",\"method\":\"");
    line.push_str(record.method);
    line.push_str("\",\"route\":");
    escaped(line, record.route);
    line.push_str(",\"status\":");
    push_u64(line, u64::from(record.status.as_u16()));
    if let Some(user_id) = record.user_id {
        line.push_str(",\"user_id\":");
        escaped(line, user_id);
    }
    if let Some(client_ip) = record.client_ip {
        line.push_str(",\"client_ip\":\"");
        push_ip(line, client_ip);
        line.push('"');
    }
    if let Some(scheme) = record.auth_scheme {
        // One of the framework's own names.
        line.push_str(",\"auth_scheme\":\"");
        line.push_str(scheme);
        line.push('"');
    }
    if let Some(credential_id) = record.credential_id {
        line.push_str(",\"credential_id\":");
        escaped(line, credential_id);
    }
    if let Some(target) = record.target {
        // Not `target`, which every line's metadata holds.
        line.push_str(",\"acted_on\":");
        escaped(line, target);
    }
    line.push_str(",\"decision\":\"");
    line.push_str(record.decision.as_str());
    line.push_str("\",\"latency_us\":");
    push_u64(line, record.latency_us());
    line.push_str("}\n");
}

/// Appends an address's text (which needs no escape): IPv4 without `core::fmt`, as it is
/// written on every request.
fn push_ip(line: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    line.push('.');
                }
                push_u64(line, u64::from(octet));
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(line, "{v6}");
        }
    }
}

/// Appends each field as `,"name":value`.
struct Fields<'a> {
    line: &'a mut String,
    /// A `log` record's `log.target`, `log.file`, ... are its metadata, already written.
    log_record: bool,
}

impl Fields<'_> {
    /// Writes `,"name":` and returns the line for the value, unless the field is left out.
    fn value_of(&mut self, field: &Field) -> Option<&mut String> {
        if self.log_record && field.name().starts_with("log.") {
            return None;
        }
        self.line.push(',');
        escaped(self.line, field.name());
        self.line.push(':');
        Some(self.line)
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let Some(line) = self.value_of(field) else {
            return;
        };
        escaped(line, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        let Some(line) = self.value_of(field) else {
            return;
        };
        line.push_str(if value { "true" } else { "false" });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        let Some(line) = self.value_of(field) else {
            return;
        };
        push_u64(line, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        let Some(line) = self.value_of(field) else {
            return;
        };
        push_i64(line, value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        let Some(line) = self.value_of(field) else {
            return;
        };
        if value.is_finite() {
            let _ = write!(line, "{value}");
        } else {
            // JSON has no NaN or infinity.
            line.push_str("null");
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let Some(line) = self.value_of(field) else {
            return;
        };
        escaped(line, &value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let Some(line) = self.value_of(field) else {
            return;
        };
        escaped(line, &format!("{value:?}"));
    }
}

/// Whether a byte goes into a JSON string as it is.
const PLAIN: [bool; 256] = {
    let mut plain = [true; 256];
    let mut byte = 0;
    while byte < 0x20 {
        plain[byte] = false;
        byte += 1;
    }
    plain[b'"' as usize] = false;
    plain[b'\\' as usize] = false;
    plain[0x7f] = false;
    plain
};

/// Appends `value` as a JSON string: quotes, backslashes and every control character escaped.
fn escaped(line: &mut String, value: &str) {
    line.push('"');
    // Most values (ids, routes, methods) need no escape: one table look-up a byte, one copy.
    if value.bytes().all(|byte| PLAIN[usize::from(byte)]) {
        line.push_str(value);
        line.push('"');
        return;
    }
    line.reserve(value.len() + 1);
    let mut rest = value;
    // Every byte to escape is ASCII, so a byte search never splits a character.
    while let Some(at) = rest.bytes().position(|b| !PLAIN[usize::from(b)]) {
        line.push_str(&rest[..at]);
        let c = rest.as_bytes()[at];
        match c {
            b'"' => line.push_str("\\\""),
            b'\\' => line.push_str("\\\\"),
            b'\n' => line.push_str("\\n"),
            b'\r' => line.push_str("\\r"),
            b'\t' => line.push_str("\\t"),
            _ => {
                let _ = write!(line, "\\u{c:04x}");
            }
        }
        rest = &rest[at + 1..];
    }
    line.push_str(rest);
    line.push('"');
}

/// Appends `time` in UTC as RFC 3339 with microseconds: `2026-11-29T13:40:49.123456Z`.
///
/// The text up to the seconds changes once a second, so each thread keeps the last one it wrote.
fn rfc3339(line: &mut String, time: SystemTime) {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    LAST_SECOND.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != Some(seconds) || last.1.is_empty() {
            last.1.clear();
            date_time(&mut last.1, seconds);
            last.0 = Some(seconds);
        }
        line.push_str(&last.1);
    });
    line.push('.');
    push_padded(line, u64::from(since_epoch.subsec_micros()), 6);
    line.push('Z');
}

thread_local! {
    /// The second last written by [`rfc3339`] on this thread, and its text.
    static LAST_SECOND: std::cell::RefCell<(Option<u64>, String)> =
        const { std::cell::RefCell::new((None, String::new())) };
}

/// `2026-11-29T13:40:49` for `seconds` since the Unix epoch.
fn date_time(line: &mut String, seconds: u64) {
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let of_day = seconds % 86_400;
    push_padded(line, year, 4);
    line.push('-');
    push_padded(line, month, 2);
    line.push('-');
    push_padded(line, day, 2);
    line.push('T');
    push_padded(line, of_day / 3600, 2);
    line.push(':');
    push_padded(line, of_day / 60 % 60, 2);
    line.push(':');
    push_padded(line, of_day % 60, 2);
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_log_crate_record_keeps_its_own_target_and_level() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(JsonLines)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing_log::format_trace(
                &log::Record::builder()
                    .target("rustls::conn")
                    .level(log::Level::Warn)
                    .args(format_args!("peer sent \"bye\""))
                    .build(),
            )
            .unwrap();
            tracing::info!(target: "app", answer = 42_u64, "hello");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines[0]["target"], "rustls::conn");
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["message"], "peer sent \"bye\"");
        assert!(
            lines[0]
                .as_object()
                .unwrap()
                .keys()
                .all(|key| !key.starts_with("log.")),
            "{text}"
        );
        assert_eq!(lines[1]["target"], "app");
        assert_eq!(lines[1]["answer"], 42);
    }

    #[test]
    fn strings_are_escaped_so_a_value_cannot_end_the_line() {
        let mut line = String::new();
        escaped(&mut line, "a\"b\\c\nd\re\tf\u{1}g\u{7f}h é");
        assert_eq!(line, r#""a\"b\\c\nd\re\tf\u0001g\u007fh é""#);
        let parsed: String = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\re\tf\u{1}g\u{7f}h é");
    }

    #[test]
    fn timestamps_are_utc_rfc_3339() {
        let mut line = String::new();
        rfc3339(&mut line, UNIX_EPOCH);
        assert_eq!(line, "1970-01-01T00:00:00.000000Z");
        line.clear();
        // 2000-02-29 (a leap day in a year divisible by 400), 12:34:56.789012.
        let time = UNIX_EPOCH + Duration::new(951_827_696, 789_012_000);
        rfc3339(&mut line, time);
        assert_eq!(line, "2000-02-29T12:34:56.789012Z");
        line.clear();
        rfc3339(&mut line, UNIX_EPOCH + Duration::from_secs(1_795_959_649));
        assert_eq!(line, "2026-11-29T13:40:49.000000Z");
    }
}
