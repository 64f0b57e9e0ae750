//! How the tool fails: one line on stderr and an exit status per class of error, so scripts
//! can tell a typo from a bad credential from a server that is down.

use weave_feedback::{Error, ErrorKind};

/// The exit statuses, as `--help` and the README list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// 1: a bug in this tool or the library, or output that could not be written.
    Internal = 1,
    /// 2: the command line itself is wrong (clap's usage errors use 2 too).
    Usage = 2,
    /// 3: a value, file or line is not acceptable (to the tool, the library or the server).
    Invalid = 3,
    /// 4: the server refused the credentials (HTTP 401/403).
    Auth = 4,
    /// 5: the feedback id (or a server object) does not exist.
    NotFound = 5,
    /// 6: the server failed, or could not be reached, after the retries.
    Remote = 6,
}

/// The text `--help` ends with.
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success
  1  internal error (a bug), or the output could not be written
  2  usage: unknown command or option, missing or conflicting options
  3  invalid input: a bad value, ref, query, payload, file or import line, or the server refused it (HTTP 4xx)
  4  authentication: the server refused the API key (HTTP 401/403)
  5  not found: no feedback with that id, or a server object that does not exist (HTTP 404)
  6  server or network: 5xx, 429, timeout, connection or TLS failure, an unreadable answer";

/// A failure to report: its class and the one line that says what went wrong.
#[derive(Debug)]
pub struct Failure {
    pub class: Class,
    pub message: String,
    /// Nothing to say (stdout was closed by its reader, as `| head` does).
    pub quiet: bool,
}

impl Failure {
    pub fn new(class: Class, message: impl Into<String>) -> Failure {
        Failure {
            class,
            message: message.into(),
            quiet: false,
        }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(Class::Usage, message)
    }

    pub fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(Class::Invalid, message)
    }

    /// Prefixes the message (`line 7: ...`), keeping the class.
    pub fn context(mut self, prefix: impl std::fmt::Display) -> Failure {
        self.message = format!("{prefix}: {}", self.message);
        self
    }

    /// The process exit status.
    pub fn code(&self) -> i32 {
        if self.quiet {
            0
        } else {
            self.class as i32
        }
    }

    /// The message as one line: server reasons may carry newlines.
    pub fn line(&self) -> String {
        self.message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The class of a library error.
pub fn class_of(kind: ErrorKind) -> Class {
    match kind {
        ErrorKind::InvalidArgument
        | ErrorKind::InvalidRef
        | ErrorKind::InvalidFeedback
        | ErrorKind::Rejected => Class::Invalid,
        ErrorKind::Unauthorized => Class::Auth,
        ErrorKind::NotFound => Class::NotFound,
        ErrorKind::RateLimited
        | ErrorKind::Server
        | ErrorKind::Transport
        | ErrorKind::Timeout
        | ErrorKind::Decode => Class::Remote,
        _ => Class::Internal,
    }
}

/// Whether a failed write certainly stored nothing (the library promises so for refusals and
/// client-side checks); after the other kinds rows may or may not be stored.
pub fn stored_nothing(kind: ErrorKind) -> bool {
    matches!(
        class_of(kind),
        Class::Invalid | Class::Auth | Class::NotFound
    )
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::new(class_of(e.kind()), e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure {
            quiet: e.kind() == std::io::ErrorKind::BrokenPipe,
            ..Failure::new(Class::Internal, format!("writing the output: {e}"))
        }
    }
}

impl Failure {
    /// Appends to the message (`...; 3 lines stored before it`), keeping the class.
    pub fn context_after(mut self, suffix: impl std::fmt::Display) -> Failure {
        self.message = format!("{}: {suffix}", self.message);
        self
    }
}
