//! A step's timeout put on the socket: set only when it moved by more than a small slack, and
//! an early socket time-out absorbed by waiting for the rest.

use std::io;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ureq::unversioned::transport::NextTimeout;

/// How far a socket timeout may be above the wanted one before it is set again: a read or
/// write may overshoot its deadline by this much at most.
fn slack(wanted: Duration) -> Duration {
    (wanted / 32).min(Duration::from_millis(50))
}

/// Whether a socket timeout of `set` serves a wanted timeout of `want` without a syscall:
/// not too far above it (the overshoot is bounded by [`slack`]), and not so far below that an
/// early time-out (which [`io_with_timeout`] absorbs by setting the rest) is likely.
fn timeout_fits(set: Option<Duration>, want: Option<Duration>) -> bool {
    match (set, want) {
        (None, None) => true,
        (Some(s), Some(w)) => s >= w / 2 && s <= w + slack(w),
        _ => false,
    }
}

/// Runs one read or write, bounded by `want` from now. The socket's timeout is changed only
/// when [`timeout_fits`] says so; a socket time-out that comes before `want` has passed (the
/// socket's value was lower), or an interrupted call, is retried with the time left.
pub(super) fn io_with_timeout<T>(
    stream: &TcpStream,
    current: &mut Option<Duration>,
    want: Option<Duration>,
    set: fn(&TcpStream, Option<Duration>) -> io::Result<()>,
    mut op: impl FnMut(&TcpStream) -> io::Result<T>,
) -> io::Result<T> {
    let start = Instant::now();
    if !timeout_fits(*current, want) {
        set(stream, want)?;
        *current = want;
    }
    loop {
        match op(stream) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                let Some(want) = want else {
                    return Err(e);
                };
                let left = want.saturating_sub(start.elapsed());
                if left.is_zero() {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                set(stream, Some(left))?;
                *current = Some(left);
            }
            result => return result,
        }
    }
}

/// The timeout a step may take, or `ureq`'s timeout error when none is left.
pub(super) fn step_timeout(timeout: NextTimeout) -> Result<Option<Duration>, ureq::Error> {
    if timeout.after.is_zero() {
        return Err(ureq::Error::Timeout(timeout.reason));
    }
    Ok(timeout.not_zero().map(|d| *d))
}

pub(super) fn io_error(e: io::Error, timeout: NextTimeout) -> ureq::Error {
    if matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        ureq::Error::Timeout(timeout.reason)
    } else {
        ureq::Error::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_set_only_when_they_moved() {
        let s = Duration::from_secs(30);
        assert!(timeout_fits(Some(s), Some(s - Duration::from_millis(1))));
        assert!(timeout_fits(Some(s), Some(s + Duration::from_secs(1))));
        assert!(
            !timeout_fits(Some(s), Some(Duration::from_secs(10))),
            "would overshoot"
        );
        assert!(
            !timeout_fits(Some(Duration::from_millis(5)), Some(s)),
            "would wake early"
        );
        assert!(!timeout_fits(None, Some(s)));
        assert!(!timeout_fits(Some(s), None));
        assert!(timeout_fits(None, None));
    }
}
