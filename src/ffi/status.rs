//! `weave_status`: the C view of [`ErrorKind`], with fixed values, and its descriptions.

use std::ffi::{c_char, c_int, CStr};

use crate::error::ErrorKind;

/// The status every fallible function returns. The values are fixed: hosts hard-code them.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum weave_status {
    /// Success; `*out_error` is NULL and the out-parameters are written.
    Ok = 0,
    /// An argument was unusable before anything was sent: NULL where not allowed, invalid
    /// UTF-8, malformed JSON, JSON of the wrong shape, an empty or invalid name or URL.
    InvalidArgument = 1,
    /// A string is not a `weave:///` ref, or is the wrong kind of ref.
    InvalidRef = 2,
    /// The feedback breaks a rule known on the client (reserved `wandb.` type, note length,
    /// payload size, ...); nothing was sent.
    InvalidFeedback = 3,
    /// The server refused the credentials (HTTP 401 or 403).
    Unauthorized = 4,
    /// The server answered 404: a missing object, project or route.
    NotFound = 5,
    /// The server refused the request (any other 4xx); the message carries its reason.
    Rejected = 6,
    /// The server kept answering 429 until the retries ran out.
    RateLimited = 7,
    /// The server kept answering 5xx until the retries ran out.
    Server = 8,
    /// The connection failed (connect, DNS, TLS, reset, closed without an answer).
    Transport = 9,
    /// An attempt exceeded its timeout, or the whole call its deadline.
    Timeout = 10,
    /// The server answered 2xx with a body that is not what the protocol promises.
    Decode = 11,
    /// A bug in this library, for example a caught panic.
    Internal = 12,
    /// The client's outbox holds its maximum number of rows: the add was not queued, and
    /// nothing queued before it was lost.
    OutboxFull = 13,
}

mod status_arg {
    // A status coming in from C is read as a plain integer: a C caller may pass any value of
    // the enum's underlying type, and an out-of-range value in a Rust enum would be undefined
    // behaviour. cbindgen names types by their last path segment, so with the alias itself
    // ignored, a parameter of this type is declared as `enum weave_status` in the header, just
    // like the return values.
    /// cbindgen:ignore
    #[allow(non_camel_case_types)]
    pub type weave_status = std::ffi::c_int;
}

/// A static, never-freed, human-readable description of `status`, for logs. A value that is
/// not a `weave_status` gets a generic text (never NULL, never a crash).
#[no_mangle]
pub extern "C" fn weave_status_str(status: status_arg::weave_status) -> *const c_char {
    ffi_value!(c"unknown weave_status value".as_ptr(), {
        status_text(status).as_ptr()
    })
}

macro_rules! status_mapping {
    ($(($kind:ident, $code:literal, $text:literal)),* $(,)?) => {
        /// The one mapping from the core's error classification to the C status (generated
        /// from the table in `crate::error`: a kind and its status share their name).
        pub fn status_of(kind: ErrorKind) -> weave_status {
            match kind {
                $(ErrorKind::$kind => weave_status::$kind,)*
            }
        }

        fn status_text(status: c_int) -> &'static CStr {
            match status {
                0 => c"ok",
                $($code => const {
                    match CStr::from_bytes_with_nul(concat!($text, "\0").as_bytes()) {
                        Ok(s) => s,
                        Err(_) => panic!("a status text contains a NUL byte"),
                    }
                },)*
                _ => c"unknown weave_status value",
            }
        }

        /// The C enum above is written out for cbindgen (which does not expand macros); this
        /// keeps its values equal to the table's.
        #[cfg(test)]
        const TABLE: &[(weave_status, c_int)] = &[$((weave_status::$kind, $code)),*];
    };
}

crate::with_error_kinds!(status_mapping);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_values_are_fixed() {
        assert_eq!(weave_status::Ok as c_int, 0);
        assert_eq!(TABLE.len(), ErrorKind::ALL.len());
        for (&(status, value), &kind) in TABLE.iter().zip(ErrorKind::ALL) {
            assert_eq!(status as c_int, value);
            assert_eq!(kind.code(), value);
            assert_eq!(status_of(kind), status);
            // SAFETY: static strings.
            let text = unsafe { CStr::from_ptr(weave_status_str(value)) };
            assert_eq!(text.to_str().unwrap(), kind.description());
        }
        for bad in [-1, 14, c_int::MAX, c_int::MIN] {
            // SAFETY: static strings.
            let text = unsafe { CStr::from_ptr(weave_status_str(bad)) };
            assert_eq!(text.to_str().unwrap(), "unknown weave_status value");
        }
    }
}
