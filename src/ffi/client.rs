//! `weave_client_options` and `weave_client`.

use std::ffi::c_char;
use std::ptr;
use std::time::Duration;

use super::{arg_mut, arg_ref, arg_str, free_handle, into_handle, Out};
use super::{weave_error, weave_status};
use crate::client::Client;
use crate::config::ClientBuilder;
use crate::error::Error;

/// Settings a client is built from: base URL, API key, timeouts, retries. Created with
/// `weave_client_options_new`, freed with `weave_client_options_free`. Not shared: use it from
/// one thread at a time.
pub struct weave_client_options {
    builder: ClientBuilder,
}

impl weave_client_options {
    pub(super) fn update(&mut self, f: impl FnOnce(ClientBuilder) -> ClientBuilder) {
        self.builder = f(std::mem::take(&mut self.builder));
    }
}

/// A configured connection to a Weave trace server (keep-alive pool included).
///
/// Thread safety: a `weave_client` may be used from any number of threads at once, as long
/// as none of them frees it while others use it. Queries made from it copy what they need:
/// they stay valid after `weave_client_free`.
pub struct weave_client {
    pub(crate) client: Client,
}

/// New options holding the defaults from the environment, as Weave's SDK resolves them:
/// `WANDB_API_KEY` (then `~/.netrc`), `WF_TRACE_SERVER_URL`, `WANDB_BASE_URL`/
/// `WANDB_PUBLIC_BASE_URL` (then the wandb settings files), `WEAVE_HTTP_TIMEOUT`,
/// `WEAVE_RETRY_MAX_ATTEMPTS`. Without any of them: `https://trace.wandb.ai`, no API key, a
/// 30 s timeout per attempt, 2 retries.
///
/// Returns an owned handle, freed with `weave_client_options_free`; NULL only if the library
/// failed internally.
#[no_mangle]
pub extern "C" fn weave_client_options_new() -> *mut weave_client_options {
    ffi_value!(ptr::null_mut(), {
        into_handle(weave_client_options {
            builder: ClientBuilder::from_env(),
        })
    })
}

/// Sets the trace server's base URL (`https://trace.wandb.ai`, `http://127.0.0.1:8080`, ...);
/// a trailing `/` is removed. The URL is checked by `weave_client_new`, which reports a bad
/// one as `WEAVE_STATUS_INVALID_ARGUMENT`. `url` is copied.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_base_url(
    options: *mut weave_client_options,
    url: *const c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_base_url", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread (header conventions).
        let options = unsafe { arg_mut(options, "options") }?;
        // SAFETY: `url` is NULL or a NUL-terminated string.
        let url = unsafe { arg_str(url, "url") }?;
        options.update(|b| b.base_url(url));
        Ok(())
    })
}

/// Sets the W&B API key, sent as HTTP Basic auth `api:<key>`. An empty string means "no key"
/// (requests then go without `Authorization`). `key` is copied; it never appears in an error
/// message.
///
/// A key is only sent over `https://`, or plain `http://` to a loopback host, unless
/// `weave_client_options_set_allow_insecure_http` allows otherwise.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_api_key(
    options: *mut weave_client_options,
    key: *const c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_api_key", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread.
        let options = unsafe { arg_mut(options, "options") }?;
        // SAFETY: `key` is NULL or a NUL-terminated string.
        let key = unsafe { arg_str(key, "key") }?;
        options.update(|b| b.api_key(key));
        Ok(())
    })
}

/// Bounds one HTTP attempt (connect, send, receive), in milliseconds; default 30000. A
/// timed-out attempt is retried like a 5xx answer. 0 is refused by `weave_client_new`
/// (`WEAVE_STATUS_INVALID_ARGUMENT`).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_timeout_ms(
    options: *mut weave_client_options,
    ms: u64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_timeout_ms", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread.
        let options = unsafe { arg_mut(options, "options") }?;
        options.update(|b| b.timeout(Duration::from_millis(ms)));
        Ok(())
    })
}

/// Sets how many times a failed attempt is retried (429, 5xx, timeouts, connection
/// failures): `n` retries means at most `n + 1` attempts; 0 means a single attempt. Default 2
/// (three attempts, as the Python SDK). Other 4xx answers are never retried.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_max_retries(
    options: *mut weave_client_options,
    n: u32,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_max_retries", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread.
        let options = unsafe { arg_mut(options, "options") }?;
        options.update(|b| b.max_retries(n));
        Ok(())
    })
}

/// Bounds a whole call, retries and backoff sleeps included, in milliseconds; 0 (the
/// default) means no deadline, so only the per-attempt timeout and the retry count bound a
/// call. A call that runs out of time fails with `WEAVE_STATUS_TIMEOUT`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_deadline_ms(
    options: *mut weave_client_options,
    ms: u64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_deadline_ms", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread.
        let options = unsafe { arg_mut(options, "options") }?;
        let deadline = (ms > 0).then(|| Duration::from_millis(ms));
        options.update(|b| b.deadline(deadline));
        Ok(())
    })
}

/// Sets the first backoff step between retries, in milliseconds (default 500); each later
/// step doubles it, with full jitter. A server's `Retry-After` is honoured instead, up to
/// 30 s. Small values make tests of the retry loop fast.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_retry_base_delay_ms(
    options: *mut weave_client_options,
    ms: u64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_retry_base_delay_ms", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread.
        let options = unsafe { arg_mut(options, "options") }?;
        options.update(|b| b.retry_base_delay(Duration::from_millis(ms)));
        Ok(())
    })
}

/// Caps the size of one answer from the server, in bytes, counted after decompression
/// (default 64 MiB). A larger successful answer fails with `WEAVE_STATUS_DECODE` and a message
/// naming the cap, and nothing beyond the cap is read; page through large query results with
/// a limit and offset instead. Decoding rows takes up to about three times the answer's size
/// in memory. 0 gives `WEAVE_STATUS_INVALID_ARGUMENT` (and leaves the options unchanged).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_max_response_bytes(
    options: *mut weave_client_options,
    bytes: u64,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_max_response_bytes", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread.
        let options = unsafe { arg_mut(options, "options") }?;
        if bytes == 0 {
            return Err(Error::InvalidArgument(
                "max_response_bytes must be positive".into(),
            ));
        }
        options.update(|b| b.max_response_bytes(bytes));
        Ok(())
    })
}

/// Allows sending the API key over plain `http://` to a host that is not loopback (off by
/// default: the key would cross the network in clear text). Without it, `weave_client_new`
/// refuses such a base URL with `WEAVE_STATUS_INVALID_ARGUMENT` when a key is set.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_options_set_allow_insecure_http(
    options: *mut weave_client_options,
    allow: bool,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_options_set_allow_insecure_http", out_error, {
        // SAFETY: `options` is NULL or a live handle used by one thread.
        let options = unsafe { arg_mut(options, "options") }?;
        options.update(|b| b.allow_insecure_http(allow));
        Ok(())
    })
}

/// Frees options. Does nothing when `options` is NULL. Clients built from them are not
/// affected (they copied what they needed).
#[no_mangle]
pub unsafe extern "C" fn weave_client_options_free(options: *mut weave_client_options) {
    ffi_value!((), {
        // SAFETY: NULL or a handle from `weave_client_options_new`, freed once.
        unsafe { free_handle(options) }
    })
}

/// Builds a client and writes it to `*out`.
///
/// `options` is optional: NULL means the defaults from the environment (as
/// `weave_client_options_new` resolves them). The options are **not** taken over: the client
/// copies what it needs, and the caller still frees `options`, whenever it likes.
///
/// Checks the settings (base URL scheme and host, a positive timeout, no API key over plain
/// `http://` to a remote host unless allowed): a bad setting gives
/// `WEAVE_STATUS_INVALID_ARGUMENT`. No request is made, and a missing API key is not an
/// error: requests then go without `Authorization`, and a server that needs one answers 401,
/// reported as `WEAVE_STATUS_UNAUTHORIZED`.
///
/// On success `*out` is an owned handle, freed with `weave_client_free`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_client_new(
    options: *const weave_client_options,
    out: *mut *mut weave_client,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_client_new", out_error, {
        // SAFETY: `out` is NULL or valid for a write.
        let out = unsafe { Out::required(out, "out") }?;
        let builder = if options.is_null() {
            ClientBuilder::from_env()
        } else {
            // SAFETY: non-NULL, a live options handle not mutated during this call.
            unsafe { arg_ref(options, "options") }?.builder.clone()
        };
        let mut client = builder.build()?;
        // The C handle reads query answers in place (see `weave_feedbacks`).
        client.scan_answers = true;
        out.set(into_handle(weave_client { client }));
        Ok(())
    })
}

/// Frees a client. Does nothing when `client` is NULL. No other thread may be using it; query
/// handles made from it stay valid.
#[no_mangle]
pub unsafe extern "C" fn weave_client_free(client: *mut weave_client) {
    ffi_value!((), {
        // SAFETY: NULL or a handle from `weave_client_new`, freed once.
        unsafe { free_handle(client) }
    })
}
