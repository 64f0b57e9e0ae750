//! `weave_ref_feedback_query`: the feedback on one ref (the SDK's `RefFeedbackQuery`): query
//! it, add to it (one item, a note, a reaction, a scorer result, a batch), replace, purge.

use std::ffi::c_char;
use std::sync::Mutex;

use super::query::{locked, set_feedbacks, set_id};
use super::{arg_ref, arg_str, free_handle, into_handle};
use super::{opt_str, Out};
use super::{weave_client, weave_error, weave_feedbacks, weave_refs, weave_status};
use serde_json::Map;

use crate::feedback::Refs;
use crate::{NewFeedback, RefFeedbackQuery};

/// Feedback on one ref (the Python SDK's `RefFeedbackQuery`): query it, add to it, purge,
/// replace. Owned by the caller, freed with `weave_ref_feedback_query_free`. Usable from any
/// thread; calls on one handle are serialised (a second caller waits for the first). It does not
/// depend on the client it was made from.
pub struct weave_ref_feedback_query {
    query: Mutex<RefFeedbackQuery>,
}

impl weave_ref_feedback_query {
    /// Runs `f` on the query, holding its lock.
    pub(crate) fn with_query<R>(&self, f: impl FnOnce(&mut RefFeedbackQuery) -> R) -> R {
        f(&mut locked(&self.query))
    }
}

/// A query over the feedback on one ref: a call (`weave:///entity/project/call/<id>`), an
/// object or op version (`weave:///entity/project/object/<name>:<digest>`), or a table row.
/// Nothing is fetched yet.
///
/// A string that is not a valid `weave:///` ref, or a ref of a kind that takes no feedback,
/// gives `WEAVE_STATUS_INVALID_REF`. On success `*out` is an owned handle, freed with
/// `weave_ref_feedback_query_free`. `client` may be freed afterwards.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_new(
    client: *const weave_client,
    weave_ref: *const c_char,
    out: *mut *mut weave_ref_feedback_query,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_new", out_error, {
        // SAFETY: NULL or a live client (shareable across threads).
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let weave_ref = unsafe { arg_str(weave_ref, "ref") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        let query = RefFeedbackQuery::new(&client.client, weave_ref)?;
        out.set(into_handle(weave_ref_feedback_query {
            query: Mutex::new(query),
        }));
        Ok(())
    })
}

/// Adds feedback of any type to the ref: the Python SDK's `add(feedback_type, payload)`.
///
/// - `feedback_type`: a custom type (`"helpfulness"`), or `wandb.annotation.<name>` together
///   with `annotation_ref`. Other types starting with `wandb.` are reserved:
///   `WEAVE_STATUS_INVALID_FEEDBACK`.
/// - `payload_json` (optional): a JSON object; NULL means `{}`. Valid JSON that is not an
///   object gives `WEAVE_STATUS_INVALID_ARGUMENT`, and so does a number no double can hold
///   (`1e400`). It is sent exactly as written: integers beyond 64 bits keep every digit.
/// - `creator` (optional): a display name; an empty string is sent as given.
/// - `annotation_ref` (optional): the annotation spec's object ref; an empty string means
///   absent, as in the SDK.
/// - `out_id` (optional): receives the new row's id, an owned string freed with
///   `weave_string_free`.
///
/// The id is generated on the client, so retries never store the row twice. Clears the
/// query's cache on success. Network call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_add(
    query: *mut weave_ref_feedback_query,
    feedback_type: *const c_char,
    payload_json: *const c_char,
    creator: *const c_char,
    annotation_ref: *const c_char,
    out_id: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_add", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or NUL-terminated strings.
        let feedback_type = unsafe { arg_str(feedback_type, "feedback_type") }?;
        // SAFETY: as above.
        let payload = unsafe { opt_str(payload_json, "payload_json") }?;
        // SAFETY: as above.
        let creator = unsafe { opt_str(creator, "creator") }?;
        // SAFETY: as above.
        let annotation_ref = unsafe { opt_str(annotation_ref, "annotation_ref") }?;
        // SAFETY: NULL or valid for a write.
        let out_id = unsafe { Out::optional(out_id) };
        let feedback = with_payload(NewFeedback::custom(feedback_type, Map::new()), payload)?
            .creator(creator)
            .annotation_ref(annotation_ref);
        set_id(out_id, locked(&query.query).add(feedback)?);
        Ok(())
    })
}

/// `feedback` with the payload given as JSON text (sent exactly as written), or as it is
/// (`{}`) for NULL.
fn with_payload(feedback: NewFeedback, payload_json: Option<&str>) -> crate::Result<NewFeedback> {
    match payload_json {
        Some(text) => feedback.with_payload_text(text, "payload_json"),
        None => Ok(feedback),
    }
}

/// Adds a scorer's result, as the Python SDK's `apply_scorer` stores it: type
/// `wandb.runnable.<name>` after the scorer's name, payload `{"output": <output_json>}`.
///
/// - `runnable_ref`: the scorer, an op (`weave:///e/p/op/<name>:<digest>`) or object
///   (`weave:///e/p/object/<name>:<digest>`) version ref.
/// - `output_json`: any JSON value (not only an object), sent exactly as written; malformed
///   JSON gives `WEAVE_STATUS_INVALID_ARGUMENT`.
/// - `call_ref` (optional): the call that ran the scorer; required for an op scorer.
/// - `trigger_ref` (optional): the monitor (an object version ref) that triggered it.
/// - `creator` and `out_id` (optional): as for `weave_ref_feedback_query_add`.
///
/// Empty optional strings mean absent. The server's rules for runnable feedback are checked
/// first, with its messages: a ref of the wrong kind or without a version gives
/// `WEAVE_STATUS_INVALID_REF`, a scorer named unlike the type, an op scorer without
/// `call_ref` `WEAVE_STATUS_INVALID_FEEDBACK`. Other fields (`queue_id`) go through
/// `weave_ref_feedback_query_add_batch`. Clears the cache on success. Network call: blocks.
#[no_mangle]
#[must_use]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn weave_ref_feedback_query_add_runnable(
    query: *mut weave_ref_feedback_query,
    runnable_ref: *const c_char,
    output_json: *const c_char,
    call_ref: *const c_char,
    trigger_ref: *const c_char,
    creator: *const c_char,
    out_id: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_add_runnable", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or NUL-terminated strings.
        let runnable_ref = unsafe { arg_str(runnable_ref, "runnable_ref") }?;
        // SAFETY: as above.
        let output = unsafe { arg_str(output_json, "output_json") }?;
        // SAFETY: as above.
        let call_ref = unsafe { opt_str(call_ref, "call_ref") }?;
        // SAFETY: as above.
        let trigger_ref = unsafe { opt_str(trigger_ref, "trigger_ref") }?;
        // SAFETY: as above.
        let creator = unsafe { opt_str(creator, "creator") }?;
        // SAFETY: NULL or valid for a write.
        let out_id = unsafe { Out::optional(out_id) };
        let feedback = NewFeedback::runnable_json(runnable_ref, output)?
            .call_ref(call_ref)
            .trigger_ref(trigger_ref)
            .creator(creator);
        set_id(out_id, locked(&query.query).add(feedback)?);
        Ok(())
    })
}

/// Adds a note (`wandb.note.1`, payload `{"note": note}`): 1 to 1024 characters, otherwise
/// `WEAVE_STATUS_INVALID_FEEDBACK`. `creator` and `out_id` are optional, as for
/// `weave_ref_feedback_query_add`. Clears the cache on success. Network call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_add_note(
    query: *mut weave_ref_feedback_query,
    note: *const c_char,
    creator: *const c_char,
    out_id: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_add_note", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or NUL-terminated strings.
        let note = unsafe { arg_str(note, "note") }?;
        // SAFETY: as above.
        let creator = unsafe { opt_str(creator, "creator") }?;
        // SAFETY: NULL or valid for a write.
        let out_id = unsafe { Out::optional(out_id) };
        set_id(out_id, locked(&query.query).add_note(note, creator)?);
        Ok(())
    })
}

/// Adds an emoji reaction (`wandb.reaction.1`, payload `{"emoji": emoji}`): exactly one emoji,
/// otherwise `WEAVE_STATUS_INVALID_FEEDBACK` (or `WEAVE_STATUS_REJECTED` when only the server
/// can tell). `creator` and `out_id` are optional, as for `weave_ref_feedback_query_add`.
/// Clears the cache on success. Network call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_add_reaction(
    query: *mut weave_ref_feedback_query,
    emoji: *const c_char,
    creator: *const c_char,
    out_id: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_add_reaction", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or NUL-terminated strings.
        let emoji = unsafe { arg_str(emoji, "emoji") }?;
        // SAFETY: as above.
        let creator = unsafe { opt_str(creator, "creator") }?;
        // SAFETY: NULL or valid for a write.
        let out_id = unsafe { Out::optional(out_id) };
        set_id(out_id, locked(&query.query).add_reaction(emoji, creator)?);
        Ok(())
    })
}

/// Adds many rows in one request (`/feedback/batch/create`). `items_json` is a JSON array of
/// objects `{"feedback_type": string, "payload": object?, "creator": string?,
/// "annotation_ref": string?, "runnable_ref": string?, "call_ref": string?,
/// "trigger_ref": string?, "queue_id": string?, "id": string?}` (a `wandb.runnable.<name>`
/// item follows the rules of `weave_ref_feedback_query_add_runnable`; the three refs only on
/// such items); unknown keys are refused, and each item follows
/// the rules of its type (notes and reactions as in `weave_ref_feedback_query_add_note` and
/// `_add_reaction`, other types as in `weave_ref_feedback_query_add`).
///
/// Every item is checked before anything is sent: one bad item fails the whole call
/// (`WEAVE_STATUS_INVALID_ARGUMENT`/`_INVALID_FEEDBACK`/`_INVALID_REF`, the message naming the
/// item). Large batches are split; retries never store an item twice; when the server refuses
/// the batch nothing of it stays stored, and the error carries every item's id
/// (`weave_error_feedback_id_count`/`_at`). `out_ids` (optional)
/// receives the new rows' ids in item order, as an owned `weave_refs` freed with
/// `weave_refs_free`. An empty array sends nothing. Clears the cache on success. Network
/// call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_add_batch(
    query: *mut weave_ref_feedback_query,
    items_json: *const c_char,
    out_ids: *mut *mut weave_refs,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_add_batch", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let items_json = unsafe { arg_str(items_json, "items_json") }?;
        // SAFETY: NULL or valid for a write.
        let out_ids = unsafe { Out::optional(out_ids) };
        let items = NewFeedback::list_from_json(items_json)?;
        let ids = locked(&query.query).add_batch(items)?;
        if let Some(out) = out_ids {
            out.set(weave_refs::new_handle(&Refs::new(ids)));
        }
        Ok(())
    })
}

/// Replaces the row `feedback_id` with new feedback (`/feedback/replace`), keeping its id.
///
/// `feedback_type` follows the rules of its type (`wandb.note.1` and `wandb.reaction.1` as
/// notes and reactions, others as in `weave_ref_feedback_query_add`); `payload_json` (NULL
/// means `{}`), `creator` and `annotation_ref` are optional, as for
/// `weave_ref_feedback_query_add`. The server deletes the old row before it validates the new
/// one, so the library checks every rule it can first, reads the old row before sending, and,
/// when the replace fails after the server deleted the old row, writes it back with its id and
/// content (the message says so). `WEAVE_STATUS_OK` means the new content is stored once.
/// `out_id` (optional) receives the row's id (equal to `feedback_id`), an owned string freed
/// with `weave_string_free`. Clears the cache on success. Network call: blocks.
#[no_mangle]
#[must_use]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn weave_ref_feedback_query_replace(
    query: *mut weave_ref_feedback_query,
    feedback_id: *const c_char,
    feedback_type: *const c_char,
    payload_json: *const c_char,
    creator: *const c_char,
    annotation_ref: *const c_char,
    out_id: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_replace", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or NUL-terminated strings.
        let feedback_id = unsafe { arg_str(feedback_id, "feedback_id") }?;
        // SAFETY: as above.
        let feedback_type = unsafe { arg_str(feedback_type, "feedback_type") }?;
        // SAFETY: as above.
        let payload = unsafe { opt_str(payload_json, "payload_json") }?;
        // SAFETY: as above.
        let creator = unsafe { opt_str(creator, "creator") }?;
        // SAFETY: as above.
        let annotation_ref = unsafe { opt_str(annotation_ref, "annotation_ref") }?;
        // SAFETY: NULL or valid for a write.
        let out_id = unsafe { Out::optional(out_id) };
        let feedback = with_payload(NewFeedback::of_type(feedback_type, Map::new()), payload)?
            .creator(creator)
            .annotation_ref(annotation_ref);
        set_id(out_id, locked(&query.query).replace(feedback_id, feedback)?);
        Ok(())
    })
}

/// Deletes the row with id `feedback_id` **anywhere in the ref's project** (as the Python SDK
/// does). Deleting an id that does not exist succeeds; an empty id gives
/// `WEAVE_STATUS_INVALID_ARGUMENT`. Clears the cache on success. Network call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_purge(
    query: *mut weave_ref_feedback_query,
    feedback_id: *const c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_purge", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let feedback_id = unsafe { arg_str(feedback_id, "feedback_id") }?;
        locked(&query.query).purge(feedback_id)?;
        Ok(())
    })
}

/// The rows on this ref, fetched on the first call (and after any add, purge or replace) and
/// otherwise served from the cache. `*out` is a new owned handle, freed with
/// `weave_feedbacks_free`; it stays valid after the query is freed. May block (network call).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_execute(
    query: *mut weave_ref_feedback_query,
    out: *mut *mut weave_feedbacks,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_execute", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        set_feedbacks(out, locked(&query.query).execute()?);
        Ok(())
    })
}

/// Fetches the rows on this ref now and makes them the cached result (on failure the cache is
/// kept). `*out` is a new owned handle, as for `weave_ref_feedback_query_execute`. Network
/// call: blocks.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_refresh(
    query: *mut weave_ref_feedback_query,
    out: *mut *mut weave_feedbacks,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_refresh", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        set_feedbacks(out, locked(&query.query).refresh()?);
        Ok(())
    })
}

/// The distinct refs of the rows (this ref, when there are any rows), fetching them if not
/// cached. `*out` is a new owned handle, freed with `weave_refs_free`. May block.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_feedback_query_refs(
    query: *mut weave_ref_feedback_query,
    out: *mut *mut weave_refs,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_feedback_query_refs", out_error, {
        // SAFETY: NULL or a live handle; its lock serialises calls.
        let query = unsafe { arg_ref(query, "query") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        out.set(weave_refs::new_handle(&locked(&query.query).refs()?));
        Ok(())
    })
}

/// Frees a ref query. Does nothing when `query` is NULL. Results it returned stay valid.
#[no_mangle]
pub unsafe extern "C" fn weave_ref_feedback_query_free(query: *mut weave_ref_feedback_query) {
    ffi_value!((), {
        // SAFETY: NULL or a handle from `weave_ref_feedback_query_new`, freed once.
        unsafe { free_handle(query) }
    })
}
