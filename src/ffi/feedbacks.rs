//! `weave_feedbacks`, `weave_feedback` and `weave_refs`: immutable results.
//!
//! A row getter returns a pointer into text the list owns (`row_values`: the scanned answer
//! itself, or the strings copied once when the handle is made), so the getters only read: no
//! lock, no allocation, any number of threads at once. Making the handle of a scanned answer
//! copies no string, and its rows are one array of (list, index) pairs. The list handle
//! itself is checked against the live-handle registry (a shared read lock); a row is a plain
//! pointer into it.

use std::ffi::{c_char, CString};
use std::ptr;

use super::row_values::Values;
use super::{arg_borrowed, arg_ref, c_string, free_handle, into_handle, live_ref};
use super::{owned_c_string, weave_error, weave_status, Out};
use crate::error::Error;
use crate::feedback::scan::WireField;
use crate::feedback::{Feedback, Feedbacks, Refs};

/// A list of feedback rows, in the server's order (`created_at` ascending). Owned by the
/// caller, freed with `weave_feedbacks_free`. Immutable: any number of threads may read it at
/// once. It does not depend on the query or client it came from.
pub struct weave_feedbacks {
    rows: Box<[weave_feedback]>,
    /// What the rows read; boxed so the rows' pointer to it stays valid when the handle moves.
    values: Box<Values>,
}

/// One feedback row, borrowed from the `weave_feedbacks` it came from (valid until that is
/// freed; never freed on its own). Immutable: any number of threads may read it at once.
pub struct weave_feedback {
    /// The list's values (owned by the list, which outlives every use of the row).
    values: *const Values,
    /// The row's index in the list.
    index: usize,
}

/// A list of strings (distinct refs, or the ids a batch created), in order. Owned by the caller,
/// freed with `weave_refs_free`. Immutable: any number of threads may read it at once.
pub struct weave_refs {
    items: Box<[CString]>,
}

impl weave_feedbacks {
    pub(crate) fn new_handle(feedbacks: Feedbacks) -> *mut weave_feedbacks {
        let len = feedbacks.len();
        let values = Box::new(Values::new(feedbacks));
        let base: *const Values = &*values;
        let rows = (0..len)
            .map(|index| weave_feedback {
                values: base,
                index,
            })
            .collect();
        // Moving the box into the handle does not move its heap contents: `base` stays valid
        // for the handle's life.
        into_handle(weave_feedbacks { rows, values })
    }

    /// Whether the getters read a scanned answer in place.
    #[cfg(test)]
    pub(crate) fn is_scanned(&self) -> bool {
        self.values.is_scanned()
    }
}

impl weave_feedback {
    fn get(&self, field: WireField) -> *const c_char {
        self.values().get(self.index, field)
    }

    fn values(&self) -> &Values {
        // SAFETY: points into the list this row is borrowed from, alive as long as the list.
        unsafe { &*self.values }
    }

    /// The row as built in Rust (for a scanned list, built on the first such call).
    fn row(&self) -> Option<&Feedback> {
        self.values().feedbacks.get(self.index)
    }
}

impl weave_refs {
    pub(crate) fn new_handle(refs: &Refs) -> *mut weave_refs {
        into_handle(weave_refs {
            items: refs.iter().map(c_string).collect(),
        })
    }
}

/// The number of rows; 0 when `feedbacks` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedbacks_len(feedbacks: *const weave_feedbacks) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live handle.
        unsafe { live_ref(feedbacks) }.map_or(0, |f| f.rows.len())
    })
}

/// Row `index` (from 0), borrowed from `feedbacks`: valid until `weave_feedbacks_free`, never
/// freed on its own. NULL past the end or when `feedbacks` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedbacks_get(
    feedbacks: *const weave_feedbacks,
    index: usize,
) -> *const weave_feedback {
    ffi_value!(ptr::null(), {
        // SAFETY: NULL or a live handle.
        unsafe { live_ref(feedbacks) }
            .and_then(|f| f.rows.get(index))
            .map_or(ptr::null(), |r| r as *const weave_feedback)
    })
}

/// The distinct `weave_ref` values of the rows, in first-seen order, as a new owned
/// `weave_refs` (freed with `weave_refs_free`).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedbacks_refs(
    feedbacks: *const weave_feedbacks,
    out: *mut *mut weave_refs,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedbacks_refs", out_error, {
        // SAFETY: NULL or a live handle.
        let feedbacks = unsafe { arg_ref(feedbacks, "feedbacks") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        out.set(weave_refs::new_handle(&feedbacks.values.feedbacks.refs()));
        Ok(())
    })
}

/// All rows as a JSON array of objects with the wire key names of a feedback row (`id`,
/// `project_id`, `weave_ref`, `creator`, `feedback_type`, `payload`, `annotation_ref`,
/// `runnable_ref`, `call_ref`, `trigger_ref`, `queue_id`, `wb_user_id`, `created_at`), nulls
/// included, `created_at` in RFC 3339, payloads as the server sent them (exact numbers).
/// `*out` is an owned string, freed with `weave_string_free`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedbacks_to_json(
    feedbacks: *const weave_feedbacks,
    out: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedbacks_to_json", out_error, {
        // SAFETY: NULL or a live handle.
        let feedbacks = unsafe { arg_ref(feedbacks, "feedbacks") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        out.set(owned_c_string(feedbacks.values.feedbacks.to_json()));
        Ok(())
    })
}

/// The Python SDK's plain-text table of the rows: columns Type, Feedback, Created, ID,
/// Creator, with Ref first when the query was made with `show_refs`; one line per row, each
/// ending in `\n`. `*out` is an owned string, freed with `weave_string_free`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedbacks_format_table(
    feedbacks: *const weave_feedbacks,
    out: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedbacks_format_table", out_error, {
        // SAFETY: NULL or a live handle.
        let feedbacks = unsafe { arg_ref(feedbacks, "feedbacks") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        out.set(owned_c_string(feedbacks.values.feedbacks.format_table()));
        Ok(())
    })
}

/// Frees a list of rows, and with it every `weave_feedback` borrowed from it. Does nothing
/// when `feedbacks` is NULL. Other handles holding the same rows are not affected.
#[no_mangle]
pub unsafe extern "C" fn weave_feedbacks_free(feedbacks: *mut weave_feedbacks) {
    ffi_value!((), {
        // SAFETY: NULL or a handle this library returned, freed once.
        unsafe { free_handle(feedbacks) }
    })
}

/// Reads one string field of a row; NULL for a NULL row or an absent value. No lock, no
/// allocation.
///
/// # Safety
/// `feedback` is NULL or a row borrowed from a live `weave_feedbacks`.
unsafe fn field(feedback: *const weave_feedback, which: WireField) -> *const c_char {
    // SAFETY: NULL or a row borrowed from a live `weave_feedbacks`.
    match unsafe { feedback.as_ref() } {
        Some(f) => f.get(which),
        None => ptr::null(),
    }
}

/// The row's id (a UUID). Borrowed from the row's `weave_feedbacks`; NULL when `feedback` is
/// NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_id(feedback: *const weave_feedback) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::Id) }
}

/// The row's project, `entity/project`. Borrowed; NULL when `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_project_id(
    feedback: *const weave_feedback,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::ProjectId) }
}

/// The ref the feedback is attached to, as stored (`weave:///entity/project/call/<id>`, ...).
/// Borrowed; NULL when `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_weave_ref(
    feedback: *const weave_feedback,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::WeaveRef) }
}

/// The feedback type: `wandb.reaction.1`, `wandb.note.1`, `wandb.annotation.<name>`, or a
/// custom type. Borrowed; NULL when `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_feedback_type(
    feedback: *const weave_feedback,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::FeedbackType) }
}

/// The stored payload as JSON text exactly as the server sent it (an object, compact from
/// Weave's server; integers beyond 64 bits keep every digit; reactions include the server's
/// `alias` and `detoned` keys). Borrowed; NULL when `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_payload_json(
    feedback: *const weave_feedback,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::Payload) }
}

/// The creator's display name. Borrowed; NULL when absent or when `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_creator(feedback: *const weave_feedback) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::Creator) }
}

/// The W&B user id the server authenticated. Borrowed; NULL when absent or when `feedback` is
/// NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_wb_user_id(
    feedback: *const weave_feedback,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::WbUserId) }
}

/// When the server stored the row: RFC 3339 in UTC with `T` and `Z`
/// (`2026-11-27T05:03:26.854361Z`), the fraction as precise as the server gave it and none
/// when it is zero. Borrowed; NULL when `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_created_at(
    feedback: *const weave_feedback,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::CreatedAt) }
}

/// The annotation spec ref, for `wandb.annotation.*` feedback. Borrowed; NULL when absent or
/// when `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_annotation_ref(
    feedback: *const weave_feedback,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::AnnotationRef) }
}

/// The scorer ref, for `wandb.runnable.*` feedback. Borrowed; NULL when absent or when
/// `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_runnable_ref(
    feedback: *const weave_feedback,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::RunnableRef) }
}

/// The scoring call's ref, for `wandb.runnable.*` feedback. Borrowed; NULL when absent or
/// when `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_call_ref(feedback: *const weave_feedback) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::CallRef) }
}

/// The trigger ref, for `wandb.runnable.*` feedback. Borrowed; NULL when absent or when
/// `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_trigger_ref(
    feedback: *const weave_feedback,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::TriggerRef) }
}

/// The annotation queue id. Borrowed; NULL when absent or when `feedback` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_queue_id(feedback: *const weave_feedback) -> *const c_char {
    // SAFETY: the caller passes NULL or a row of a live `weave_feedbacks`.
    unsafe { field(feedback, WireField::QueueId) }
}

/// The row as one JSON object, with the keys and format of `weave_feedbacks_to_json`. `*out`
/// is an owned string, freed with `weave_string_free`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_to_json(
    feedback: *const weave_feedback,
    out: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_to_json", out_error, {
        // SAFETY: NULL or a row borrowed from a live `weave_feedbacks`.
        let feedback = unsafe { arg_borrowed(feedback, "feedback") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        let row = feedback
            .row()
            .ok_or_else(|| Error::Internal("a row past its list's end".into()))?;
        out.set(owned_c_string(row.to_json()));
        Ok(())
    })
}

/// The number of strings; 0 when `refs` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_refs_len(refs: *const weave_refs) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live handle.
        unsafe { live_ref(refs) }.map_or(0, |r| r.items.len())
    })
}

/// String `index` (from 0), borrowed from `refs` (valid until `weave_refs_free`). NULL past
/// the end or when `refs` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_refs_get(refs: *const weave_refs, index: usize) -> *const c_char {
    ffi_value!(ptr::null(), {
        // SAFETY: NULL or a live handle.
        unsafe { live_ref(refs) }
            .and_then(|r| r.items.get(index))
            .map_or(ptr::null(), |s| s.as_ptr())
    })
}

/// Frees a list of strings. Does nothing when `refs` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_refs_free(refs: *mut weave_refs) {
    ffi_value!((), {
        // SAFETY: NULL or a handle this library returned, freed once.
        unsafe { free_handle(refs) }
    })
}
