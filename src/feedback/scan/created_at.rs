//! `created_at` rewritten into its RFC 3339 form by copying bytes, for the UTC shapes.

use crate::timestamp::Fields;

/// `created_at` in the form [`Timestamp::as_rfc3339`] gives, NUL-terminated, for the UTC
/// shapes (`YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}]` then `Z`, `+00:00`, `+0000`, `+00`, their `-`
/// forms, or nothing); `None` (decline) for anything else, including second 60.
pub(super) fn canonical_utc(s: &[u8]) -> Option<[u8; 32]> {
    // `Timestamp::parse` trims white space first; the fast path takes only untrimmed text.
    if !s.first()?.is_ascii_digit() {
        return None;
    }
    let f = Fields::read(s)?;
    if f.second > 59 {
        return None;
    }
    match f.zone {
        b"" | b"Z" | b"z" | b"+00:00" | b"-00:00" | b"+0000" | b"-0000" | b"+00" | b"-00" => {}
        _ => return None,
    }
    // With no offset the UTC date and time are the text's own digits.
    let mut out = [0u8; 32];
    out[..19].copy_from_slice(&s[..19]);
    out[10] = b'T';
    let mut n = 19;
    if f.fraction.iter().any(|&d| d != b'0') {
        out[n] = b'.';
        out[n + 1..n + 1 + f.fraction.len()].copy_from_slice(f.fraction);
        n += 1 + f.fraction.len();
    }
    out[n] = b'Z';
    Some(out)
}
