//! `weave_feedback_query`: a project's feedback (the SDK's `FeedbackQuery`). The per-ref
//! handle is in `ref_query`; the helpers here are shared by both.

use std::ffi::c_char;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{arg_ref, arg_str, free_handle, into_handle};
use super::{opt_str, owned_c_string, Out};
use super::{weave_client, weave_error, weave_feedbacks, weave_refs, weave_status};
use crate::feedback::Feedbacks;
use crate::query::Query;
use crate::FeedbackQuery;

/// A lazily fetched, cached query over one project's feedback (the Python SDK's
/// `FeedbackQuery`). Owned by the caller, freed with `weave_feedback_query_free`. Usable from any
/// thread; calls on one handle are serialised (a second caller waits for the first). It does not
/// depend on the client it was made from.
pub struct weave_feedback_query {
    query: Mutex<FeedbackQuery>,
}

impl weave_feedback_query {
    /// Runs `f` on the query, holding its lock.
    pub(crate) fn with_query<R>(&self, f: impl FnOnce(&mut FeedbackQuery) -> R) -> R {
        f(&mut locked(&self.query))
    }
}

/// Locks a query handle. The contract asks for one call at a time; the lock turns a host's
/// accidental overlap into waiting instead of undefined behaviour. A panic while locked only
/// leaves a cache behind, which stays consistent, so a poisoned lock is taken over.
pub(super) fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A negative `int64_t` means "not set".
pub(crate) fn optional_count(v: i64) -> Option<u64> {
    u64::try_from(v).ok()
}

/// Writes rows to `out` as a new `weave_feedbacks` handle.
pub(super) fn set_feedbacks(out: Out<*mut weave_feedbacks>, rows: Feedbacks) {
    out.set(weave_feedbacks::new_handle(rows));
}

/// Writes an optional id out-parameter.
pub(super) fn set_id(out: Option<Out<*mut c_char>>, id: String) {
    if let Some(out) = out {
        out.set(owned_c_string(id));
    }
}

/// A query over the feedback of `entity/project`; nothing is fetched yet.
///
/// - `query_json` (optional): a Query object, `{"$expr": ...}`, as the server's query
///   language (for example `{"$expr":{"$eq":[{"$getField":"feedback_type"},
///   {"$literal":"wandb.note.1"}]}}`); NULL means every row of the project.
/// - `offset`, `limit`: negative means not set.
/// - `show_refs`: adds the Ref column to `weave_feedbacks_format_table`.
///
/// Everything is checked here: malformed or non-object `query_json`, a query outside the
/// grammar, an empty `entity` or `project`, or one containing `/`, give
/// `WEAVE_STATUS_INVALID_ARGUMENT`. On success `*out` is an owned handle, freed with
/// `weave_feedback_query_free`. The strings are copied; `client` may be freed afterwards.
#[no_mangle]
#[must_use]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn weave_feedback_query_new(
    client: *const weave_client,
    entity: *const c_char,
    project: *const c_char,
    query_json: *const c_char,
    offset: i64,
    limit: i64,
    show_refs: bool,
    out: *mut *mut weave_feedback_query,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_new", out_error, {
        // SAFETY: NULL or a live client (shareable across threads).
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: NULL or NUL-terminated strings.
        let entity = unsafe { arg_str(entity, "entity") }?;
        // SAFETY: as above.
        let project = unsafe { arg_str(project, "project") }?;
        // SAFETY: as above.
        let query_json = unsafe { opt_str(query_json, "query_json") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        let filter = query_json.map(Query::from_json).transpose()?;
        let query = FeedbackQuery::new(&client.client, entity, project)?
            .with_query(filter)
            .with_offset(optional_count(offset))
            .with_limit(optional_count(limit))
            .with_show_refs(show_refs);
        out.set(into_handle(weave_feedback_query {
            query: Mutex::new(query),
        }));
        Ok(())
    })
}

/// The rows, fetched on the first call and then served from the query's cache. `*out` is a
/// new owned handle, freed with `weave_feedbacks_free`; it shares the (immutable) rows with
/// the cache and stays valid after the query is freed. Network call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_execute(
    query: *mut weave_feedback_query,
    out: *mut *mut weave_feedbacks,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_execute", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        set_feedbacks(out, locked(&query.query).execute()?);
        Ok(())
    })
}

/// Fetches the rows now (always a request) and makes them the cached result; on failure the
/// cache is kept. `*out` is a new owned handle, as for `weave_feedback_query_execute`.
/// Network call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_refresh(
    query: *mut weave_feedback_query,
    out: *mut *mut weave_feedbacks,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_refresh", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        set_feedbacks(out, locked(&query.query).refresh()?);
        Ok(())
    })
}

/// The distinct refs of the rows, in first-seen order (fetching the rows if not cached yet).
/// `*out` is a new owned handle, freed with `weave_refs_free`. May block (network call).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_refs(
    query: *mut weave_feedback_query,
    out: *mut *mut weave_refs,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_refs", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        out.set(weave_refs::new_handle(&locked(&query.query).refs()?));
        Ok(())
    })
}

/// Frees a query. Does nothing when `query` is NULL. Results it returned stay valid.
#[no_mangle]
pub unsafe extern "C" fn weave_feedback_query_free(query: *mut weave_feedback_query) {
    ffi_value!((), {
        // SAFETY: NULL or a handle from `weave_feedback_query_new`, freed once.
        unsafe { free_handle(query) }
    })
}
