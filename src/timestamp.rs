//! Timestamps as the server writes them, without a date-time dependency.
//!
//! The server emits `created_at` in several ISO 8601 shapes (`T` or space, 0-9 fraction digits,
//! `Z`, `±HH:MM` or no zone meaning UTC). We parse them all, convert to UTC, and keep the
//! fraction digits exactly as given, so nothing the server said is rounded away.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A UTC instant with the fraction digits the server gave.
///
/// Both texts live inline (at most 9 and 30 ASCII bytes): every row of a query answer has a
/// timestamp, and two heap strings per row were a fifth of decoding's allocations.
#[derive(Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// Seconds since the Unix epoch, UTC.
    secs: i64,
    /// Fraction-of-second digits as received (0 to 9 of them).
    fraction: Ascii<9>,
    /// The RFC 3339 form, made once: rows are read far more often than built, and C borrows it.
    rfc3339: Ascii<30>,
}

/// Up to `N` ASCII bytes, inline; the bytes past `len` stay 0 so equality compares the text.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Ascii<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> Ascii<N> {
    const EMPTY: Ascii<N> = Ascii {
        bytes: [0; N],
        len: 0,
    };

    /// Appends `b` (ASCII); bytes past the capacity are dropped (callers never exceed it).
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(usize::from(self.len)) {
            *slot = b;
            self.len += 1;
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever pushed, so this never fails.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timestamp")
            .field("secs", &self.secs)
            .field("fraction", &self.fraction.as_str())
            .field("rfc3339", &self.rfc3339.as_str())
            .finish()
    }
}

/// The parts of a server timestamp, each checked (a real date, hour 0-23, minute 0-59,
/// second 0-60, 1-9 fraction digits when there is a point); the zone is what follows, unread.
/// One reading, shared by [`Timestamp::parse`] and the query answers' fast path.
pub(crate) struct Fields<'a> {
    pub(crate) year: i64,
    pub(crate) month: i64,
    pub(crate) day: i64,
    pub(crate) hour: i64,
    pub(crate) minute: i64,
    pub(crate) second: i64,
    pub(crate) fraction: &'a [u8],
    pub(crate) zone: &'a [u8],
}

impl<'a> Fields<'a> {
    /// `YYYY-MM-DD[Tt ]HH:MM:SS[.f]` and the rest as the zone.
    #[inline]
    pub(crate) fn read(b: &'a [u8]) -> Option<Fields<'a>> {
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        // The 14 digits' values, checked at once (every row of an answer comes here).
        let d: [u8; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
            .map(|i: usize| b[i].wrapping_sub(b'0'));
        if d.iter().fold(0, |any, &v| any | u8::from(v > 9)) != 0 {
            return None;
        }
        let two = |k: usize| i64::from(d[k]) * 10 + i64::from(d[k + 1]);
        let (year, month, day) = (two(0) * 100 + two(2), two(4), two(6));
        let (hour, minute, second) = (two(8), two(10), two(12));
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut i = 19;
        let mut fraction: &[u8] = &[];
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start || i - start > 9 {
                return None;
            }
            fraction = &b[start..i];
        }
        Some(Fields {
            year,
            month,
            day,
            hour,
            minute,
            second,
            fraction,
            zone: &b[i..],
        })
    }
}

impl Timestamp {
    /// Parses any ISO 8601 variant the server emits. Returns `None` for anything else.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let f = Fields::read(text.trim().as_bytes())?;
        let mut fraction = Ascii::EMPTY;
        f.fraction.iter().for_each(|&d| fraction.push(d));
        let offset_secs = match f.zone {
            [] | [b'Z'] | [b'z'] => 0,
            [sign @ (b'+' | b'-'), rest @ ..] => {
                let (h, m) = match rest {
                    [h1, h2, b':', m1, m2] => ([*h1, *h2], [*m1, *m2]),
                    [h1, h2, m1, m2] => ([*h1, *h2], [*m1, *m2]),
                    [h1, h2] => ([*h1, *h2], [b'0', b'0']),
                    _ => return None,
                };
                let two = |d: [u8; 2]| -> Option<i64> {
                    d.iter()
                        .all(u8::is_ascii_digit)
                        .then(|| i64::from((d[0] - b'0') * 10 + (d[1] - b'0')))
                };
                let (h, m) = (two(h)?, two(m)?);
                if h > 23 || m > 59 {
                    return None;
                }
                let s = h * 3600 + m * 60;
                if *sign == b'+' {
                    s
                } else {
                    -s
                }
            }
            _ => return None,
        };
        let secs = days_from_civil(f.year, f.month, f.day) * 86_400
            + f.hour * 3600
            + f.minute * 60
            + f.second
            - offset_secs;
        let t = Timestamp::new(secs, fraction);
        // Only instants whose UTC form has a four-digit year, so what we write reads back.
        (0..=9999).contains(&t.civil().0).then_some(t)
    }

    /// The current time, with microsecond digits.
    pub fn now() -> Timestamp {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let mut fraction = Ascii::EMPTY;
        digits(&mut fraction, i64::from(d.subsec_micros()), 6);
        Timestamp::new(d.as_secs() as i64, fraction)
    }

    fn new(secs: i64, fraction: Ascii<9>) -> Timestamp {
        let mut t = Timestamp {
            secs,
            fraction,
            rfc3339: Ascii::EMPTY,
        };
        t.rfc3339 = t.format_rfc3339();
        t
    }

    /// RFC 3339 in UTC with `T` and `Z`; the fraction as given, omitted when it is all zeros.
    pub fn as_rfc3339(&self) -> &str {
        self.rfc3339.as_str()
    }

    /// [`Timestamp::as_rfc3339`], owned.
    pub fn to_rfc3339(&self) -> String {
        self.rfc3339.as_str().to_string()
    }

    /// The RFC 3339 text. Digit by digit: every row's timestamp goes through here. A year
    /// outside 0-9999 (which `parse` refuses right after) gives a meaningless text, no panic.
    fn format_rfc3339(&self) -> Ascii<30> {
        let (y, mo, d, h, mi, s) = self.civil();
        let mut out = Ascii::EMPTY;
        for (n, width, then) in [
            (y, 4, b'-'),
            (mo, 2, b'-'),
            (d, 2, b'T'),
            (h, 2, b':'),
            (mi, 2, b':'),
        ] {
            digits(&mut out, n, width);
            out.push(then);
        }
        digits(&mut out, s, 2);
        let fraction = self.fraction.as_str();
        if fraction.bytes().any(|c| c != b'0') {
            out.push(b'.');
            fraction.bytes().for_each(|c| out.push(c));
        }
        out.push(b'Z');
        out
    }

    /// The SDK's table cell: `YYYY-MM-DD HH:MM:SS.ffffff` (Python `str(datetime)` without zone),
    /// the fraction dropped when the microseconds are 0.
    pub fn to_table_cell(&self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        let mut micros: String = self.fraction.as_str().chars().take(6).collect();
        while micros.len() < 6 {
            micros.push('0');
        }
        if micros == "000000" {
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
        } else {
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{micros}")
        }
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    fn civil(&self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
    }
}

/// `n`'s last `width` decimal digits, zero-padded.
fn digits<const N: usize>(out: &mut Ascii<N>, n: i64, width: u32) {
    // Right to left by division by the constant 10 (a multiply), not by powers of ten.
    let start = usize::from(out.len);
    (0..width).for_each(|_| out.push(b'0'));
    let mut n = n;
    for slot in out.bytes[start..usize::from(out.len)].iter_mut().rev() {
        *slot = b'0' + n.rem_euclid(10) as u8;
        n /= 10;
    }
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, the only form servers must send) into
/// seconds since the Unix epoch; used for `Retry-After`.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let iso = format!("{year:0>4}-{month:02}-{day:0>2}T{time}Z");
    Timestamp::parse(&iso).map(|t| t.secs)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The days in month `m` (1-12) of year `y`, proleptic Gregorian.
fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day) (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_server_shape_to_the_same_instant() {
        let a = Timestamp::parse("2025-03-14T09:26:53.589793Z").unwrap();
        let b = Timestamp::parse("2025-03-14 09:26:53.589793+00:00").unwrap();
        let c = Timestamp::parse("2025-03-14T09:26:53.589793").unwrap();
        let d = Timestamp::parse("2025-03-14T11:26:53.589793+02:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a, d);
        assert_eq!(a.to_rfc3339(), "2025-03-14T09:26:53.589793Z");
        assert_eq!(a.to_table_cell(), "2025-03-14 09:26:53.589793");
    }

    #[test]
    fn zero_fraction_is_omitted() {
        let t = Timestamp::parse("2025-03-14 09:27:10.000000+00:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-03-14T09:27:10Z");
        assert_eq!(t.to_table_cell(), "2025-03-14 09:27:10");
        let t = Timestamp::parse("2025-03-14T09:26:53.589").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-03-14T09:26:53.589Z");
        assert_eq!(t.to_table_cell(), "2025-03-14 09:26:53.589000");
    }

    #[test]
    fn negative_offset_crosses_midnight_and_year() {
        let t = Timestamp::parse("2024-12-31T23:30:00-01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-01T00:30:00Z");
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2025-13-01T00:00:00Z",
            "2025-02-30T00:00:00Z",
            "2025-03-14X09:26:53Z",
            "2025-03-14T09:26:53.Z",
            "2025-03-14T09:26:53+2",
            "2025-03-14T09:26:53.1234567890Z",
            "２０２５-03-14T09:26:53Z",
            "0000-01-01T00:00:00+01:00",
            "9999-12-31T23:59:60Z",
        ] {
            assert!(Timestamp::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
