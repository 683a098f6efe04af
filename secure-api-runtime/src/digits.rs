//! Decimal numbers appended to text without `core::fmt`, which costs hundreds of instructions a
//! number: the audit line and the rate-limit headers write several on every request. `itoa`
//! writes the digits; these add padding and the push.

/// Appends `n` in decimal.
pub(crate) fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Appends `n` in decimal, with leading zeros up to `width` digits.
pub(crate) fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(n);
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(digits);
}

/// Appends `n` in decimal, with its sign.
pub(crate) fn push_i64(out: &mut String, n: i64) {
    out.push_str(itoa::Buffer::new().format(n));
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
