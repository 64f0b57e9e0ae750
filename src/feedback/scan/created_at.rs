//! `created_at` rewritten into its RFC 3339 form by copying bytes, for the UTC shapes.

use crate::timestamp::days_in_month;

/// `created_at` in the form [`Timestamp::as_rfc3339`] gives, NUL-terminated, for the UTC
/// shapes (`YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}]` then `Z`, `+00:00`, `+0000`, `+00`, their `-`
/// forms, or nothing); `None` (decline) for anything else, including second 60.
pub(super) fn canonical_utc(s: &[u8]) -> Option<[u8; 32]> {
    let two = |i: usize| -> Option<i64> {
        let (a, b) = (*s.get(i)?, *s.get(i + 1)?);
        (a.is_ascii_digit() && b.is_ascii_digit()).then(|| i64::from((a - b'0') * 10 + (b - b'0')))
    };
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    if !matches!(s[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = two(0)? * 100 + two(2)?;
    let (month, day) = (two(5)?, two(8)?);
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut i = 19;
    let mut fraction: &[u8] = &[];
    if s.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start || i - start > 9 {
            return None;
        }
        fraction = &s[start..i];
    }
    match &s[i..] {
        b"" | b"Z" | b"z" | b"+00:00" | b"-00:00" | b"+0000" | b"-0000" | b"+00" | b"-00" => {}
        _ => return None,
    }
    let mut out = [0u8; 32];
    out[..19].copy_from_slice(&s[..19]);
    out[10] = b'T';
    let mut n = 19;
    if fraction.iter().any(|&d| d != b'0') {
        out[n] = b'.';
        out[n + 1..n + 1 + fraction.len()].copy_from_slice(fraction);
        n += 1 + fraction.len();
    }
    out[n] = b'Z';
    Some(out)
}
