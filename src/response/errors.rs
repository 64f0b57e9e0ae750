//! `ureq` and I/O errors as the [`Failure`] of an attempt: retryable or not, and whether the
//! request may have reached the server.

use crate::error::Error;
use crate::failure::Failure;

/// A request that failed before an answer, or while reading it.
pub(crate) fn map_ureq_error(e: ureq::Error) -> Failure {
    match e {
        ureq::Error::Timeout(which) => Failure::Timeout(format!("{which} timeout reached")),
        ureq::Error::Io(io) => map_io_error(&io, true),
        ureq::Error::HostNotFound => Failure::Transport {
            message: "host not found".into(),
            sent: false,
        },
        ureq::Error::ConnectionFailed => Failure::Transport {
            message: "connection failed".into(),
            sent: false,
        },
        ureq::Error::Protocol(p) => Failure::Transport {
            message: format!("HTTP protocol error: {p}"),
            sent: true,
        },
        ureq::Error::BadUri(u) => Failure::Fatal(Error::InvalidArgument(format!("bad URL: {u}"))),
        ureq::Error::Http(h) => Failure::Fatal(Error::InvalidArgument(format!("bad request: {h}"))),
        ureq::Error::BodyExceedsLimit(n) => {
            Failure::Fatal(Error::decode(format!("response body exceeds {n} bytes")))
        }
        other => Failure::Fatal(Error::Transport {
            attempts: 1,
            last_status: None,
            message: other.to_string(),
            feedback_ids: Vec::new(),
        }),
    }
}

/// An I/O error of the connection; `sent` says whether the request may have arrived.
pub(crate) fn map_io_error(e: &std::io::Error, sent: bool) -> Failure {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::TimedOut | K::WouldBlock => Failure::Timeout(format!("I/O timed out: {e}")),
        K::ConnectionRefused => Failure::Transport {
            message: format!("connection refused: {e}"),
            sent: false,
        },
        _ => Failure::Transport {
            message: format!("connection error: {e}"),
            sent,
        },
    }
}
