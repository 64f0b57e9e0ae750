//! Settings of a query handle after it is made (plain attributes in the Python SDK): offset,
//! limit and the Ref column on both query kinds; `sort_by` and a `fields` projection (read
//! with `weave_feedback_query_fetch_projected`) on a project query. Each clears the cache.

use std::ffi::c_char;

use serde_json::Value;

use super::query::optional_count;
use super::{arg_ref, opt_str, owned_c_string, Out};
use super::{weave_error, weave_feedback_query, weave_ref_feedback_query, weave_status};
use crate::fields::{fields_from_json, SortBy};

/// Skips the first `offset` rows (negative: not set). Clears the cache.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_set_offset(
    query: *mut weave_feedback_query,
    offset: i64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_set_offset", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        query.with_query(|q| q.set_offset(optional_count(offset)));
        Ok(())
    })
}

/// Returns at most `limit` rows (negative: not set). Clears the cache.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_set_limit(
    query: *mut weave_feedback_query,
    limit: i64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_set_limit", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        query.with_query(|q| q.set_limit(optional_count(limit)));
        Ok(())
    })
}

/// Shows or hides the Ref column in `weave_feedbacks_format_table` of the results. Clears the
/// cache.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_set_show_refs(
    query: *mut weave_feedback_query,
    show_refs: bool,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_set_show_refs", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        query.with_query(|q| q.set_show_refs(show_refs));
        Ok(())
    })
}

/// Orders the rows: `sort_json` is a JSON array of `{"field": …, "direction": "asc"|"desc"}`,
/// the keys in turn; a field is a column (`created_at`, `feedback_type`, …) or a payload path
/// (`payload.score`: rows with the path first, then by number, then by text). NULL restores
/// the default, `created_at` ascending; `[]` asks for no order. Malformed JSON, other keys, or
/// an unknown field (`Unknown field: <name>`) give `WEAVE_STATUS_INVALID_ARGUMENT` and leave
/// the query as it was. A query sorted otherwise than by `created_at` ascending is fetched in
/// one request by `_execute` and cannot make a `weave_feedback_cursor`. Clears the cache.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_set_sort_by(
    query: *mut weave_feedback_query,
    sort_json: *const c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_set_sort_by", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let sort_json = unsafe { opt_str(sort_json, "sort_json") }?;
        let sort = sort_json.map(SortBy::list_from_json).transpose()?;
        query.with_query(|q| q.set_sort_by(sort));
        Ok(())
    })
}

/// Asks for these fields only: `fields_json` is a JSON array of column names and payload paths
/// (`["id", "payload.score"]`); NULL or `[]` means whole rows. An unknown field gives
/// `WEAVE_STATUS_INVALID_ARGUMENT` (`Unknown field: <name>`) and leaves the query as it was.
/// Projected rows are not whole feedback rows: read them with
/// `weave_feedback_query_fetch_projected`; `_execute`, `_refresh`, `_refs`, `_len`, `_get` and
/// a cursor refuse such a query with `WEAVE_STATUS_INVALID_ARGUMENT`. Clears the cache.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_set_fields(
    query: *mut weave_feedback_query,
    fields_json: *const c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_set_fields", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let fields_json = unsafe { opt_str(fields_json, "fields_json") }?;
        let fields = fields_json.map(fields_from_json).transpose()?;
        query.with_query(|q| q.set_fields(fields.unwrap_or_default()));
        Ok(())
    })
}

/// The rows with only the fields set by `weave_feedback_query_set_fields` (whole rows
/// without), as a JSON array of objects exactly as the server sent them: a column keeps its
/// name, a payload path such as `payload.score` is its own key. `*out_json` is an owned
/// string, freed with `weave_string_free`. One request each call, nothing cached. Network
/// call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_fetch_projected(
    query: *mut weave_feedback_query,
    out_json: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_fetch_projected", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out_json, "out_json") }?;
        let rows = query.with_query(|q| q.fetch_projected())?;
        let rows = Value::Array(rows.into_iter().map(Value::Object).collect());
        out.set(owned_c_string(rows.to_string()));
        Ok(())
    })
}

/// Skips the first `offset` rows on the ref (negative: not set). Clears the cache.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_set_offset(
    query: *mut weave_ref_feedback_query,
    offset: i64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_set_offset", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        query.with_query(|q| q.set_offset(optional_count(offset)));
        Ok(())
    })
}

/// Returns at most `limit` rows on the ref (negative: not set). Clears the cache.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_set_limit(
    query: *mut weave_ref_feedback_query,
    limit: i64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_set_limit", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        query.with_query(|q| q.set_limit(optional_count(limit)));
        Ok(())
    })
}

/// Shows or hides the Ref column in the table of the ref's rows. Clears the cache.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_set_show_refs(
    query: *mut weave_ref_feedback_query,
    show_refs: bool,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_set_show_refs", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        query.with_query(|q| q.set_show_refs(show_refs));
        Ok(())
    })
}
