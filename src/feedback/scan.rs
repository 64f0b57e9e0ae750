//! A fast path for decoding `/feedback/query` answers: one hand-written pass over the answer
//! that checks it and notes where each row's values are, without building a single string.
//!
//! It takes only the answers it can show it reads exactly as [`super::decode`] does (the shape
//! Weave's servers send: no escapes in a row's own strings, `created_at` in UTC); for anything
//! else it declines and hands the answer back untouched, and the reference decoder gives the
//! rows or the error. The `scan_equivalence` fuzz target compares the two on any bytes.
//!
//! The C handle reads the values in place: each value is NUL-terminated where the byte after
//! it was (a string's closing quote), so a getter is a pointer into the answer.

use std::borrow::Cow;
#[cfg(any(feature = "capi", test))]
use std::ffi::c_char;

use serde_json::value::RawValue;

use super::decode::WireRow;
use super::Feedback;
use crate::timestamp::{days_in_month, Timestamp};

/// The 13 keys of a row, in the wire's order; a row's spans are indexed by these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireField {
    Id,
    ProjectId,
    WeaveRef,
    Creator,
    FeedbackType,
    Payload,
    AnnotationRef,
    RunnableRef,
    CallRef,
    TriggerRef,
    QueueId,
    WbUserId,
    CreatedAt,
}

/// The number of [`WireField`]s.
pub(crate) const WIRE_FIELDS: usize = 13;

/// The fields a row must have (the others may be null or missing).
const REQUIRED: u16 = 1 << WireField::Id as u16
    | 1 << WireField::ProjectId as u16
    | 1 << WireField::WeaveRef as u16
    | 1 << WireField::FeedbackType as u16
    | 1 << WireField::CreatedAt as u16;

/// Where a value is in [`Scanned`]'s text: `start..start + len`, followed by a NUL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    /// A value that is null or missing.
    pub(crate) const ABSENT: Span = Span {
        start: u32::MAX,
        len: 0,
    };
}

/// One row of a scanned answer.
#[derive(Clone, Debug)]
pub(crate) struct ScannedRow {
    /// Each field's value by [`WireField`]: strings without their quotes, the payload as its
    /// JSON text, `created_at` as sent; [`Span::ABSENT`] for null or missing.
    spans: [Span; WIRE_FIELDS],
    /// `created_at` in RFC 3339 UTC (as [`Timestamp::as_rfc3339`] writes it), NUL-terminated.
    created_at_rfc3339: [u8; 32],
}

/// A scanned answer: its text (values NUL-terminated in place) and where each row's values
/// are. Immutable once made.
#[derive(Debug)]
pub(crate) struct Scanned {
    text: Vec<u8>,
    rows: Vec<ScannedRow>,
}

/// Nesting deeper than this is declined: serde_json refuses answers nested 128 deep, and
/// the reference decoder then gives that error.
const MAX_DEPTH: u32 = 100;

/// Rows are sized from the answer's length (a note with every key is about 410 bytes).
const TYPICAL_ROW_BYTES: usize = 400;

impl Scanned {
    /// Scans a whole `/feedback/query` answer. `Err` gives the body back, unchanged, when
    /// the answer is not one this fast path takes (the reference decoder then reads it).
    pub(crate) fn scan(mut body: Vec<u8>) -> std::result::Result<Scanned, Vec<u8>> {
        // Offsets are u32; one UTF-8 check of the whole answer, then bytes.
        if body.len() >= u32::MAX as usize || std::str::from_utf8(&body).is_err() {
            return Err(body);
        }
        let mut scanner = Scanner {
            b: &body,
            i: 0,
            rows: Vec::with_capacity(body.len() / TYPICAL_ROW_BYTES),
            next_key: [NO_GUESS; WIRE_FIELDS + 1],
        };
        if scanner.answer().is_none() {
            return Err(body);
        }
        let mut rows = scanner.rows;
        rows.shrink_to_fit();
        for row in &rows {
            for span in row.spans.iter().filter(|s| **s != Span::ABSENT) {
                // The byte after a value is its closing quote, or what follows a payload
                // (`,`, `}` or white space): never part of another value.
                body[(span.start + span.len) as usize] = 0;
            }
        }
        Ok(Scanned { text: body, rows })
    }

    /// The number of rows.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// The rows, in the answer's order.
    pub(crate) fn rows(&self) -> &[ScannedRow] {
        &self.rows
    }

    /// A value of `row` as NUL-terminated text (valid as long as `self`), or NULL when it is
    /// null or missing. `created_at` is the RFC 3339 form; the payload its JSON text as sent
    /// (`{}` when null or missing, as [`Feedback::payload_json`]).
    #[cfg(any(feature = "capi", test))]
    pub(crate) fn c_str(&self, row: &ScannedRow, field: WireField) -> *const c_char {
        if field == WireField::CreatedAt {
            return row.created_at_rfc3339.as_ptr().cast();
        }
        match self.c_bytes(row, field) {
            Some(bytes) => bytes.as_ptr().cast(),
            None => std::ptr::null(),
        }
    }

    /// A value of `row` as sent, or `None` when it is null or missing.
    fn str(&self, row: &ScannedRow, field: WireField) -> Option<&str> {
        let span = row.spans[field as usize];
        if span == Span::ABSENT {
            return None;
        }
        let bytes = &self.text[span.start as usize..(span.start + span.len) as usize];
        // The whole answer was valid UTF-8 and a value is cut at ASCII bytes.
        Some(std::str::from_utf8(bytes).unwrap_or_default())
    }

    /// The last row's `created_at` exactly as sent (the key the next page starts after).
    pub(crate) fn last_created_at(&self) -> Option<&str> {
        let row = self.rows.last()?;
        self.str(row, WireField::CreatedAt)
    }

    /// The last row's id.
    pub(crate) fn last_id(&self) -> Option<&str> {
        self.str(self.rows.last()?, WireField::Id)
    }

    /// The rows as [`Feedback`]s, equal to what the reference decoder makes of the answer
    /// (the `scan_equivalence` fuzz target checks it).
    pub(crate) fn build_rows(&self) -> Vec<Feedback> {
        self.rows.iter().map(|row| self.build_row(row)).collect()
    }

    fn build_row(&self, row: &ScannedRow) -> Feedback {
        let text = |f| self.str(row, f).unwrap_or_default().to_owned();
        let opt = |f| self.str(row, f).map(str::to_owned);
        let payload = self
            .str(row, WireField::Payload)
            .and_then(|p| serde_json::from_str::<&RawValue>(p).ok());
        let created_at = self.str(row, WireField::CreatedAt).unwrap_or_default();
        let wire = WireRow {
            id: text(WireField::Id),
            project_id: text(WireField::ProjectId),
            weave_ref: text(WireField::WeaveRef),
            creator: opt(WireField::Creator),
            feedback_type: text(WireField::FeedbackType),
            payload,
            annotation_ref: opt(WireField::AnnotationRef),
            runnable_ref: opt(WireField::RunnableRef),
            call_ref: opt(WireField::CallRef),
            trigger_ref: opt(WireField::TriggerRef),
            queue_id: opt(WireField::QueueId),
            wb_user_id: opt(WireField::WbUserId),
            created_at: Cow::Borrowed(created_at),
        };
        // The scan took only rows the reference decoder reads (payload an object of finite
        // numbers, created_at one `Timestamp::parse` reads), so this cannot fail; if it ever
        // did, the row keeps every value it can rather than vanish.
        Feedback::from_wire(wire)
            .map(|(f, _)| f)
            .unwrap_or_else(|_| self.lenient_row(row))
    }

    /// A row whose payload text or `created_at` the reference would not read (never, by the
    /// scan's checks): the payload text kept as sent, `created_at` from its RFC 3339 form.
    fn lenient_row(&self, row: &ScannedRow) -> Feedback {
        let text = |f| self.str(row, f).unwrap_or_default().to_owned();
        let opt = |f| self.str(row, f).map(str::to_owned);
        let payload = self.str(row, WireField::Payload);
        let rfc3339 = self.c_view(row, WireField::CreatedAt).unwrap_or_default();
        Feedback {
            id: text(WireField::Id),
            project_id: text(WireField::ProjectId),
            weave_ref: text(WireField::WeaveRef),
            creator: opt(WireField::Creator),
            feedback_type: text(WireField::FeedbackType),
            payload: payload
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default(),
            annotation_ref: opt(WireField::AnnotationRef),
            runnable_ref: opt(WireField::RunnableRef),
            call_ref: opt(WireField::CallRef),
            trigger_ref: opt(WireField::TriggerRef),
            queue_id: opt(WireField::QueueId),
            wb_user_id: opt(WireField::WbUserId),
            created_at: std::str::from_utf8(rfc3339)
                .ok()
                .and_then(Timestamp::parse)
                .unwrap_or_else(Timestamp::now),
            payload_text: payload.and_then(|p| RawValue::from_string(p.to_owned()).ok()),
        }
    }

    /// Where [`Scanned::c_str`] points: from the value's first byte to the end of the
    /// buffer it lies in (the text, the row's RFC 3339 form, or a static `{}`).
    fn c_bytes<'s>(&'s self, row: &'s ScannedRow, field: WireField) -> Option<&'s [u8]> {
        if field == WireField::CreatedAt {
            return Some(&row.created_at_rfc3339);
        }
        let span = row.spans[field as usize];
        if span == Span::ABSENT {
            return (field == WireField::Payload).then_some(b"{}\0");
        }
        Some(&self.text[span.start as usize..])
    }

    /// What a C program reads at [`Scanned::c_str`]: the bytes up to the first NUL.
    fn c_view<'s>(&'s self, row: &'s ScannedRow, field: WireField) -> Option<&'s [u8]> {
        let bytes = self.c_bytes(row, field)?;
        Some(&bytes[..bytes.iter().position(|&b| b == 0)?])
    }
}

/// The fields by their index.
const FIELD_ORDER: [WireField; WIRE_FIELDS] = [
    WireField::Id,
    WireField::ProjectId,
    WireField::WeaveRef,
    WireField::Creator,
    WireField::FeedbackType,
    WireField::Payload,
    WireField::AnnotationRef,
    WireField::RunnableRef,
    WireField::CallRef,
    WireField::TriggerRef,
    WireField::QueueId,
    WireField::WbUserId,
    WireField::CreatedAt,
];

/// The scanner's position in the answer; every method returns `None` to decline.
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    rows: Vec<ScannedRow>,
    /// By field (and [`WIRE_FIELDS`] for a row's start): the field whose key came next last
    /// time, or [`NO_GUESS`].
    next_key: [u8; WIRE_FIELDS + 1],
}

/// No key to guess.
const NO_GUESS: u8 = u8::MAX;

/// [`QUOTED_KEYS`] as three little-endian words each (zero past the key), and the masks of
/// their bytes, for comparing a key in three steps.
const KEY_WORDS: [[u64; 3]; WIRE_FIELDS] = key_words(false);
const KEY_MASKS: [[u64; 3]; WIRE_FIELDS] = key_words(true);

const fn key_words(masks: bool) -> [[u64; 3]; WIRE_FIELDS] {
    let mut out = [[0u64; 3]; WIRE_FIELDS];
    let mut f = 0;
    while f < WIRE_FIELDS {
        let key = QUOTED_KEYS[f];
        assert!(key.len() <= 24);
        let mut i = 0;
        while i < key.len() {
            let byte = if masks { 0xFF } else { key[i] as u64 };
            out[f][i / 8] |= byte << (8 * (i % 8));
            i += 1;
        }
        f += 1;
    }
    out
}

/// Each field's key as it appears in compact JSON, quoted and followed by `:`.
const QUOTED_KEYS: [&[u8]; WIRE_FIELDS] = [
    b"\"id\":",
    b"\"project_id\":",
    b"\"weave_ref\":",
    b"\"creator\":",
    b"\"feedback_type\":",
    b"\"payload\":",
    b"\"annotation_ref\":",
    b"\"runnable_ref\":",
    b"\"call_ref\":",
    b"\"trigger_ref\":",
    b"\"queue_id\":",
    b"\"wb_user_id\":",
    b"\"created_at\":",
];

/// Eight copies of a byte.
const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// A mark (the byte's high bit) on the bytes of `w` (little-endian) that end the plain run
/// of a string: `"`, `\` and control characters (below 0x20). By the classic bit tricks, the
/// lowest mark is exactly the first such byte (marks above it may be false).
fn string_specials(w: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(splat(1)) & !v & splat(0x80);
    let control = w.wrapping_sub(splat(0x20)) & !w & splat(0x80);
    zero(w ^ splat(b'"')) | zero(w ^ splat(b'\\')) | control
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Consumes `c` (after white space).
    fn expect(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// `{"result": [rows...], other keys skipped}` and nothing but white space after it.
    fn answer(&mut self) -> Option<()> {
        self.expect(b'{')?;
        let mut seen_result = false;
        loop {
            self.ws();
            let key = self.plain_string()?;
            self.expect(b':')?;
            self.ws();
            if key == b"result" {
                if seen_result {
                    return None;
                }
                seen_result = true;
                self.result()?;
            } else {
                self.skip_value(2)?;
            }
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.ws();
        (seen_result && self.i == self.b.len()).then_some(())
    }

    fn result(&mut self) -> Option<()> {
        self.expect(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            self.row()?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// One row object: each known key once, unknown keys skipped, required keys present.
    fn row(&mut self) -> Option<()> {
        self.expect(b'{')?;
        let mut row = ScannedRow {
            spans: [Span::ABSENT; WIRE_FIELDS],
            created_at_rfc3339: [0; 32],
        };
        let mut seen: u16 = 0;
        // The field before this key (WIRE_FIELDS: none yet), for guessing the key.
        let mut prev = WIRE_FIELDS;
        loop {
            self.ws();
            let known = match self.guess_key(prev) {
                Some(field) => Some(field),
                None => {
                    let key = self.plain_string()?;
                    self.expect(b':')?;
                    let field = field_of(key);
                    if let Some(field) = field {
                        self.next_key[prev] = field as u8;
                    }
                    field
                }
            };
            self.ws();
            match known {
                Some(field) => {
                    prev = field as usize;
                    let bit = 1u16 << field as u16;
                    if seen & bit != 0 {
                        return None;
                    }
                    seen |= bit;
                    row.spans[field as usize] = self.field_value(field)?;
                    if field == WireField::CreatedAt {
                        let span = row.spans[field as usize];
                        let text = &self.b[span.start as usize..(span.start + span.len) as usize];
                        row.created_at_rfc3339 = canonical_utc(text)?;
                    }
                }
                None => self.skip_value(4)?,
            }
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        if seen & REQUIRED != REQUIRED {
            return None;
        }
        self.rows.push(row);
        Some(())
    }

    /// Consumes the key (and its `:`) that followed `prev` in the last row, if it is next:
    /// servers write every row's keys in one order, so a byte comparison usually replaces
    /// reading the key and looking it up.
    fn guess_key(&mut self, prev: usize) -> Option<WireField> {
        let field = *FIELD_ORDER.get(usize::from(self.next_key[prev]))?;
        let key = QUOTED_KEYS[field as usize];
        let matches = match self.b.get(self.i..self.i + 24) {
            // Three word comparisons instead of a call to memcmp.
            Some(next) => {
                let (words, masks) = (&KEY_WORDS[field as usize], &KEY_MASKS[field as usize]);
                (0..3).fold(0, |diff, k| {
                    let w = u64::from_le_bytes(next[k * 8..k * 8 + 8].try_into().unwrap_or([0; 8]));
                    diff | ((w ^ words[k]) & masks[k])
                }) == 0
            }
            None => self.b.get(self.i..)?.starts_with(key),
        };
        matches.then(|| {
            self.i += key.len();
            field
        })
    }

    /// A known field's value: a plain string, null where the field is optional, an object
    /// or null for the payload.
    fn field_value(&mut self, field: WireField) -> Option<Span> {
        let optional = REQUIRED & (1 << field as u16) == 0;
        match self.peek()? {
            b'n' if optional => {
                (self.b.get(self.i..self.i + 4)? == b"null").then_some(())?;
                self.i += 4;
                Some(Span::ABSENT)
            }
            b'{' if field == WireField::Payload => {
                let start = self.i;
                self.skip_value(4)?;
                Some(span(start, self.i))
            }
            b'"' if field != WireField::Payload => {
                let s = self.plain_string()?;
                let start = self.i - 1 - s.len();
                Some(span(start, start + s.len()))
            }
            _ => None,
        }
    }

    /// A string without escapes; its bytes between the quotes.
    #[inline(always)]
    fn plain_string(&mut self) -> Option<&'a [u8]> {
        let b = self.b;
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let start = self.i;
        self.skip_plain();
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        Some(&b[start..self.i - 1])
    }

    /// Moves to the next `"`, `\` or control character (or the end), eight bytes at a time.
    fn skip_plain(&mut self) {
        let b = self.b;
        let mut i = self.i;
        while let Some(chunk) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            let marks = string_specials(w);
            if marks != 0 {
                self.i = i + (marks.trailing_zeros() / 8) as usize;
                return;
            }
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            i += 1;
        }
        self.i = i;
    }

    /// Any string, checking its escapes as serde_json does; a surrogate escape that is not
    /// half of a pair (serde_json refuses those) is declined.
    fn any_string(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            self.skip_plain();
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    match *self.b.get(self.i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                        b'u' => {
                            let n = self.hex4(self.i + 2)?;
                            self.i += 6;
                            if (0xDC00..=0xDFFF).contains(&n) {
                                return None;
                            }
                            if (0xD800..=0xDBFF).contains(&n) {
                                // Only as the first half of a pair.
                                if self.b.get(self.i..self.i + 2)? != b"\\u" {
                                    return None;
                                }
                                if !(0xDC00..=0xDFFF).contains(&self.hex4(self.i + 2)?) {
                                    return None;
                                }
                                self.i += 6;
                            }
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// The four hex digits at `at`.
    fn hex4(&self, at: usize) -> Option<u32> {
        let mut n: u32 = 0;
        for &h in self.b.get(at..at + 4)? {
            n = n * 16 + char::from(h).to_digit(16)?;
        }
        Some(n)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    /// Any JSON value, checked; `depth` is its nesting (the answer object is 1, a row's values 4).
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.any_string(),
            b'{' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    if self.peek()? != b'"' {
                        return None;
                    }
                    self.any_string()?;
                    self.expect(b':')?;
                    self.ws();
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// A number in JSON's grammar whose value is surely a finite f64 (serde_json refuses
    /// numbers out of range): up to 300 digits before the point, and with an exponent at
    /// most 20 of them and an exponent of at most 280.
    fn number(&mut self) -> Option<()> {
        if self.peek()? == b'-' {
            self.i += 1;
        }
        let int_start = self.i;
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let int_digits = self.i - int_start;
        if self.peek() == Some(b'.') {
            self.i += 1;
            let start = self.i;
            self.digits();
            if self.i == start {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            let start = self.i;
            self.digits();
            let exp = &self.b[start..self.i];
            if exp.is_empty() || exp.len() > 3 || int_digits > 20 {
                return None;
            }
            let e = exp.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
            if e > 280 {
                return None;
            }
        }
        (int_digits <= 300).then_some(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }
}

fn span(start: usize, end: usize) -> Span {
    // The answer is shorter than u32::MAX (checked first).
    Span {
        start: start as u32,
        len: (end - start) as u32,
    }
}

fn field_of(key: &[u8]) -> Option<WireField> {
    Some(match key {
        b"id" => WireField::Id,
        b"project_id" => WireField::ProjectId,
        b"weave_ref" => WireField::WeaveRef,
        b"creator" => WireField::Creator,
        b"feedback_type" => WireField::FeedbackType,
        b"payload" => WireField::Payload,
        b"annotation_ref" => WireField::AnnotationRef,
        b"runnable_ref" => WireField::RunnableRef,
        b"call_ref" => WireField::CallRef,
        b"trigger_ref" => WireField::TriggerRef,
        b"queue_id" => WireField::QueueId,
        b"wb_user_id" => WireField::WbUserId,
        b"created_at" => WireField::CreatedAt,
        _ => return None,
    })
}

/// `created_at` in the form [`Timestamp::as_rfc3339`] gives, NUL-terminated, for the UTC
/// shapes (`YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}]` then `Z`, `+00:00`, `+0000`, `+00`, their `-`
/// forms, or nothing); `None` (decline) for anything else, including second 60.
fn canonical_utc(s: &[u8]) -> Option<[u8; 32]> {
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

/// What the scan made of an answer, checked against the reference decoder.
#[doc(hidden)]
#[derive(Debug, PartialEq, Eq)]
pub enum ScanOutcome {
    /// The scan declined (the reference decoder reads the answer, or refuses it).
    Declined,
    /// The scan took the answer, and everything it gives equals the reference's.
    Taken,
    /// The scan took the answer and something differs: what.
    Mismatch(String),
}

/// For the `scan_equivalence` fuzz target and the tests: scans `data` and, when the scan
/// takes it, compares every row (each field, the parsed payload, the JSON text), the last
/// `created_at`, and each value as the C getters read it, with the reference decoder's.
#[doc(hidden)]
pub fn scan_check(data: &[u8]) -> ScanOutcome {
    let Ok(scanned) = Scanned::scan(data.to_vec()) else {
        return ScanOutcome::Declined;
    };
    let (want, want_last) = match super::Feedbacks::from_query_page(data, false) {
        Ok((rows, last)) => (rows, last),
        Err(e) => return ScanOutcome::Mismatch(format!("the reference refuses it: {e}")),
    };
    let got = scanned.build_rows();
    if got.as_slice() != want.as_slice() {
        return ScanOutcome::Mismatch(format!("rows {got:?} != {:?}", want.as_slice()));
    }
    if scanned.last_created_at() != want_last.as_deref() {
        return ScanOutcome::Mismatch(format!("last created_at {:?}", scanned.last_created_at()));
    }
    for ((g, w), row) in got.iter().zip(want.iter()).zip(scanned.rows()) {
        if g.payload != w.payload || g.to_json() != w.to_json() {
            return ScanOutcome::Mismatch(format!("payload {:?} != {:?}", g.payload, w.payload));
        }
        let expect = [
            Some(w.id.as_str()),
            Some(&w.project_id),
            Some(&w.weave_ref),
            w.creator.as_deref(),
            Some(&w.feedback_type),
            Some(w.payload_json()),
            w.annotation_ref.as_deref(),
            w.runnable_ref.as_deref(),
            w.call_ref.as_deref(),
            w.trigger_ref.as_deref(),
            w.queue_id.as_deref(),
            w.wb_user_id.as_deref(),
            Some(w.created_at_rfc3339()),
        ];
        for (field, want) in FIELD_ORDER.into_iter().zip(expect) {
            let seen = scanned.c_view(row, field);
            if seen != want.map(str::as_bytes) {
                return ScanOutcome::Mismatch(format!(
                    "{field:?}: C reads {seen:?}, want {want:?}"
                ));
            }
        }
    }
    ScanOutcome::Taken
}

/// For `examples/decode`: scans `body`, giving the number of rows, or `None` if declined.
#[doc(hidden)]
pub fn scan_count(body: Vec<u8>) -> Option<usize> {
    Scanned::scan(body).ok().map(|s| s.len())
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
