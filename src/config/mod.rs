//! Client configuration: the builder, and the environment resolved as Weave's SDK resolves it
//! (`weave/trace/env.py` and `wandb`'s settings and netrc lookup).
//!
//! Resolution is written against an `Environment` trait so tests can feed variables and files
//! without touching the real process environment.
//!
//! - `builder`: [`ClientBuilder`], plain data with its setters;
//! - `environment`: the [`Environment`] it may be resolved from, as the SDK resolves it;
//! - `settings`: the builder checked into the settings the transport is made from.

mod builder;
mod environment;
mod settings;

use std::fmt;
use std::time::Duration;

pub use builder::ClientBuilder;
pub use environment::{Environment, ProcessEnv};
pub(crate) use settings::{Backend, Settings};

/// Where the hosted service's traces live.
pub const DEFAULT_TRACE_SERVER_URL: &str = "https://trace.wandb.ai";

/// Default time one attempt may take (connect, send, receive), as the SDK's 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of retries after the first attempt (three attempts, as the SDK).
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Default first backoff step; later steps double it.
pub const DEFAULT_RETRY_BASE_DELAY: Duration = Duration::from_millis(500);
/// Default ceiling of one backoff sleep, and of an honoured `Retry-After`.
pub const DEFAULT_RETRY_MAX_DELAY: Duration = Duration::from_secs(30);
/// Default cap on one answer, counted after decompression: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// The base URL of a local store kept in memory (one per client).
pub const MEMORY_URL: &str = "sqlite::memory:";

/// An API key that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `base64("api:" + key)`: what Basic auth sends, as Weave's SDK does.
    pub(crate) fn basic_token(&self) -> String {
        base64(format!("api:{}", self.0).as_bytes())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Standard base64 with padding, for the Basic auth header.
fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_matches_the_sdk() {
        assert_eq!(base64(b"api:KEY123"), "YXBpOktFWTEyMw==");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }
}
