//! The panic boundary: every export's body runs inside `ffi_status!` or `ffi_value!`, so a
//! panic becomes `WEAVE_STATUS_INTERNAL` (or a default value) instead of unwinding into C,
//! and a status-returning export writes its error object in one place (`finish`).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use super::error::{error_object, weave_error, weave_error_free};
use super::status::weave_status;
use crate::error::{Error, Result};

/// Runs the body of a status-returning export: `$body` evaluates to `Result<()>`. Panics are
/// caught and reported as `WEAVE_STATUS_INTERNAL`; `*$out_error` is set to the error on
/// failure and to NULL on success.
macro_rules! ffi_status {
    ($name:literal, $out_error:expr, $body:block) => {{
        let out_error: *mut *mut $crate::ffi::weave_error = $out_error;
        let result = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> $crate::error::Result<()> { $body },
        ));
        // SAFETY: `out_error` is the caller's `weave_error **`: NULL or valid for a write.
        unsafe { $crate::ffi::finish($name, out_error, result) }
    }};
}

/// Runs the body of an export that returns a plain value (getter, length, free): a panic
/// gives `$default` instead of unwinding into C.
macro_rules! ffi_value {
    ($default:expr, $body:block) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(payload) => {
                $crate::ffi::drop_payload(payload);
                $default
            }
        }
    }};
}

/// Turns the outcome of an export's body into its status and `*out_error`.
///
/// # Safety
/// `out_error` is NULL or valid for writing one pointer.
pub(crate) unsafe fn finish(
    name: &str,
    out_error: *mut *mut weave_error,
    result: std::thread::Result<Result<()>>,
) -> weave_status {
    let (status, error) = match result {
        Ok(Ok(())) => (weave_status::Ok, ptr::null_mut()),
        Ok(Err(err)) => {
            let obj = error_object(&err);
            // SAFETY: `error_object` returns a valid pointer (possibly the fallback).
            (unsafe { (*obj).status }, obj)
        }
        Err(payload) => {
            let err = panic_error(name, &*payload);
            drop_payload(payload);
            (weave_status::Internal, error_object(&err))
        }
    };
    if out_error.is_null() {
        // SAFETY: `error` is NULL, the fallback, or an error nobody else has seen.
        unsafe { weave_error_free(error) };
    } else {
        // SAFETY: the caller guarantees `out_error` is valid for a write.
        unsafe { out_error.write(error) };
    }
    status
}

fn panic_error(name: &str, payload: &(dyn Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    Error::Internal(format!("panic in {name}: {what}"))
}

/// Drops a panic payload without letting a panicking `Drop` escape.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
        std::mem::forget(again);
    }
}
