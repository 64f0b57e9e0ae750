//! Feedback by id (`weave_client_get_feedback`) and by reaction
//! (`weave_feedback_query_set_reaction`): the Python SDK's `client.get_feedback(id | query,
//! reaction=…)`.

use std::ffi::c_char;

use super::{arg_ref, arg_str, opt_str, Out};
use super::{weave_client, weave_error, weave_feedback_query, weave_feedbacks, weave_status};
use crate::feedback::Feedbacks;

/// The feedback row with id `feedback_id` in `entity/project` (the Python SDK's
/// `client.get_feedback(id)`), as a one-row list with the Ref column shown, as the SDK shows
/// it. No such row gives `WEAVE_STATUS_NOT_FOUND` (with `weave_error_http_status` 0: the
/// server answered, with no row); an empty id or project part gives
/// `WEAVE_STATUS_INVALID_ARGUMENT`. On success `*out` is an owned handle, freed with
/// `weave_feedbacks_free`. One request. Network call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_get_feedback(
    client: *const weave_client,
    entity: *const c_char,
    project: *const c_char,
    feedback_id: *const c_char,
    out: *mut *mut weave_feedbacks,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_get_feedback", out_error, {
        // SAFETY: NULL or a live client (shareable across threads).
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: NULL or NUL-terminated strings.
        let entity = unsafe { arg_str(entity, "entity") }?;
        // SAFETY: as above.
        let project = unsafe { arg_str(project, "project") }?;
        // SAFETY: as above.
        let feedback_id = unsafe { arg_str(feedback_id, "feedback_id") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        let row = client.client.get_feedback(entity, project, feedback_id)?;
        out.set(weave_feedbacks::new_handle(Feedbacks::new(vec![row], true)));
        Ok(())
    })
}

/// Keeps only reactions with exactly this emoji, on top of the query's filter (the Python
/// SDK's `get_feedback(reaction=…)`, which also sets offset 0, limit 100 and the Ref column:
/// set those with `weave_feedback_query_new` or the `_set_` functions). NULL or `""` removes
/// the reaction filter. Clears the query's cache.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_feedback_query_set_reaction(
    query: *mut weave_feedback_query,
    emoji: *const c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_feedback_query_set_reaction", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let emoji = unsafe { opt_str(emoji, "emoji") }?;
        query.with_query(|q| q.set_reaction(emoji.map(str::to_string)));
        Ok(())
    })
}
