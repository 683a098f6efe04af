//! Decimal numbers appended to text without `core::fmt`, which costs hundreds of instructions a
//! number: the audit line and the rate-limit headers write several on every request.

/// Appends `n` in decimal.
pub(crate) fn push_u64(out: &mut String, n: u64) {
    push_padded(out, n, 1);
}

/// Two decimal digits of every number below 100: `"00"`, `"01"`, ... `"99"`.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `n` in decimal, with leading zeros up to `width` digits (at most 20).
pub(crate) fn push_padded(out: &mut String, mut n: u64, width: usize) {
    let mut buffer = [b'0'; 20];
    let mut start = buffer.len();
    // Two digits a step, from a table: a division and a copy per pair.
    while n >= 100 {
        // `n % 100` is below 100, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let pair = 2 * (n % 100) as usize;
        n /= 100;
        start -= 2;
        buffer[start..start + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    #[allow(clippy::cast_possible_truncation)]
    let pair = 2 * n as usize;
    if n >= 10 {
        start -= 2;
        buffer[start..start + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        start -= 1;
        buffer[start] = PAIRS[pair + 1];
    }
    let start = start.min(buffer.len().saturating_sub(width));
    // ASCII digits: one copy, not a `char` push per digit.
    out.push_str(std::str::from_utf8(&buffer[start..]).unwrap_or_default());
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
        push_padded(&mut out, 0, 1);
        push_padded(&mut out, 100, 2);
        push_padded(&mut out, 5, 4);
        assert_eq!(out, "071230000420100".to_owned() + "0005");
        for n in (0..100_000)
            .step_by(7)
            .chain([99, 100, 101, 999, 1000, 10_000])
        {
            let mut out = String::new();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
