//! A query handle as a collection: `_len` and `_get` (negative indices from the end), fetching
//! on first use and then reading the query's cache, as the Python SDK's `len(q)` and `q[i]`.

use super::weave_status;
use super::{arg_ref, Out};
use super::{weave_error, weave_feedback_query, weave_feedbacks, weave_ref_feedback_query};
use crate::error::{Error, Result};
use crate::feedback::Feedbacks;
use crate::FeedbackQuery;

/// Row `index` of `q` (negative from the end) as a one-row list with the query's Ref column
/// setting; out of range is an error naming the number of rows.
fn row_at(q: &mut FeedbackQuery, index: i64) -> Result<Feedbacks> {
    let show_refs = q.show_refs();
    let n = q.len()?;
    let row = match isize::try_from(index) {
        Ok(i) => q.get(i)?.cloned(),
        Err(_) => None,
    };
    let row = row.ok_or_else(|| {
        Error::InvalidArgument(format!("index {index} is out of range for {n} rows"))
    })?;
    Ok(Feedbacks::new(vec![row], show_refs))
}

/// The number of rows, fetched on the first use of the query (as `weave_feedback_query_execute`
/// fetches) and then read from its cache. May block (network call).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_len(
    query: *mut weave_feedback_query,
    out_len: *mut usize,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_len", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out_len, "out_len") }?;
        out.set(query.with_query(|q| q.len())?);
        Ok(())
    })
}

/// Row `index` of the query (`-1` is the last row, as in Python), fetched on first use and
/// then read from the cache, as a new one-row `weave_feedbacks` (freed with
/// `weave_feedbacks_free`). An index out of range gives `WEAVE_STATUS_INVALID_ARGUMENT` (the
/// message says how many rows there are). May block (network call).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_get(
    query: *mut weave_feedback_query,
    index: i64,
    out: *mut *mut weave_feedbacks,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_get", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        let rows = query.with_query(|q| row_at(q, index))?;
        out.set(weave_feedbacks::new_handle(rows));
        Ok(())
    })
}

/// `weave_feedback_query_len` for the rows on one ref.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_len(
    query: *mut weave_ref_feedback_query,
    out_len: *mut usize,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_len", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out_len, "out_len") }?;
        out.set(query.with_query(|q| q.len())?);
        Ok(())
    })
}

/// `weave_feedback_query_get` for the rows on one ref.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_get(
    query: *mut weave_ref_feedback_query,
    index: i64,
    out: *mut *mut weave_feedbacks,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_get", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        let rows = query.with_query(|q| row_at(q.as_feedback_query_mut(), index))?;
        out.set(weave_feedbacks::new_handle(rows));
        Ok(())
    })
}
