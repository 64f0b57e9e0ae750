//! `weave_feedback_cursor`: a walk over a query's rows, one page (`weave_feedbacks`) at a time.

use std::sync::{Mutex, PoisonError};

use super::{arg_ref, free_handle, into_handle, Out};
use super::{weave_error, weave_feedback_query, weave_feedbacks, weave_status};
use crate::Pages;

/// A walk over every row of a `weave_feedback_query`, one page per
/// `weave_feedback_cursor_next`, in a stable order (`created_at`, then `id`): rows added or
/// deleted during the walk are never skipped or repeated (new rows come at the end). Memory
/// holds only the pages the caller keeps. Owned by the caller, freed with
/// `weave_feedback_cursor_free`; independent of the query and client it came from. Calls on
/// one cursor are serialised (a second caller waits).
pub struct weave_feedback_cursor {
    pages: Mutex<Pages>,
}

/// A cursor over the rows of `query` (its filter, offset and limit apply to the whole walk;
/// its cache is not used), `page_size` rows per request. Nothing is fetched yet. `page_size`
/// of 0 gives `WEAVE_STATUS_INVALID_ARGUMENT`. On success `*out` is an owned handle, freed
/// with `weave_feedback_cursor_free`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_cursor_new(
    query: *mut weave_feedback_query,
    page_size: usize,
    out: *mut *mut weave_feedback_cursor,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_cursor_new", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        let pages = query.with_query(|q| q.pages(page_size))?;
        out.set(into_handle(weave_feedback_cursor {
            pages: Mutex::new(pages),
        }));
        Ok(())
    })
}

/// Fetches the next page. On `WEAVE_STATUS_OK` either `*out_done` is false and `*out_page` is
/// a new owned handle with at least one row (freed with `weave_feedbacks_free`), or
/// `*out_done` is true and `*out_page` is NULL: the walk is over, and every later call says
/// so again without a request. On failure nothing is written and the walk is over too (make
/// a new cursor to start again). Network call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_cursor_next(
    cursor: *mut weave_feedback_cursor,
    out_page: *mut *mut weave_feedbacks,
    out_done: *mut bool,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_cursor_next", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let cursor = unsafe { arg_ref(cursor, "cursor") }?;
        // SAFETY: NULL or valid for a write.
        let out_page = unsafe { Out::required(out_page, "out_page") }?;
        // SAFETY: as above.
        let out_done = unsafe { Out::required(out_done, "out_done") }?;
        let next = cursor
            .pages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next()
            .transpose()?;
        match next {
            Some(page) => {
                out_page.set(weave_feedbacks::new_handle(page));
                out_done.set(false);
            }
            None => {
                out_page.set(std::ptr::null_mut());
                out_done.set(true);
            }
        }
        Ok(())
    })
}

/// Frees a cursor. Does nothing when `cursor` is NULL. Pages it returned stay valid.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_cursor_free(cursor: *mut weave_feedback_cursor) {
    ffi_value!((), {
        // SAFETY: NULL or a handle from `weave_feedback_cursor_new`, freed once.
        unsafe { free_handle(cursor) }
    })
}
