//! Reading an answer once the request is made: the body under a size cap counted after
//! decoding, the server's reason for a failure (cut to a few KiB), the mapping of `ureq` and
//! I/O errors, and the API key scrubbed from every message the transport produces.
//!
//! [`Reader`] is the entry point; `body` reads under the cap, `message` finds the server's
//! reason, `scrub` cuts and scrubs text, `errors` maps `ureq` and I/O errors to a [`Failure`].

mod body;
mod errors;
mod message;
mod scrub;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::ApiKey;
use crate::error::Error;
use crate::failure::Failure;
use crate::timestamp;

use body::{read_capped, Body};
use errors::map_ureq_error;
use message::{is_missing_route_body, server_message};
use scrub::Scrubber;

/// How the message of a 2xx answer over `max_response_bytes` starts (a query's `execute()`
/// recognises it and asks for smaller pages).
pub(crate) const TOO_LARGE: &str = "the answer is larger than max_response_bytes";

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

    /// [`server_message`], cut to [`MAX_SERVER_TEXT`](scrub::MAX_SERVER_TEXT) with the key scrubbed.
    fn server_message(&self, body: &[u8], status: u16) -> String {
        self.scrubber.cut(&server_message(body, status))
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
}
