//! The body of an answer read under a size cap counted after decoding, into memory reserved
//! fallibly.

use std::io::Read;

use super::errors::map_ureq_error;
use crate::error::Error;
use crate::failure::Failure;

/// The buffer of an answer whose length is not announced, to begin with (it doubles as needed).
const FIRST_READ: usize = 16 * 1024;

/// A body read up to the cap: all of it, or the first `cap` bytes of a longer one.
pub(super) enum Body {
    Complete(Vec<u8>),
    Cut(Vec<u8>),
}

/// Reads `reader` to its end, or until more than `cap` bytes came (counted after decoding).
/// Memory is reserved fallibly, so a huge answer gives an error rather than aborting the
/// process. `hint` is the announced length, already known to be within `cap`.
///
/// The bytes are read straight into the answer's own buffer (no bounce buffer): it starts at
/// the announced length plus one byte (the read that finds the end), or [`FIRST_READ`] without
/// one, and doubles when full; each byte of it is zeroed once, when it is added.
pub(super) fn read_capped(
    reader: &mut impl Read,
    cap: u64,
    hint: u64,
) -> std::result::Result<Body, Failure> {
    let no_memory = |n: usize| {
        Failure::Fatal(Error::decode(format!(
            "could not allocate memory for an answer of {n} bytes"
        )))
    };
    // At most cap + 1 bytes are ever kept: one more than the cap tells a longer answer.
    let limit = usize::try_from(cap.saturating_add(1)).unwrap_or(usize::MAX);
    let hint = usize::try_from(hint.min(cap)).unwrap_or(usize::MAX);
    let first = if hint > 0 {
        hint.saturating_add(1)
    } else {
        FIRST_READ
    }
    .min(limit);
    let mut out: Vec<u8> = Vec::new();
    out.try_reserve_exact(first).map_err(|_| no_memory(first))?;
    out.resize(first, 0);
    let mut filled = 0;
    loop {
        if filled == out.len() {
            if out.len() >= limit {
                out.truncate(limit - 1);
                return Ok(Body::Cut(out));
            }
            let grow = out.len().min(limit - out.len());
            out.try_reserve_exact(grow)
                .map_err(|_| no_memory(out.len() + grow))?;
            out.resize(out.len() + grow, 0);
        }
        match reader.read(&mut out[filled..]) {
            Ok(0) => {
                out.truncate(filled);
                return Ok(Body::Complete(out));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // ureq hands its own errors (timeouts, protocol errors) wrapped in an io::Error.
            Err(e) => return Err(map_ureq_error(ureq::Error::from(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_stops_past_the_cap() {
        let read = |data: &[u8], cap: u64| read_capped(&mut &data[..], cap, 0);
        let data = vec![7u8; 200_000];
        match read(&data, 200_000) {
            Ok(Body::Complete(b)) => assert_eq!(b, data),
            _ => panic!("a body of exactly the cap is complete"),
        }
        match read(&data, 199_999) {
            Ok(Body::Cut(b)) => assert_eq!(b.len(), 199_999),
            _ => panic!("one byte over the cap is cut"),
        }
        match read(b"", 1) {
            Ok(Body::Complete(b)) => assert!(b.is_empty()),
            _ => panic!("empty body"),
        }
        // With the announced length, and from a reader that hands out a few bytes at a time.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(7);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        for (hint, cap) in [(200_000, 200_000), (0, 200_000), (10, 200_000), (0, 0)] {
            match read_capped(&mut Trickle(&data), cap, hint) {
                Ok(Body::Complete(b)) if cap == 200_000 => assert_eq!(b, data),
                Ok(Body::Cut(b)) if cap == 0 => assert!(b.is_empty()),
                _ => panic!("hint {hint}, cap {cap}"),
            }
        }
    }
}
