//! The error object C receives: status, message, HTTP status, attempts and the feedback ids of
//! a failed write, with its getters. Built without aborting when memory is short.

use std::ffi::{c_char, CStr, CString};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use super::args::c_string;
use super::boundary::drop_payload;
use super::fallible::{try_box, FallibleText};
use super::status::{status_of, weave_status};
use crate::error::Error;

/// An error: a status, a UTF-8 message, the HTTP status behind it and the number of attempts.
/// Owned by the caller, freed with `weave_error_free`. Immutable: may be read from any number
/// of threads at once.
pub struct weave_error {
    pub(crate) status: weave_status,
    http_status: u16,
    attempts: u32,
    message: Message,
    /// The ids a failed write used (`Error::feedback_ids`), in item order.
    feedback_ids: Vec<CString>,
}

enum Message {
    Owned(CString),
    Static(&'static CStr),
}

/// Handed out when an error object cannot be built (allocation failed, or building it
/// panicked). `weave_error_free` recognises it and does not free it.
static FALLBACK_ERROR: weave_error = weave_error {
    status: weave_status::Internal,
    http_status: 0,
    attempts: 0,
    message: Message::Static(
        c"internal error: the library could not build an error object (out of memory?)",
    ),
    feedback_ids: Vec::new(),
};

impl weave_error {
    fn message(&self) -> &CStr {
        match &self.message {
            Message::Owned(s) => s,
            Message::Static(s) => s,
        }
    }
}

/// Builds an owned error object for `err`, or returns the static fallback.
pub(crate) fn error_object(err: &Error) -> *mut weave_error {
    let built = catch_unwind(AssertUnwindSafe(|| {
        let mut text = FallibleText(String::new());
        write!(text, "{err}").ok()?;
        text.0.try_reserve(1).ok()?;
        let mut feedback_ids = Vec::new();
        feedback_ids
            .try_reserve_exact(err.feedback_ids().len())
            .ok()?;
        feedback_ids.extend(err.feedback_ids().iter().map(|id| c_string(id.clone())));
        let obj = weave_error {
            status: status_of(err.kind()),
            http_status: err.http_status().unwrap_or(0),
            attempts: err.attempts().unwrap_or(0),
            message: Message::Owned(c_string(text.0)),
            feedback_ids,
        };
        try_box(obj).map(Box::into_raw)
    }));
    match built {
        Ok(Some(p)) => p,
        Ok(None) => fallback_error(),
        Err(payload) => {
            drop_payload(payload);
            fallback_error()
        }
    }
}

fn fallback_error() -> *mut weave_error {
    // Never written through: every function taking a `weave_error` only reads it, and
    // `weave_error_free` skips it.
    ptr::addr_of!(FALLBACK_ERROR).cast_mut()
}

/// The status of `error`; `WEAVE_STATUS_OK` when `error` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_error_status(error: *const weave_error) -> weave_status {
    ffi_value!(weave_status::Internal, {
        // SAFETY: the caller passes NULL or a live error from this library.
        match unsafe { error.as_ref() } {
            Some(e) => e.status,
            None => weave_status::Ok,
        }
    })
}

/// The error's message: UTF-8, NUL-terminated, borrowed from `error` (valid until
/// `weave_error_free`). NULL when `error` is NULL. The message never contains the API key.
#[no_mangle]
pub unsafe extern "C" fn weave_error_message(error: *const weave_error) -> *const c_char {
    ffi_value!(ptr::null(), {
        // SAFETY: the caller passes NULL or a live error from this library.
        match unsafe { error.as_ref() } {
            Some(e) => e.message().as_ptr(),
            None => ptr::null(),
        }
    })
}

/// The HTTP status of the (last) response behind the error: 401, 404, 429, 503, ...; 0 when
/// there was no HTTP response (client-side checks, connection failures) or `error` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_error_http_status(error: *const weave_error) -> u16 {
    ffi_value!(0, {
        // SAFETY: the caller passes NULL or a live error from this library.
        unsafe { error.as_ref() }.map_or(0, |e| e.http_status)
    })
}

/// How many HTTP attempts were made, the first included, for errors that come from the server
/// or the network (`UNAUTHORIZED`, `NOT_FOUND`, `REJECTED`, `RATE_LIMITED`, `SERVER`,
/// `TRANSPORT`, `TIMEOUT`); 0 for client-side errors, `DECODE`, `INTERNAL`, and when `error`
/// is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_error_attempts(error: *const weave_error) -> u32 {
    ffi_value!(0, {
        // SAFETY: the caller passes NULL or a live error from this library.
        unsafe { error.as_ref() }.map_or(0, |e| e.attempts)
    })
}

/// The feedback id a failed add, batch or replace used (for a batch: its first item's id),
/// borrowed from `error`; NULL when there is none (reads, client-side errors) or `error` is
/// NULL.
///
/// After `SERVER`, `TRANSPORT`, `TIMEOUT`, `RATE_LIMITED` or `DECODE` the write may or may not
/// be stored: look this id up before sending the same feedback again. After `REJECTED`,
/// `NOT_FOUND` or `UNAUTHORIZED` the server stored nothing for the call.
#[no_mangle]
pub unsafe extern "C" fn weave_error_feedback_id(error: *const weave_error) -> *const c_char {
    // SAFETY: the caller passes NULL or a live error from this library.
    unsafe { weave_error_feedback_id_at(error, 0) }
}

/// How many feedback ids `error` carries: 1 for a failed add or replace, one per item for a
/// failed batch, 0 otherwise (and when `error` is NULL).
#[no_mangle]
pub unsafe extern "C" fn weave_error_feedback_id_count(error: *const weave_error) -> usize {
    ffi_value!(0, {
        // SAFETY: the caller passes NULL or a live error from this library.
        unsafe { error.as_ref() }.map_or(0, |e| e.feedback_ids.len())
    })
}

/// Feedback id `index` of `error` (batch item order), borrowed from `error`; NULL past the end
/// or when `error` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_error_feedback_id_at(
    error: *const weave_error,
    index: usize,
) -> *const c_char {
    ffi_value!(ptr::null(), {
        // SAFETY: the caller passes NULL or a live error from this library.
        unsafe { error.as_ref() }
            .and_then(|e| e.feedback_ids.get(index))
            .map_or(ptr::null(), |id| id.as_ptr())
    })
}

/// Frees an error. Does nothing when `error` is NULL.
#[no_mangle]
pub unsafe extern "C" fn weave_error_free(error: *mut weave_error) {
    ffi_value!((), {
        if !error.is_null() && !ptr::eq(error, fallback_error()) {
            // SAFETY: a non-NULL error other than the static fallback was made by
            // `error_object` with `Box::into_raw`, and the caller frees it once.
            drop(unsafe { Box::from_raw(error) });
        }
    })
}

/// Frees a string this library returned through a `char **` out-parameter. Does nothing when
/// `string` is NULL. Never pass it memory from another allocator, nor a `const char *` that a
/// getter returned (those are borrowed from their handle).
#[no_mangle]
pub unsafe extern "C" fn weave_string_free(string: *mut c_char) {
    ffi_value!((), {
        if !string.is_null() {
            // SAFETY: owned strings are made by `CString::into_raw` (see `owned_c_string`),
            // and the caller frees each once.
            drop(unsafe { CString::from_raw(string) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;

    fn run(body: impl FnOnce() -> Result<()>) -> (weave_status, *mut weave_error) {
        let mut err: *mut weave_error = ptr::null_mut();
        let status = ffi_status!("test_export", &mut err, { body() });
        (status, err)
    }

    fn message(e: *const weave_error) -> String {
        // SAFETY: a live error.
        unsafe { CStr::from_ptr(weave_error_message(e)) }
            .to_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn panics_become_internal_errors() {
        let (status, err) = run(|| panic!("boom {}", 42));
        assert_eq!(status, weave_status::Internal);
        assert_eq!(
            message(err),
            "internal error: panic in test_export: boom 42"
        );
        // SAFETY: live error, freed once.
        unsafe {
            assert_eq!(weave_error_status(err), weave_status::Internal);
            weave_error_free(err);
        }
        let v = ffi_value!(7u32, {
            if v_panics() {
                panic!("no")
            }
            1u32
        });
        assert_eq!(v, 7);
    }

    fn v_panics() -> bool {
        true
    }

    #[test]
    fn errors_carry_status_http_status_and_attempts() {
        let (status, err) = run(|| {
            Err(Error::Server {
                status: 503,
                attempts: 3,
                message: "down".into(),
                feedback_ids: Vec::new(),
            })
        });
        assert_eq!(status, weave_status::Server);
        // SAFETY: live error, freed once.
        unsafe {
            assert_eq!(weave_error_http_status(err), 503);
            assert_eq!(weave_error_attempts(err), 3);
            weave_error_free(err);
        }
        let (status, err) = run(|| Ok(()));
        assert_eq!(status, weave_status::Ok);
        assert!(err.is_null());
        // No out_error: the error is freed inside.
        let status = ffi_status!("t", ptr::null_mut(), {
            Err(Error::InvalidArgument("x\0y".into()))
        });
        assert_eq!(status, weave_status::InvalidArgument);
    }

    #[test]
    fn the_fallback_error_is_never_freed() {
        let fb = fallback_error();
        // SAFETY: the fallback is static; free must skip it.
        unsafe {
            assert_eq!(weave_error_status(fb), weave_status::Internal);
            assert!(message(fb).starts_with("internal error"));
            weave_error_free(fb);
            weave_error_free(fb);
            assert_eq!(weave_error_status(ptr::null()), weave_status::Ok);
            assert!(weave_error_message(ptr::null()).is_null());
        }
    }
}
