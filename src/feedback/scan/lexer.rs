//! The JSON of a query answer, read by position: each function takes the answer and where to
//! start, and gives where what it read ends, or `None` to decline. Positions are passed
//! rather than kept in a struct, so they stay in registers (a scanner struct whose position
//! lived in memory cost a load and a store on every byte step).

use std::ops::Range;

use super::created_at::canonical_utc;
use super::{span, ScannedRow, Span, WireField, FIELD_ORDER, WIRE_FIELDS};
use crate::fields::COLUMNS;

/// Nesting deeper than this is declined: serde_json refuses answers nested 128 deep, and
/// the reference decoder then gives that error.
const MAX_DEPTH: u32 = 100;

/// The fields a row must have (the others may be null or missing).
const REQUIRED: u16 = 1 << WireField::Id as u16
    | 1 << WireField::ProjectId as u16
    | 1 << WireField::WeaveRef as u16
    | 1 << WireField::FeedbackType as u16
    | 1 << WireField::CreatedAt as u16;

/// By field (and [`WIRE_FIELDS`] for a row's start): the field whose key came next last
/// time, or [`NO_GUESS`]. Servers write every row's keys in one order, so a guess checked
/// by a byte comparison usually replaces reading the key and looking it up.
type Guesses = [u8; WIRE_FIELDS + 1];

/// No key to guess.
const NO_GUESS: u8 = u8::MAX;

/// `{"result": [rows...], other keys skipped}` and nothing but white space after it.
pub(super) fn answer(b: &[u8], rows: &mut Vec<ScannedRow>) -> Option<()> {
    let mut guesses = [NO_GUESS; WIRE_FIELDS + 1];
    let mut i = expect(b, 0, b'{')?;
    let mut seen_result = false;
    loop {
        let (key, after) = plain_string(b, ws(b, i))?;
        i = ws(b, expect(b, after, b':')?);
        if &b[key] == b"result" {
            if seen_result {
                return None;
            }
            seen_result = true;
            i = result(b, i, rows, &mut guesses)?;
        } else {
            i = skip_value(b, i, 2)?;
        }
        i = ws(b, i);
        match *b.get(i)? {
            b',' => i += 1,
            b'}' => break,
            _ => return None,
        }
    }
    (seen_result && ws(b, i + 1) == b.len()).then_some(())
}

fn result(b: &[u8], i: usize, rows: &mut Vec<ScannedRow>, g: &mut Guesses) -> Option<usize> {
    let mut i = ws(b, expect(b, i, b'[')?);
    if *b.get(i)? == b']' {
        return Some(i + 1);
    }
    loop {
        i = ws(b, row(b, ws(b, i), rows, g)?);
        match *b.get(i)? {
            b',' => i += 1,
            b']' => return Some(i + 1),
            _ => return None,
        }
    }
}

/// One row object: each known key once, unknown keys skipped, required keys present.
fn row(b: &[u8], i: usize, rows: &mut Vec<ScannedRow>, guesses: &mut Guesses) -> Option<usize> {
    let mut i = expect(b, i, b'{')?;
    let mut row = ScannedRow {
        spans: [Span::ABSENT; WIRE_FIELDS],
        created_at_rfc3339: [0; 32],
    };
    let mut seen: u16 = 0;
    // The field before this key (WIRE_FIELDS: none yet), for guessing the key.
    let mut prev = WIRE_FIELDS;
    loop {
        i = ws(b, i);
        let field = match guess_key(b, i, guesses[prev]) {
            Some((field, after)) => {
                i = after;
                Some(field)
            }
            None => {
                let (key, after) = plain_string(b, i)?;
                i = expect(b, after, b':')?;
                let field = field_of(&b[key]);
                if let Some(field) = field {
                    guesses[prev] = field as u8;
                }
                field
            }
        };
        i = ws(b, i);
        match field {
            Some(field) => {
                prev = field as usize;
                let bit = 1u16 << field as u16;
                if seen & bit != 0 {
                    return None;
                }
                seen |= bit;
                let (value, after) = field_value(b, i, field)?;
                if field == WireField::CreatedAt {
                    row.created_at_rfc3339 = canonical_utc(b.get(value.clone())?)?;
                }
                row.spans[field as usize] = if value.start == usize::MAX {
                    Span::ABSENT
                } else {
                    span(value.start, value.end)
                };
                i = after;
            }
            None => i = skip_value(b, i, 4)?,
        }
        i = ws(b, i);
        match *b.get(i)? {
            b',' => i += 1,
            b'}' => break,
            _ => return None,
        }
    }
    if seen & REQUIRED != REQUIRED {
        return None;
    }
    rows.push(row);
    Some(i + 1)
}

/// The key `guess` names, with its `:`, if it is the one at `i`: the field and where its
/// value starts.
#[inline(always)]
fn guess_key(b: &[u8], i: usize, guess: u8) -> Option<(WireField, usize)> {
    let field = *FIELD_ORDER.get(usize::from(guess))?;
    let f = field as usize;
    let matches = match b.get(i..i + 24) {
        // Three word comparisons instead of a call to memcmp.
        Some(next) => {
            let word =
                |k: usize| u64::from_le_bytes(next[k * 8..k * 8 + 8].try_into().unwrap_or([0; 8]));
            ((word(0) ^ KEY_WORDS[f][0]) & KEY_MASKS[f][0])
                | ((word(1) ^ KEY_WORDS[f][1]) & KEY_MASKS[f][1])
                | ((word(2) ^ KEY_WORDS[f][2]) & KEY_MASKS[f][2])
                == 0
        }
        // Near the answer's end: the key's bytes one by one.
        None => {
            (b.get(i..i + quoted_len(f))?.iter().enumerate()).all(|(k, &c)| c == key_byte(f, k))
        }
    };
    matches.then(|| (field, i + quoted_len(f)))
}

/// A known field's value at `i`: its text's range (strings without their quotes;
/// `usize::MAX..` for null) and where it ends. Strings must be plain, null is allowed where
/// the field is optional, and the payload is an object or null.
#[inline(always)]
fn field_value(b: &[u8], i: usize, field: WireField) -> Option<(Range<usize>, usize)> {
    let optional = REQUIRED & (1 << field as u16) == 0;
    match *b.get(i)? {
        b'n' if optional => {
            (b.get(i..i + 4)? == b"null").then_some((usize::MAX..usize::MAX, i + 4))
        }
        b'{' if field == WireField::Payload => {
            let end = skip_value(b, i, 4)?;
            Some((i..end, end))
        }
        b'"' if field != WireField::Payload => plain_string(b, i),
        _ => None,
    }
}

#[inline(always)]
fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Where `c` ends, after white space.
#[inline(always)]
fn expect(b: &[u8], i: usize, c: u8) -> Option<usize> {
    let i = ws(b, i);
    (*b.get(i)? == c).then_some(i + 1)
}

/// A string without escapes at `i`: its bytes between the quotes, and where it ends.
#[inline(always)]
fn plain_string(b: &[u8], i: usize) -> Option<(Range<usize>, usize)> {
    if *b.get(i)? != b'"' {
        return None;
    }
    let end = skip_text(b, i + 1)?;
    (*b.get(end)? == b'"').then_some((i + 1..end, end + 1))
}

/// [`skip_plain`], also stepping over characters that are not ASCII, each checked as UTF-8
/// (the answer is checked nowhere else: outside strings only ASCII is JSON).
#[inline(always)]
fn skip_text(b: &[u8], i: usize) -> Option<usize> {
    let mut i = skip_plain(b, i);
    while *b.get(i)? >= 0x80 {
        i = skip_plain(b, utf8_char(b, i)?);
    }
    Some(i)
}

/// Where the UTF-8 character starting at `i` ends, if it is well formed (no overlong form,
/// surrogate or value past U+10FFFF: `str::from_utf8`'s rules).
fn utf8_char(b: &[u8], i: usize) -> Option<usize> {
    let len = match *b.get(i)? {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    std::str::from_utf8(b.get(i..i + len)?).ok()?;
    Some(i + len)
}

/// Eight copies of a byte.
const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// A mark (the byte's high bit) on the bytes of `w` (little-endian) that end the plain run
/// of a string: `"`, `\`, control characters (below 0x20) and bytes that are not ASCII. By
/// the classic bit tricks, the lowest mark is exactly the first such byte (marks above it
/// may be false).
#[inline(always)]
fn string_specials(w: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(splat(1)) & !v & splat(0x80);
    let control = w.wrapping_sub(splat(0x20)) & !w & splat(0x80);
    zero(w ^ splat(b'"')) | zero(w ^ splat(b'\\')) | control | (w & splat(0x80))
}

/// The next `"`, `\`, control character or non-ASCII byte from `i` (or the end): sixteen
/// bytes at a time where SSE2 is there (always on x86-64), else eight.
#[inline(always)]
fn skip_plain(b: &[u8], mut i: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    while let Some(chunk) = b.get(i..i + 16) {
        let marks = sse2::string_specials(chunk.try_into().unwrap_or([0; 16]));
        if marks != 0 {
            return i + marks.trailing_zeros() as usize;
        }
        i += 16;
    }
    while let Some(chunk) = b.get(i..i + 8) {
        let marks = string_specials(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])));
        if marks != 0 {
            return i + (marks.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c) {
            break;
        }
        i += 1;
    }
    i
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// A bit per byte of `chunk` that is `"`, `\` or a control character (below 0x20).
    #[inline(always)]
    #[allow(unsafe_code)]
    pub(super) fn string_specials(chunk: [u8; 16]) -> u32 {
        // SAFETY: SSE2 is enabled for this build (the cfg above: it is part of every x86-64
        // CPU), which is all these intrinsics need; the load reads the 16 bytes of `chunk`.
        unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Unsigned v <= 0x1F exactly when max(v, 0x1F) == 0x1F.
            let low = _mm_set1_epi8(0x1F);
            let control = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
            let marks = _mm_or_si128(_mm_or_si128(quote, backslash), control);
            // movemask takes each byte's high bit: non-ASCII bytes mark themselves.
            (_mm_movemask_epi8(marks) | _mm_movemask_epi8(v)) as u32
        }
    }
}

/// Any string at `i`, checking its escapes as serde_json does; a surrogate escape that is
/// not half of a pair (serde_json refuses those) is declined.
fn any_string(b: &[u8], i: usize) -> Option<usize> {
    let mut i = i + 1;
    loop {
        i = skip_text(b, i)?;
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    let n = hex4(b, i + 2)?;
                    i += 6;
                    if (0xDC00..=0xDFFF).contains(&n) {
                        return None;
                    }
                    if (0xD800..=0xDBFF).contains(&n) {
                        // Only as the first half of a pair.
                        if b.get(i..i + 2)? != b"\\u"
                            || !(0xDC00..=0xDFFF).contains(&hex4(b, i + 2)?)
                        {
                            return None;
                        }
                        i += 6;
                    }
                }
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// The four hex digits at `at`.
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let mut n: u32 = 0;
    for &h in b.get(at..at + 4)? {
        n = n * 16 + char::from(h).to_digit(16)?;
    }
    Some(n)
}

/// Any JSON value at `i`, checked; `depth` is its nesting (the answer object is 1, a row's
/// values 4).
fn skip_value(b: &[u8], i: usize, depth: u32) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let literal = |word: &[u8]| (b.get(i..i + word.len())? == word).then_some(i + word.len());
    match *b.get(i)? {
        b'"' => any_string(b, i),
        b'{' => {
            let mut i = ws(b, i + 1);
            if *b.get(i)? == b'}' {
                return Some(i + 1);
            }
            loop {
                i = ws(b, i);
                // A key that is or may unescape to one starting with `$` is declined:
                // serde_json reads an object whose first key is `$serde_json::private::RawValue`
                // (or `...::Number` where a build enables arbitrary_precision) as something
                // else, so the reference decoder's payload map would differ or fail.
                if *b.get(i)? != b'"' || matches!(b.get(i + 1)?, b'$' | b'\\') {
                    return None;
                }
                i = ws(b, expect(b, any_string(b, i)?, b':')?);
                i = ws(b, skip_value(b, i, depth + 1)?);
                match *b.get(i)? {
                    b',' => i += 1,
                    b'}' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'[' => {
            let mut i = ws(b, i + 1);
            if *b.get(i)? == b']' {
                return Some(i + 1);
            }
            loop {
                i = ws(b, skip_value(b, ws(b, i), depth + 1)?);
                match *b.get(i)? {
                    b',' => i += 1,
                    b']' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b't' => literal(b"true"),
        b'f' => literal(b"false"),
        b'n' => literal(b"null"),
        b'-' | b'0'..=b'9' => number(b, i),
        _ => None,
    }
}

/// A number in JSON's grammar whose value is surely a finite f64 (serde_json refuses
/// numbers out of range): up to 300 digits before the point, and with an exponent at most
/// 20 of them and an exponent of at most 280.
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        while let Some(b'0'..=b'9') = b.get(i) {
            i += 1;
        }
        i
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    i = match *b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i),
        _ => return None,
    };
    let int_digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = digits(start);
        if i == start {
            return None;
        }
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let start = i;
        i = digits(start);
        let exp = &b[start..i];
        if exp.is_empty() || exp.len() > 3 || int_digits > 20 {
            return None;
        }
        let e = exp.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        if e > 280 {
            return None;
        }
    }
    (int_digits <= 300).then_some(i)
}

/// The field a key names (by [`COLUMNS`], whose order [`WireField`] follows).
fn field_of(key: &[u8]) -> Option<WireField> {
    let i = COLUMNS.iter().position(|c| c.as_bytes() == key)?;
    Some(FIELD_ORDER[i])
}

/// Each field's key as compact JSON writes it (`"id":`), as three little-endian words
/// (zero past the key) and the masks of its bytes, for comparing a key in three steps; and
/// its length.
const KEY_WORDS: [[u64; 3]; WIRE_FIELDS] = key_words(false);
const KEY_MASKS: [[u64; 3]; WIRE_FIELDS] = key_words(true);

/// The length of field `f`'s quoted key with its `:`.
const fn quoted_len(f: usize) -> usize {
    COLUMNS[f].len() + 3
}

/// Byte `k` (< [`quoted_len`]) of field `f`'s quoted key with its `:`.
const fn key_byte(f: usize, k: usize) -> u8 {
    let name = COLUMNS[f].as_bytes();
    if k == 0 || k == name.len() + 1 {
        b'"'
    } else if k == name.len() + 2 {
        b':'
    } else {
        name[k - 1]
    }
}

const fn key_words(masks: bool) -> [[u64; 3]; WIRE_FIELDS] {
    let mut out = [[0u64; 3]; WIRE_FIELDS];
    let mut f = 0;
    while f < WIRE_FIELDS {
        assert!(quoted_len(f) <= 24);
        let mut i = 0;
        while i < quoted_len(f) {
            let byte = if masks { 0xFF } else { key_byte(f, i) as u64 };
            out[f][i / 8] |= byte << (8 * (i % 8));
            i += 1;
        }
        f += 1;
    }
    out
}
