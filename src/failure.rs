//! How one attempt at a request failed, before the retry loop knows whether it was the last:
//! whether to retry it, whether the server may have acted on it, and the [`Error`] it becomes.

use std::time::Duration;

use crate::error::Error;

/// How an attempt failed, before it is known whether it was the last one.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The server answered with a non-2xx status.
    Status {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
        /// A 404 from the web framework itself (`{"detail":"Not Found"}`): the route does not
        /// exist on this server, as opposed to the route refusing the request.
        route_missing: bool,
    },
    /// The attempt timed out (the request may have reached the server).
    Timeout(String),
    /// The connection failed. `sent` is false when the request surely never arrived.
    Transport { message: String, sent: bool },
    /// A failure that retrying cannot fix (bad URL, TLS certificate, undecodable body, ...).
    Fatal(Error),
}

impl Failure {
    pub(crate) fn retryable(&self) -> bool {
        match self {
            Failure::Status { status, .. } => *status == 429 || (500..600).contains(status),
            Failure::Timeout(_) | Failure::Transport { .. } => true,
            Failure::Fatal(_) => false,
        }
    }

    /// Whether the server may have acted on the request although we saw no success.
    pub(crate) fn ambiguous(&self) -> bool {
        match self {
            Failure::Status { status, .. } => (500..600).contains(status),
            Failure::Timeout(_) => true,
            Failure::Transport { sent, .. } => *sent,
            Failure::Fatal(_) => false,
        }
    }

    pub(crate) fn into_error(self, attempts: u32, last_status: Option<u16>) -> Error {
        match self {
            Failure::Status {
                status, message, ..
            } => match status {
                401 | 403 => Error::Unauthorized {
                    status,
                    attempts,
                    message,
                    feedback_ids: Vec::new(),
                },
                404 => Error::NotFound {
                    attempts,
                    message,
                    feedback_ids: Vec::new(),
                },
                429 => Error::RateLimited {
                    attempts,
                    message,
                    feedback_ids: Vec::new(),
                },
                500..=599 => Error::Server {
                    status,
                    attempts,
                    message,
                    feedback_ids: Vec::new(),
                },
                _ => Error::Rejected {
                    status,
                    attempts,
                    message,
                    feedback_ids: Vec::new(),
                },
            },
            Failure::Timeout(message) => Error::Timeout {
                attempts,
                last_status,
                message,
                feedback_ids: Vec::new(),
            },
            Failure::Transport { message, .. } => Error::Transport {
                attempts,
                last_status,
                message,
                feedback_ids: Vec::new(),
            },
            Failure::Fatal(e) => e,
        }
    }
}
