//! [`ClientBuilder`]: the options a client is made from, as plain data with setters.

use std::path::PathBuf;
use std::time::Duration;

use super::environment::{resolve_api_key, resolve_urls, Environment, ProcessEnv};
use super::{
    ApiKey, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BASE_DELAY,
    DEFAULT_RETRY_MAX_DELAY, DEFAULT_TIMEOUT, DEFAULT_TRACE_SERVER_URL,
};
#[cfg(doc)]
use crate::error::Error;

/// Everything a [`Client`](crate::Client) is built from. Start with [`ClientBuilder::from_env`] (the SDK's
/// defaults) or [`ClientBuilder::new`] (no environment), adjust, then [`ClientBuilder::build`].
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    pub(crate) base_url: String,
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) deadline: Option<Duration>,
    pub(crate) retry_base_delay: Duration,
    pub(crate) retry_max_delay: Duration,
    pub(crate) allow_insecure_http: bool,
    pub(crate) max_response_bytes: u64,
    /// The outbox file, when adds are to be queued durably ([`ClientBuilder::outbox`]).
    pub(crate) outbox: Option<PathBuf>,
    pub(crate) outbox_max_rows: u64,
    pub(crate) outbox_lease: Duration,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// Defaults without reading the environment: the hosted trace server, no API key.
    pub fn new() -> ClientBuilder {
        ClientBuilder {
            base_url: DEFAULT_TRACE_SERVER_URL.into(),
            api_key: None,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            deadline: None,
            retry_base_delay: DEFAULT_RETRY_BASE_DELAY,
            retry_max_delay: DEFAULT_RETRY_MAX_DELAY,
            allow_insecure_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            outbox: None,
            outbox_max_rows: crate::outbox::DEFAULT_MAX_ROWS,
            outbox_lease: crate::outbox::DEFAULT_LEASE,
        }
    }

    /// Defaults resolved from the process environment as the SDK does: `WANDB_API_KEY` (then
    /// `~/.netrc`), `WF_TRACE_SERVER_URL`, `WANDB_PUBLIC_BASE_URL`/`WANDB_BASE_URL` (then the
    /// wandb settings files), `WEAVE_HTTP_TIMEOUT`, `WEAVE_RETRY_MAX_ATTEMPTS`.
    pub fn from_env() -> ClientBuilder {
        ClientBuilder::from_environment(&ProcessEnv)
    }

    /// [`ClientBuilder::from_env`] over any [`Environment`].
    pub fn from_environment(env: &dyn Environment) -> ClientBuilder {
        let mut b = ClientBuilder::new();
        let (trace_url, wandb_base) = resolve_urls(env);
        b.base_url = trace_url;
        b.api_key = resolve_api_key(env, &wandb_base).map(ApiKey);
        if let Some(secs) = env
            .var("WEAVE_HTTP_TIMEOUT")
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
        {
            b.timeout = Duration::from_secs_f64(secs);
        }
        if let Some(n) = env
            .var("WEAVE_RETRY_MAX_ATTEMPTS")
            .and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|n| *n >= 1)
        {
            b.max_retries = n - 1;
        }
        b
    }

    /// The trace server's base URL (`https://trace.wandb.ai`, `http://127.0.0.1:8080`, ...).
    /// A trailing `/` is removed. `sqlite:///absolute/path/feedback.db` (created if missing)
    /// or `sqlite::memory:` (one store per client) select the local store instead: Weave's
    /// server semantics in this process, without a server (cargo feature `local-store`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The W&B API key, sent as Basic auth `api:<key>`. An empty key means "none".
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        self.api_key = (!key.is_empty()).then_some(ApiKey(key));
        self
    }

    /// Sends no `Authorization` header.
    pub fn no_api_key(mut self) -> Self {
        self.api_key = None;
        self
    }

    /// Bounds one attempt (connect, send, receive). A timed-out attempt is retried.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries after the first attempt: `n` retries means at most `n + 1` attempts.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Bounds a whole call, retries and backoff included. `None` (default): only the attempts
    /// and the retry count bound it.
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// First backoff step (doubled on each retry, full jitter).
    pub fn retry_base_delay(mut self, d: Duration) -> Self {
        self.retry_base_delay = d;
        self
    }

    /// Ceiling of one backoff sleep and of an honoured `Retry-After`.
    pub fn retry_max_delay(mut self, d: Duration) -> Self {
        self.retry_max_delay = d;
        self
    }

    /// Allows sending the API key over plain `http://` to a host that is not loopback.
    /// Off by default: the key would cross the network in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Caps the size of one answer, counted after decompression (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`], 64 MiB). A larger successful answer fails with
    /// [`Error::Decode`] naming the cap, and nothing beyond the cap is read; page through
    /// large query results with a limit and offset instead. Decoding rows takes up to about
    /// three times the answer's size in memory. 0 is refused by [`ClientBuilder::build`].
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Queue adds durably in the SQLite file `path` (created if missing) before sending them:
    /// see the README's "Outbox". Needs the cargo feature `local-store`.
    pub fn outbox(mut self, path: impl Into<PathBuf>) -> Self {
        self.outbox = Some(path.into());
        self
    }

    /// The most rows the outbox holds (default 100,000; 0 is refused); an add that would go
    /// over fails with [`Error::OutboxFull`] and queues nothing.
    pub fn outbox_max_rows(mut self, rows: u64) -> Self {
        self.outbox_max_rows = rows;
        self
    }

    /// How long a claim on outbox rows lasts (default 60 s): a process that claimed rows and
    /// died holds them this long, and each delivery is bounded by four fifths of it.
    pub fn outbox_lease(mut self, lease: Duration) -> Self {
        self.outbox_lease = lease;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_never_in_debug() {
        let b = ClientBuilder::new().api_key("super-secret-key");
        assert!(!format!("{b:?}").contains("super-secret-key"));
    }
}
