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
#[cfg(feature = "capi")]
use std::ffi::c_char;

use serde_json::value::RawValue;

use super::decode::WireRow;
use super::Feedback;
use crate::timestamp::Timestamp;

/// The 13 keys of a row, in the order of [`crate::fields::COLUMNS`] (which names them); a
/// row's spans are indexed by these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireField {
    Id,
    ProjectId,
    WeaveRef,
    WbUserId,
    Creator,
    CreatedAt,
    FeedbackType,
    Payload,
    AnnotationRef,
    RunnableRef,
    CallRef,
    TriggerRef,
    QueueId,
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

/// Rows are sized from the answer's length (a note with every key is about 410 bytes).
const TYPICAL_ROW_BYTES: usize = 400;

impl Scanned {
    /// Scans a whole `/feedback/query` answer. `Err` gives the body back, unchanged, when
    /// the answer is not one this fast path takes (the reference decoder then reads it).
    pub(crate) fn scan(mut body: Vec<u8>) -> std::result::Result<Scanned, Vec<u8>> {
        // Offsets are u32. UTF-8 is checked as strings are read (outside them only ASCII
        // is taken).
        if body.len() >= u32::MAX as usize {
            return Err(body);
        }
        let mut rows = Vec::with_capacity(body.len() / TYPICAL_ROW_BYTES);
        if lexer::answer(&body, &mut rows).is_none() {
            return Err(body);
        }
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
    #[cfg(feature = "capi")]
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
        // Every string the scan took is valid UTF-8 and a value is cut at ASCII bytes.
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
        // The scan took only rows the reference decoder reads (payload an object of finite
        // numbers, created_at one `Timestamp::parse` reads), so this cannot fail; if it ever
        // did, the row keeps every value it can rather than vanish.
        Feedback::from_wire(self.wire_row(row))
            .map(|(f, _)| f)
            .unwrap_or_else(|_| self.lenient_row(row))
    }

    /// The row as the reference decoder reads it from the wire.
    fn wire_row(&self, row: &ScannedRow) -> WireRow<'_> {
        let text = |f| self.str(row, f).unwrap_or_default().to_owned();
        let opt = |f| self.str(row, f).map(str::to_owned);
        WireRow {
            id: text(WireField::Id),
            project_id: text(WireField::ProjectId),
            weave_ref: text(WireField::WeaveRef),
            creator: opt(WireField::Creator),
            feedback_type: text(WireField::FeedbackType),
            payload: self
                .str(row, WireField::Payload)
                .and_then(|p| serde_json::from_str::<&RawValue>(p).ok()),
            annotation_ref: opt(WireField::AnnotationRef),
            runnable_ref: opt(WireField::RunnableRef),
            call_ref: opt(WireField::CallRef),
            trigger_ref: opt(WireField::TriggerRef),
            queue_id: opt(WireField::QueueId),
            wb_user_id: opt(WireField::WbUserId),
            created_at: Cow::Borrowed(self.str(row, WireField::CreatedAt).unwrap_or_default()),
        }
    }

    /// A row whose payload or `created_at` the reference would not read (never, by the scan's
    /// checks): the payload's text kept as sent, `created_at` from its RFC 3339 form.
    fn lenient_row(&self, row: &ScannedRow) -> Feedback {
        let w = self.wire_row(row);
        let rfc3339 = self.c_view(row, WireField::CreatedAt).unwrap_or_default();
        Feedback {
            id: w.id,
            project_id: w.project_id,
            weave_ref: w.weave_ref,
            creator: w.creator,
            feedback_type: w.feedback_type,
            payload: w
                .payload
                .and_then(|p| serde_json::from_str(p.get()).ok())
                .unwrap_or_default(),
            annotation_ref: w.annotation_ref,
            runnable_ref: w.runnable_ref,
            call_ref: w.call_ref,
            trigger_ref: w.trigger_ref,
            queue_id: w.queue_id,
            wb_user_id: w.wb_user_id,
            created_at: std::str::from_utf8(rfc3339)
                .ok()
                .and_then(Timestamp::parse)
                .unwrap_or_else(Timestamp::now),
            payload_text: w.payload.map(ToOwned::to_owned),
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
    WireField::WbUserId,
    WireField::Creator,
    WireField::CreatedAt,
    WireField::FeedbackType,
    WireField::Payload,
    WireField::AnnotationRef,
    WireField::RunnableRef,
    WireField::CallRef,
    WireField::TriggerRef,
    WireField::QueueId,
];

fn span(start: usize, end: usize) -> Span {
    // The answer is shorter than u32::MAX (checked first).
    Span {
        start: start as u32,
        len: (end - start) as u32,
    }
}

mod check;
mod created_at;
mod lexer;
#[cfg(test)]
mod tests;

pub use check::{scan_check, scan_count, ScanOutcome};
