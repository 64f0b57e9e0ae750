//! Arguments in (handles, strings, JSON, out-parameters) and strings out: the checks every
//! export makes on what C hands it, so a NULL or a bad string is an error, never a crash.

use std::ffi::{c_char, CStr, CString};

use super::handles::{registry, Handle};
use crate::error::{Error, Result};

fn null_arg(what: &str) -> Error {
    Error::InvalidArgument(format!("{what} must not be NULL"))
}

/// A required handle argument.
///
/// # Safety
/// `p` is NULL or points to a live `T` not mutated during `'a`.
pub(crate) unsafe fn arg_ref<'a, T: Handle>(p: *const T, what: &str) -> Result<&'a T> {
    if p.is_null() {
        return Err(null_arg(what));
    }
    if !registry::is_live(p) {
        return Err(not_live(what));
    }
    // SAFETY: per this function's contract; the registry says `p` was made by `into_handle`
    // and not freed since.
    Ok(unsafe { &*p })
}

/// A required pointer into a handle (a `weave_feedback` row): NULL-checked only.
///
/// # Safety
/// `p` is NULL or points to a live `T` not mutated during `'a`.
pub(crate) unsafe fn arg_borrowed<'a, T>(p: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: per this function's contract.
    unsafe { p.as_ref() }.ok_or_else(|| null_arg(what))
}

/// A handle for functions that return no status: `None` when NULL or not live.
///
/// # Safety
/// As for [`arg_ref`].
pub(crate) unsafe fn live_ref<'a, T: Handle>(p: *const T) -> Option<&'a T> {
    if p.is_null() || !registry::is_live(p) {
        return None;
    }
    // SAFETY: as in `arg_ref`.
    Some(unsafe { &*p })
}

fn not_live(what: &str) -> Error {
    Error::InvalidArgument(format!(
        "{what} is not a live handle of this library (freed already, or never made by it)"
    ))
}

/// A required handle argument used exclusively for the call.
///
/// # Safety
/// `p` is NULL or points to a live `T` not accessed elsewhere during `'a`.
pub(crate) unsafe fn arg_mut<'a, T: Handle>(p: *mut T, what: &str) -> Result<&'a mut T> {
    if p.is_null() {
        return Err(null_arg(what));
    }
    if !registry::is_live(p) {
        return Err(not_live(what));
    }
    // SAFETY: per this function's contract, as in `arg_ref`.
    Ok(unsafe { &mut *p })
}

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for reads during `'a`.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, what: &str) -> Result<&'a str> {
    // SAFETY: per this function's contract.
    unsafe { opt_str(p, what) }?.ok_or_else(|| null_arg(what))
}

/// An optional NUL-terminated UTF-8 string argument (NULL gives `None`).
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for reads during `'a`.
pub(crate) unsafe fn opt_str<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, and NUL-terminated and readable per this function's contract.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    std::str::from_utf8(bytes)
        .map(Some)
        .map_err(|e| Error::InvalidArgument(format!("{what} is not valid UTF-8: {e}")))
}

/// An out-parameter checked to be non-NULL, written only once the call has succeeded.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// A required out-parameter.
    ///
    /// # Safety
    /// `p` is NULL or valid for writing a `T` until the call returns.
    pub(crate) unsafe fn required(p: *mut T, what: &str) -> Result<Out<T>> {
        if p.is_null() {
            Err(null_arg(what))
        } else {
            Ok(Out(p))
        }
    }

    /// An optional out-parameter (NULL: the caller does not want the value).
    ///
    /// # Safety
    /// As [`Out::required`].
    pub(crate) unsafe fn optional(p: *mut T) -> Option<Out<T>> {
        (!p.is_null()).then_some(Out(p))
    }

    /// Writes the value (without reading or dropping what was there).
    pub(crate) fn set(self, value: T) {
        // SAFETY: `self.0` is non-NULL and valid for a write per the constructors' contracts.
        unsafe { self.0.write(value) }
    }
}

// ------------------------------------------------------------------------- strings out

/// Text as a C string. C strings cannot hold U+0000, so each NUL character (possible in
/// server data) becomes U+FFFD; the `_to_json` functions give the exact text.
pub(crate) fn c_string(text: impl Into<String>) -> CString {
    let text = text.into();
    let text = if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    };
    CString::new(text).unwrap_or_default()
}

/// Text as an owned `char *` for an out-parameter, freed with `weave_string_free`.
pub(crate) fn owned_c_string(text: impl Into<String>) -> *mut c_char {
    c_string(text).into_raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_in_text_becomes_replacement_character() {
        assert_eq!(c_string("a\0b").to_str().unwrap(), "a\u{FFFD}b");
    }
}
