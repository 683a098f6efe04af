//! Decimal numbers appended to text without `core::fmt`, which costs hundreds of instructions a
//! number: the audit line and the rate-limit headers write several on every request.

/// Appends `n` in decimal.
pub(crate) fn push_u64(out: &mut String, n: u64) {
    push_padded(out, n, 1);
}

/// Appends `n` in decimal, with leading zeros up to `width` digits.
pub(crate) fn push_padded(out: &mut String, mut n: u64, width: usize) {
    let mut buffer = [b'0'; 20];
    let mut start = buffer.len();
    while n > 0 || start == buffer.len() {
        start -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (n % 10) as u8;
        buffer[start] = b'0' + digit;
        n /= 10;
    }
    let start = start.min(buffer.len().saturating_sub(width));
    for &digit in &buffer[start..] {
        out.push(char::from(digit));
    }
}

/// Appends `n` in decimal, with its sign.
pub(crate) fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_format_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
            let mut out = String::new();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
        for n in [0, -1, 42, i64::MIN, i64::MAX] {
            let mut out = String::new();
            push_i64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
        let mut out = String::new();
        push_padded(&mut out, 7, 2);
        push_padded(&mut out, 123, 2);
        push_padded(&mut out, 42, 6);
        assert_eq!(out, "07123000042");
    }
}
