//! Reading an answer once the request is made: the body under a size cap counted after
//! decoding, the server's reason for a failure (cut to a few KiB), the mapping of `ureq` and
//! I/O errors, and the API key scrubbed from every message the transport produces.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::config::ApiKey;
use crate::error::Error;
use crate::failure::Failure;
use crate::timestamp;

/// Server text kept in one error message, in bytes; longer text is cut and marked.
pub(crate) const MAX_SERVER_TEXT: usize = 4096;
/// What replaces the API key and its Basic token in messages.
pub(crate) const REDACTED: &str = "<redacted>";
/// How the message of a 2xx answer over `max_response_bytes` starts (a query's `execute()`
/// recognises it and asks for smaller pages).
pub(crate) const TOO_LARGE: &str = "the answer is larger than max_response_bytes";
/// The buffer of an answer whose length is not announced, to begin with (it doubles as needed).
const FIRST_READ: usize = 16 * 1024;

/// How the transport reads answers: the size cap and the secrets to scrub.
pub(crate) struct Reader {
    max_bytes: u64,
    scrubber: Scrubber,
}

impl Reader {
    /// Answers capped at `max_bytes`; messages scrubbed of `api_key` and its Basic token.
    pub(crate) fn new(max_bytes: u64, api_key: Option<&ApiKey>) -> Reader {
        Reader {
            max_bytes,
            scrubber: Scrubber::new(api_key),
        }
    }

    /// The outcome of one request: the 2xx body, or how the attempt failed. Every message in
    /// the failure is scrubbed of the API key.
    pub(crate) fn finish(
        &self,
        result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> std::result::Result<Vec<u8>, Failure> {
        self.read(result).map_err(|f| self.scrubber.failure(f))
    }

    fn read(
        &self,
        result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> std::result::Result<Vec<u8>, Failure> {
        let mut resp = result.map_err(map_ureq_error)?;
        let status = resp.status().as_u16();
        let success = (200..300).contains(&status);
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let length = resp.body().content_length();
        if success && length.is_some_and(|n| n > self.max_bytes) {
            return Err(Failure::Fatal(self.too_large()));
        }
        let body = read_capped(
            &mut resp.body_mut().as_reader(),
            self.max_bytes,
            length.unwrap_or(0),
        )?;
        if success {
            return match body {
                Body::Complete(bytes) => Ok(bytes),
                Body::Cut(_) => Err(Failure::Fatal(self.too_large())),
            };
        }
        let route_missing =
            status == 404 && matches!(&body, Body::Complete(b) if is_missing_route_body(b));
        let message = if (300..400).contains(&status) {
            let location = resp
                .headers()
                .get("location")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_else(|| "?".into());
            format!(
                "unexpected redirect to {} (redirects are not followed)",
                self.scrubber.cut(&location)
            )
        } else {
            match body {
                Body::Complete(bytes) => self.server_message(&bytes, status),
                Body::Cut(bytes) => format!(
                    "{} (the answer exceeded max_response_bytes, {} bytes, and was not read \
                     to the end)",
                    self.scrubber.cut(&String::from_utf8_lossy(&bytes)),
                    self.max_bytes
                ),
            }
        };
        Err(Failure::Status {
            status,
            message,
            retry_after,
            route_missing,
        })
    }

    fn too_large(&self) -> Error {
        Error::decode(format!(
            "{TOO_LARGE} ({} bytes, counted after decompression); raise max_response_bytes, \
             or page through the rows with pages() and fewer rows per page",
            self.max_bytes
        ))
    }

    /// [`server_message`], cut to [`MAX_SERVER_TEXT`] with the key scrubbed.
    /// An answer of the local store, read as an HTTP answer with that status and body.
    #[cfg(feature = "local-store")]
    pub(crate) fn local(
        &self,
        status: u16,
        body: Vec<u8>,
    ) -> std::result::Result<Vec<u8>, Failure> {
        if (200..300).contains(&status) {
            if body.len() as u64 > self.max_bytes {
                return Err(Failure::Fatal(self.too_large()));
            }
            return Ok(body);
        }
        Err(Failure::Status {
            status,
            message: self.server_message(&body, status),
            retry_after: None,
            route_missing: status == 404 && is_missing_route_body(&body),
        })
    }

    fn server_message(&self, body: &[u8], status: u16) -> String {
        self.scrubber.cut(&server_message(body, status))
    }
}

/// FastAPI answers a request for a route it does not have with exactly this body; Weave's own
/// 404s (a missing object, project, ...) carry a `reason` instead.
fn is_missing_route_body(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .is_ok_and(|v| v == serde_json::json!({"detail": "Not Found"}))
}

/// A body read up to the cap: all of it, or the first `cap` bytes of a longer one.
enum Body {
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
fn read_capped(reader: &mut impl Read, cap: u64, hint: u64) -> std::result::Result<Body, Failure> {
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

/// The server's reason: the first of `message`, `error`, `detail`, `reason` (the SDK's order);
/// FastAPI's `detail` list gives its first entry's `msg` and location. Not cut: see
/// [`Reader`], which cuts and scrubs it.
pub(crate) fn server_message(body: &[u8], status: u16) -> String {
    let fallback = || {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.is_empty() {
            format!("HTTP {status} with an empty body")
        } else {
            text.to_string()
        }
    };
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return fallback();
    };
    for key in ["message", "error", "detail", "reason"] {
        match obj.get(key) {
            Some(Value::String(s)) => return s.clone(),
            Some(Value::Array(items)) if !items.is_empty() => {
                let first = &items[0];
                let msg = first.get("msg").and_then(Value::as_str);
                let loc = first.get("loc").and_then(Value::as_array).map(|l| {
                    l.iter()
                        .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(".")
                });
                return match (msg, loc) {
                    (Some(m), Some(l)) if !l.is_empty() => format!("{l}: {m}"),
                    (Some(m), _) => m.to_string(),
                    _ => first.to_string(),
                };
            }
            Some(v) if !v.is_null() => return v.to_string(),
            _ => {}
        }
    }
    fallback()
}

/// Removes the API key and its Basic token from text, matching them in any letter case.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scrubber {
    /// The key and `base64("api:" + key)`, longest first.
    secrets: Vec<String>,
}

impl Scrubber {
    /// Scrubs `key` (none: nothing to scrub).
    pub(crate) fn new(key: Option<&ApiKey>) -> Scrubber {
        let mut secrets: Vec<String> = key
            .filter(|k| !k.expose().is_empty())
            .map(|k| vec![k.expose().to_string(), k.basic_token()])
            .unwrap_or_default();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Scrubber { secrets }
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for s in &self.secrets {
            text = replace_ignore_ascii_case(&text, s, REDACTED);
        }
        text
    }

    /// Scrubbed `text` cut to [`MAX_SERVER_TEXT`] bytes, marked `… [cut: N bytes in all]`.
    /// A secret that straddles the cut is removed too.
    pub(crate) fn cut(&self, text: &str) -> String {
        if text.len() <= MAX_SERVER_TEXT {
            return self.scrub(text);
        }
        let longest = self.secrets.first().map_or(0, String::len);
        let head = self.scrub(prefix(text, MAX_SERVER_TEXT + longest));
        format!(
            "{}… [cut: {} bytes in all]",
            prefix(&head, MAX_SERVER_TEXT),
            text.len()
        )
    }

    /// `f` with every message in it scrubbed.
    pub(crate) fn failure(&self, f: Failure) -> Failure {
        if self.secrets.is_empty() {
            return f;
        }
        match f {
            Failure::Status {
                status,
                message,
                retry_after,
                route_missing,
            } => Failure::Status {
                status,
                message: self.scrub(&message),
                retry_after,
                route_missing,
            },
            Failure::Timeout(message) => Failure::Timeout(self.scrub(&message)),
            Failure::Transport { message, sent } => Failure::Transport {
                message: self.scrub(&message),
                sent,
            },
            Failure::Fatal(e) => Failure::Fatal(self.error(e)),
        }
    }

    /// `e` with its message scrubbed (the kinds the transport produces).
    pub(crate) fn error(&self, e: Error) -> Error {
        match e {
            Error::InvalidArgument(m) => Error::InvalidArgument(self.scrub(&m)),
            Error::Decode {
                message,
                feedback_ids,
            } => Error::Decode {
                message: self.scrub(&message),
                feedback_ids,
            },
            Error::Transport {
                attempts,
                last_status,
                message,
                feedback_ids,
            } => Error::Transport {
                attempts,
                last_status,
                message: self.scrub(&message),
                feedback_ids,
            },
            other => other,
        }
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Replaces every match of `needle` in `haystack`, ASCII letters compared in any case.
fn replace_ignore_ascii_case(haystack: &str, needle: &str, with: &str) -> String {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return haystack.to_string();
    }
    let mut out = String::with_capacity(haystack.len());
    let mut copied = 0;
    let mut i = 0;
    while i + n.len() <= h.len() {
        if h[i..i + n.len()].eq_ignore_ascii_case(n) {
            // `needle` is UTF-8 and non-ASCII bytes compare exactly, so a match starts and
            // ends on character boundaries.
            out.push_str(&haystack[copied..i]);
            out.push_str(with);
            i += n.len();
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&haystack[copied..]);
    out
}

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

/// `Retry-After`: delta seconds (integer or decimal) or an HTTP date.
pub(crate) fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)));
    }
    let at = timestamp::parse_http_date(v)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(Duration::from_secs(at.saturating_sub(now).max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn server_messages() {
        assert_eq!(
            server_message(br#"{"reason":"Invalid URI: x"}"#, 400),
            "Invalid URI: x"
        );
        assert_eq!(server_message(br#"{"message":"m","reason":"r"}"#, 400), "m");
        assert_eq!(
            server_message(
                br#"{"detail":[{"loc":["body","payload"],"msg":"Input should be a valid dictionary","type":"dict_type"}]}"#,
                422
            ),
            "body.payload: Input should be a valid dictionary"
        );
        assert_eq!(server_message(b"", 502), "HTTP 502 with an empty body");
        assert_eq!(
            server_message(b"<html>bad gateway</html>", 502),
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn long_text_is_cut_and_marked() {
        let s = Scrubber::new(None);
        assert_eq!(s.cut("short"), "short");
        let exact = "x".repeat(MAX_SERVER_TEXT);
        assert_eq!(s.cut(&exact), exact);
        let long = "é".repeat(MAX_SERVER_TEXT); // 2 bytes each: the cut lands mid-character
        let cut = s.cut(&long);
        assert!(cut.len() < MAX_SERVER_TEXT + 64, "{}", cut.len());
        assert!(
            cut.ends_with(&format!("… [cut: {} bytes in all]", 2 * MAX_SERVER_TEXT)),
            "{cut}"
        );
        assert!(cut.starts_with("éé"));
    }

    #[test]
    fn key_and_token_are_scrubbed_in_any_case() {
        let key = "Sekrit-Key-0123456789";
        let token = ApiKey::new(key).basic_token();
        let s = Scrubber::new(Some(&ApiKey::new(key)));
        let text = format!(
            "key {key} upper {} basic Basic {token} lower basic {} end",
            key.to_uppercase(),
            token.to_lowercase()
        );
        let out = s.scrub(&text);
        assert_eq!(
            out,
            "key <redacted> upper <redacted> basic Basic <redacted> lower basic <redacted> end"
        );
        // Non-ASCII around a match survives intact.
        assert_eq!(s.scrub(&format!("é{key}é")), "é<redacted>é");
        // No key: nothing changes.
        assert_eq!(Scrubber::new(None).scrub(&text), text);
    }

    #[test]
    fn a_secret_straddling_the_cut_is_removed() {
        let key = "straddling-key-abcdefghijklmnop";
        let s = Scrubber::new(Some(&ApiKey::new(key)));
        for shift in 0..key.len() {
            let text = format!(
                "{}{key}{}",
                "x".repeat(MAX_SERVER_TEXT - shift),
                "y".repeat(100)
            );
            let cut = s.cut(&text);
            for n in 4..=key.len() {
                // No prefix of the key longer than a few bytes is left.
                assert!(!cut.contains(&key[..n]), "shift {shift}: {cut}");
            }
            assert!(cut.contains("[cut: "), "{cut}");
        }
    }

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
