//! The client's durable outbox: its options, flushing, and what it holds.

use std::ffi::c_char;
use std::time::Duration;

use super::client::{weave_client, weave_client_options};
use super::{arg_mut, arg_ref, arg_str, opt_str, owned_c_string, Out};
use super::{weave_error, weave_status};
use crate::error::Error;

/// What a client's outbox did since the client was built (`weave_client_outbox_counters`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct weave_outbox_counters {
    /// Rows this client queued.
    pub queued: u64,
    /// Rows this client saw stored on the server (sent, or found by a look-up).
    pub delivered: u64,
    /// Rows claimed again after an earlier claim that did not settle them.
    pub retried: u64,
    /// Rows this client moved to the dead letters.
    pub dead: u64,
}

/// Queue every add durably in the SQLite file `path` (created if missing, with its directory)
/// before sending it. With an outbox, `add`, `add_note`, `add_reaction` and `add_batch` check
/// the feedback as always, commit it to the file, try once to send it within the call's
/// deadline, and return `WEAVE_STATUS_OK` with the ids whether or not the server took it;
/// what was not delivered stays queued for `weave_client_flush` (this process or any other
/// sharing the file). A file that cannot be opened fails `weave_client_new`
/// (`WEAVE_STATUS_INVALID_ARGUMENT`). `path` is copied.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_outbox_path(
    options: *mut weave_client_options,
    path: *const c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_outbox_path", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread.
        let options = unsafe { arg_mut(options, "options") }?;
        // SAFETY: `path` is NULL or a NUL-terminated string.
        let path = unsafe { arg_str(path, "path") }?;
        options.update(|b| b.outbox(path));
        Ok(())
    })
}

/// The most rows the outbox holds (default 100000). An add that would go over fails with
/// `WEAVE_STATUS_OUTBOX_FULL` and queues nothing; nothing queued is ever dropped. 0 is
/// refused by `weave_client_new`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_outbox_max_rows(
    options: *mut weave_client_options,
    rows: u64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_outbox_max_rows", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread.
        let options = unsafe { arg_mut(options, "options") }?;
        options.update(|b| b.outbox_max_rows(rows));
        Ok(())
    })
}

/// How long a claim on outbox rows lasts, in milliseconds (default 60000): rows a process
/// claimed and then died with are sent by another after this long, and each delivery is
/// bounded by four fifths of it. 0 is refused by `weave_client_new`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_outbox_lease_ms(
    options: *mut weave_client_options,
    ms: u64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_outbox_lease_ms", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread.
        let options = unsafe { arg_mut(options, "options") }?;
        options.update(|b| b.outbox_lease(Duration::from_millis(ms)));
        Ok(())
    })
}

/// Sends what the outbox holds, in batches, until nothing is left or `deadline_ms` has
/// passed (0: only counts). Returns `WEAVE_STATUS_OK` when nothing is pending,
/// `WEAVE_STATUS_TIMEOUT` when rows are left at the deadline (the message gives the last
/// failure), `WEAVE_STATUS_UNAUTHORIZED` at once on HTTP 401/403 (the rows stay queued).
/// `*out_pending` (optional: NULL) is the number of rows still queued, written whenever it
/// could be counted, also on failure. Without an outbox: `WEAVE_STATUS_OK` and 0.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_flush(
    client: *const weave_client,
    deadline_ms: u64,
    out_pending: *mut u64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_flush", out_error, {
        // SAFETY: NULL or a live handle.
        let client = &unsafe { arg_ref(client, "client") }?.client;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::optional(out_pending) };
        let flushed = client.flush(Duration::from_millis(deadline_ms));
        if let (Some(out), Ok(n)) = (out, client.outbox_pending()) {
            out.set(n);
        }
        flushed
    })
}

/// The number of rows in the outbox not yet delivered (by any process sharing it), without
/// sending anything; 0 without an outbox.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_outbox_pending(
    client: *const weave_client,
    out_pending: *mut u64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_outbox_pending", out_error, {
        // SAFETY: NULL or a live handle.
        let client = &unsafe { arg_ref(client, "client") }?.client;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out_pending, "out_pending") }?;
        out.set(client.outbox_pending()?);
        Ok(())
    })
}

/// The rows the server refused (any 4xx but 401, 403, 408 and 429), oldest first, as a JSON
/// array of `{"id", "project_id", "http_status", "reason", "failed_at_ms", "request"}`
/// (`reason` is the server's, `request` the refused create request). They are never sent
/// again. `*out_json` is an owned string, freed with `weave_string_free`; `[]` without an
/// outbox.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_outbox_dead_letters_json(
    client: *const weave_client,
    out_json: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_outbox_dead_letters_json", out_error, {
        // SAFETY: NULL or a live handle.
        let client = &unsafe { arg_ref(client, "client") }?.client;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out_json, "out_json") }?;
        let letters = client.outbox_dead_letters()?;
        let json = serde_json::Value::Array(letters.iter().map(|d| d.to_value()).collect());
        out.set(owned_c_string(json.to_string()));
        Ok(())
    })
}

/// Deletes the dead letter with feedback id `id`, or every dead letter when `id` is NULL;
/// `*out_purged` (optional: NULL) is how many were deleted.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_outbox_purge_dead_letters(
    client: *const weave_client,
    id: *const c_char,
    out_purged: *mut u64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_outbox_purge_dead_letters", out_error, {
        // SAFETY: NULL or a live handle.
        let client = &unsafe { arg_ref(client, "client") }?.client;
        // SAFETY: NULL or a NUL-terminated string.
        let id = unsafe { opt_str(id, "id") }?;
        if id == Some("") {
            return Err(Error::InvalidArgument(
                "id must be non-empty (NULL purges every dead letter)".into(),
            ));
        }
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::optional(out_purged) };
        let n = client.outbox_purge_dead_letters(id.as_slice())?;
        if let Some(out) = out {
            out.set(n);
        }
        Ok(())
    })
}

/// This client's outbox counters (all 0 without an outbox), written to `*out`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_outbox_counters(
    client: *const weave_client,
    out: *mut weave_outbox_counters,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_outbox_counters", out_error, {
        // SAFETY: NULL or a live handle.
        let client = &unsafe { arg_ref(client, "client") }?.client;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        let c = client.outbox_counters();
        out.set(weave_outbox_counters {
            queued: c.queued,
            delivered: c.delivered,
            retried: c.retried,
            dead: c.dead,
        });
        Ok(())
    })
}
