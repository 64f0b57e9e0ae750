//! The one error type of the crate, and the coarse [`ErrorKind`] every error maps to.
//!
//! Kinds map one-to-one onto the C API's `weave_status` values, so a C host and a Rust
//! caller see the same classification. Messages never contain the API key: the key only
//! lives inside the transport's `Authorization` header value, which no error formats.

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when giving or reading feedback.
///
/// Retryable failures (`RateLimited`, `Server`, `Transport`, `Timeout`) say how many attempts
/// were made and carry the last HTTP status seen, if any, so callers can tell a flaky network
/// from a server that keeps refusing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was unusable before anything was sent (empty project, bad JSON, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A string is not a `weave:///` ref the SDK accepts, or is the wrong kind of ref.
    #[error("invalid ref: {0}")]
    InvalidRef(String),

    /// The feedback breaks a rule known on the client (reserved `wandb.` prefix, note length,
    /// payload size, ...). Nothing was sent.
    #[error("invalid feedback: {0}")]
    InvalidFeedback(String),

    /// The server refused the credentials (HTTP 401 or 403).
    #[error("unauthorized (HTTP {status}): {message}{}", attempts_note(*.attempts))]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// Attempts made, the first included (more than 1 when earlier ones failed retryably).
        attempts: u32,
        /// The server's reason.
        message: String,
        /// The feedback ids a write used (empty for reads); see [`Error::feedback_ids`].
        feedback_ids: Vec<String>,
    },

    /// The server answered 404 (missing object, project, or route), or a look-up by id found
    /// no row (`attempts` 0: no HTTP status).
    #[error("not found{}: {message}{}", not_found_status(*.attempts), attempts_note(*.attempts))]
    NotFound {
        /// Attempts made, the first included; 0 when no server answered 404 (a look-up by id,
        /// such as `Client::get_feedback`, that found no row).
        attempts: u32,
        /// The server's reason.
        message: String,
        /// The feedback ids a write used (empty for reads); see [`Error::feedback_ids`].
        feedback_ids: Vec<String>,
    },

    /// The server refused the request (any other 4xx); `message` is the server's reason.
    #[error("rejected by the server (HTTP {status}): {message}{}", attempts_note(*.attempts))]
    Rejected {
        /// The HTTP status (400, 409, 413, 422, ...).
        status: u16,
        /// Attempts made, the first included.
        attempts: u32,
        /// The server's reason.
        message: String,
        /// The feedback ids a write used (empty for reads); see [`Error::feedback_ids`].
        feedback_ids: Vec<String>,
    },

    /// The server kept answering 429 until the retry budget ran out.
    #[error(
        "rate limited (HTTP 429) after {attempts} attempt(s): {message}{}",
        unconfirmed_note(feedback_ids)
    )]
    RateLimited {
        /// Attempts made, the first included.
        attempts: u32,
        /// The server's reason.
        message: String,
        /// The feedback ids a write used (empty for reads); see [`Error::feedback_ids`].
        feedback_ids: Vec<String>,
    },

    /// The server kept answering 5xx until the retry budget ran out.
    #[error(
        "server error (HTTP {status}) after {attempts} attempt(s): {message}{}",
        unconfirmed_note(feedback_ids)
    )]
    Server {
        /// The last HTTP status.
        status: u16,
        /// Attempts made, the first included.
        attempts: u32,
        /// The server's reason.
        message: String,
        /// The feedback ids a write used (empty for reads); see [`Error::feedback_ids`].
        feedback_ids: Vec<String>,
    },

    /// The connection failed (connect, DNS, TLS, reset, closed without an answer).
    #[error("transport error after {attempts} attempt(s): {message}{}{}", last_status_note(*.last_status), unconfirmed_note(feedback_ids))]
    Transport {
        /// Attempts made, the first included.
        attempts: u32,
        /// The last HTTP status seen on an earlier attempt, if any.
        last_status: Option<u16>,
        /// What failed.
        message: String,
        /// The feedback ids a write used (empty for reads); see [`Error::feedback_ids`].
        feedback_ids: Vec<String>,
    },

    /// An attempt exceeded its timeout, or the whole call exceeded its deadline.
    #[error("timed out after {attempts} attempt(s): {message}{}{}", last_status_note(*.last_status), unconfirmed_note(feedback_ids))]
    Timeout {
        /// Attempts made, the first included.
        attempts: u32,
        /// The last HTTP status seen on an earlier attempt, if any.
        last_status: Option<u16>,
        /// Which timeout fired.
        message: String,
        /// The feedback ids a write used (empty for reads); see [`Error::feedback_ids`].
        feedback_ids: Vec<String>,
    },

    /// The server answered 2xx with a body that is not what the protocol promises.
    #[error(
        "could not decode the server's response: {message}{}",
        unconfirmed_note(feedback_ids)
    )]
    Decode {
        /// What was wrong.
        message: String,
        /// The feedback ids a write used (empty for reads); see [`Error::feedback_ids`].
        feedback_ids: Vec<String>,
    },

    /// A bug in this library (for example a caught panic in the C layer).
    #[error("internal error: {0}")]
    Internal(String),

    /// The outbox holds its maximum number of rows: this add was not queued (nothing queued
    /// before it is lost). Flush, or purge dead letters, to make room.
    #[error("outbox full: {0}")]
    OutboxFull(String),
}

/// The pattern of every variant that carries `feedback_ids`, binding it to `$ids`.
macro_rules! with_feedback_ids {
    ($ids:ident) => {
        Error::Unauthorized {
            feedback_ids: $ids,
            ..
        } | Error::NotFound {
            feedback_ids: $ids,
            ..
        } | Error::Rejected {
            feedback_ids: $ids,
            ..
        } | Error::RateLimited {
            feedback_ids: $ids,
            ..
        } | Error::Server {
            feedback_ids: $ids,
            ..
        } | Error::Transport {
            feedback_ids: $ids,
            ..
        } | Error::Timeout {
            feedback_ids: $ids,
            ..
        } | Error::Decode {
            feedback_ids: $ids,
            ..
        }
    };
}

/// Said only when retries happened before the final answer: one attempt is the normal case.
fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (on attempt {attempts})")
    } else {
        String::new()
    }
}

/// ` (HTTP 404)`, unless the not-found came from an empty look-up rather than a 404.
fn not_found_status(attempts: u32) -> &'static str {
    if attempts == 0 {
        ""
    } else {
        " (HTTP 404)"
    }
}

/// After a failure that leaves a write's outcome unknown, the ids to look up before sending the
/// same feedback again.
fn unconfirmed_note(ids: &[String]) -> String {
    match ids {
        [] => String::new(),
        [one] => format!(" (feedback id {one} may have been stored)"),
        [first, ..] => format!(
            " (feedback ids {first} and {} more may have been stored)",
            ids.len() - 1
        ),
    }
}

fn last_status_note(status: Option<u16>) -> String {
    match status {
        Some(s) => format!(" (last HTTP status {s})"),
        None => String::new(),
    }
}

/// The one table of error kinds: the variant (the same name in [`Error`], [`ErrorKind`] and
/// the C `weave_status`), its fixed C status value, and its short description. Everything
/// that lists the kinds is generated from it by `$then`.
#[macro_export]
#[doc(hidden)]
macro_rules! with_error_kinds {
    ($then:ident) => {
        $then! {
            (InvalidArgument, 1, "invalid argument"),
            (InvalidRef, 2, "invalid ref"),
            (InvalidFeedback, 3, "invalid feedback"),
            (Unauthorized, 4, "unauthorized"),
            (NotFound, 5, "not found"),
            (Rejected, 6, "rejected by the server"),
            (RateLimited, 7, "rate limited"),
            (Server, 8, "server error"),
            (Transport, 9, "transport error"),
            (Timeout, 10, "timed out"),
            (Decode, 11, "could not decode the server's response"),
            (Internal, 12, "internal error"),
            (OutboxFull, 13, "outbox full"),
        }
    };
}

macro_rules! define_error_kind {
    ($(($kind:ident, $code:literal, $text:literal)),* $(,)?) => {
        /// The coarse classification of an [`Error`]; one variant per C `weave_status` (but
        /// `Ok`), with the same name as the [`Error`] variant it classifies.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $(
                #[doc = concat!("See [`Error::", stringify!($kind), "`].")]
                $kind,
            )*
        }

        impl ErrorKind {
            /// Every kind, in the order of their C status values (1 to 13).
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind),*];

            /// The C `weave_status` value of this kind.
            pub fn code(self) -> i32 {
                match self {
                    $(ErrorKind::$kind => $code,)*
                }
            }

            /// A short description (`"timed out"`), as C's `weave_status_str` gives it.
            pub fn description(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $text,)*
                }
            }
        }

        impl Error {
            /// The error's kind.
            pub fn kind(&self) -> ErrorKind {
                match self {
                    $(Error::$kind { .. } => ErrorKind::$kind,)*
                }
            }
        }
    };
}

with_error_kinds!(define_error_kind);

impl Error {
    /// The HTTP status of the (last) response behind this error, if there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. }
            | Error::Rejected { status, .. }
            | Error::Server { status, .. } => Some(*status),
            Error::NotFound { attempts: 0, .. } => None,
            Error::NotFound { .. } => Some(404),
            Error::RateLimited { .. } => Some(429),
            Error::Transport { last_status, .. } | Error::Timeout { last_status, .. } => {
                *last_status
            }
            _ => None,
        }
    }

    /// A response that is not what the protocol promises.
    pub(crate) fn decode(message: impl Into<String>) -> Error {
        Error::Decode {
            message: message.into(),
            feedback_ids: Vec::new(),
        }
    }

    /// The feedback ids the failed write used, in the order of its items: set on every error
    /// of an add, batch or replace that got as far as the network, empty otherwise.
    ///
    /// After `Server`, `Transport`, `Timeout`, `RateLimited` and `Decode` the rows may or may
    /// not be stored: look these ids up before sending the same feedback again. After
    /// `Rejected`, `NotFound` and `Unauthorized` the server stored nothing for this call.
    pub fn feedback_ids(&self) -> &[String] {
        match self {
            with_feedback_ids!(feedback_ids) => feedback_ids,
            _ => &[],
        }
    }

    /// The first of [`Error::feedback_ids`] (the only one for a single add or a replace).
    pub fn feedback_id(&self) -> Option<&str> {
        self.feedback_ids().first().map(String::as_str)
    }

    /// Records the ids a write used; a no-op for errors that cannot carry them (client-side
    /// errors, which happen before anything is sent).
    pub(crate) fn with_feedback_ids(mut self, ids: &[String]) -> Error {
        if let with_feedback_ids!(feedback_ids) = &mut self {
            *feedback_ids = ids.to_vec();
        }
        self
    }

    /// Names the batch item a client-side error is about (`item 2: ...`).
    pub(crate) fn annotate_item(self, index: usize) -> Error {
        match self {
            Error::InvalidArgument(m) => Error::InvalidArgument(format!("item {index}: {m}")),
            Error::InvalidRef(m) => Error::InvalidRef(format!("item {index}: {m}")),
            Error::InvalidFeedback(m) => Error::InvalidFeedback(format!("item {index}: {m}")),
            other => other,
        }
    }

    /// Adds what the library did after the failure (`...: message; note`).
    pub(crate) fn annotate(mut self, note: impl std::fmt::Display) -> Error {
        match &mut self {
            Error::InvalidArgument(message)
            | Error::InvalidRef(message)
            | Error::InvalidFeedback(message)
            | Error::Internal(message)
            | Error::OutboxFull(message)
            | Error::Unauthorized { message, .. }
            | Error::NotFound { message, .. }
            | Error::Rejected { message, .. }
            | Error::RateLimited { message, .. }
            | Error::Server { message, .. }
            | Error::Transport { message, .. }
            | Error::Timeout { message, .. }
            | Error::Decode { message, .. } => {
                message.push_str("; ");
                message.push_str(&note.to_string());
            }
        }
        self
    }

    /// How many HTTP attempts were made, for errors that come from the server or the
    /// network; `None` for client-side errors.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::NotFound { attempts: 0, .. } => None,
            Error::Unauthorized { attempts, .. }
            | Error::NotFound { attempts, .. }
            | Error::Rejected { attempts, .. }
            | Error::RateLimited { attempts, .. }
            | Error::Server { attempts, .. }
            | Error::Transport { attempts, .. }
            | Error::Timeout { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_attempts_and_last_status() {
        let e = Error::Transport {
            attempts: 3,
            last_status: Some(503),
            message: "connection reset".into(),
            feedback_ids: Vec::new(),
        };
        assert_eq!(
            e.to_string(),
            "transport error after 3 attempt(s): connection reset (last HTTP status 503)"
        );
        assert_eq!(e.http_status(), Some(503));
        assert_eq!(e.attempts(), Some(3));
        assert_eq!(e.kind(), ErrorKind::Transport);
    }

    #[test]
    fn not_found_reports_404() {
        let e = Error::NotFound {
            attempts: 1,
            message: "x".into(),
            feedback_ids: Vec::new(),
        };
        assert_eq!(e.to_string(), "not found (HTTP 404): x");
        assert_eq!(e.http_status(), Some(404));
        let e = Error::NotFound {
            attempts: 0,
            message: "no feedback with id x".into(),
            feedback_ids: Vec::new(),
        };
        assert_eq!(e.to_string(), "not found: no feedback with id x");
        assert_eq!((e.http_status(), e.attempts()), (None, None));
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = Error::Rejected {
            status: 400,
            attempts: 2,
            message: "bad".into(),
            feedback_ids: Vec::new(),
        };
        assert_eq!(
            e.to_string(),
            "rejected by the server (HTTP 400): bad (on attempt 2)"
        );
        assert_eq!(e.attempts(), Some(2));
        assert_eq!(Error::InvalidArgument("x".into()).http_status(), None);
    }
}
