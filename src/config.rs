//! Client configuration: the builder, and the environment resolved as Weave's SDK resolves it
//! (`weave/trace/env.py` and `wandb`'s settings and netrc lookup).
//!
//! Resolution is written against an `Environment` trait so tests can feed variables and files
//! without touching the real process environment.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};

/// Where the hosted service's traces live.
pub const DEFAULT_TRACE_SERVER_URL: &str = "https://trace.wandb.ai";
const DEFAULT_WANDB_BASE_URL: &str = "https://api.wandb.ai";

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

    /// The settings, checked: what the transport is made from.
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

    pub(crate) fn settings(&self) -> Result<Settings> {
        if self.timeout.is_zero() {
            return Err(Error::InvalidArgument("timeout must be positive".into()));
        }
        if self.max_response_bytes == 0 {
            return Err(Error::InvalidArgument(
                "max_response_bytes must be positive".into(),
            ));
        }
        let base_url = self.validated_base_url()?;
        Ok(Settings {
            backend: Backend::for_url(&base_url)?,
            base_url,
            api_key: self.api_key.clone(),
            timeout: self.timeout,
            max_retries: self.max_retries,
            deadline: self.deadline,
            retry_base_delay: self.retry_base_delay,
            retry_max_delay: self.retry_max_delay,
            max_response_bytes: self.max_response_bytes,
        })
    }

    fn validated_base_url(&self) -> Result<String> {
        let url = self.base_url.trim_end_matches('/').to_string();
        let bad = |why: &str| Error::InvalidArgument(format!("base URL {why}: {url:?}"));
        if url.starts_with("sqlite:") {
            // The local store: `sqlite:///absolute/path` or `sqlite::memory:`; none of the
            // HTTP rules apply (no host, no key sent anywhere).
            if url.chars().any(char::is_control) {
                return Err(bad("contains a control character"));
            }
            if url != MEMORY_URL && !url.starts_with("sqlite:///") {
                return Err(bad(
                    "must be sqlite:///absolute/path/to/file.db or sqlite::memory: for the local store",
                ));
            }
            return Ok(url);
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("contains whitespace or a control character"));
        }
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("must start with http:// or https://"))?;
        let host = authority_host(rest);
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        if let Some(port) = authority_port(rest) {
            if port.contains(':') {
                return Err(bad("has more than one port"));
            }
            let valid = !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
            if !valid {
                return Err(bad("has a port that is not a number from 1 to 65535"));
            }
        }
        if url.parse::<ureq::http::Uri>().is_err() {
            return Err(bad("is not a valid URL"));
        }
        match scheme {
            "https" => {}
            "http" => {
                if self.api_key.is_some() && !self.allow_insecure_http && !is_loopback(host) {
                    return Err(Error::InvalidArgument(format!(
                        "refusing to send the API key over plain http:// to {host}; use https:// \
                         or allow insecure http explicitly"
                    )));
                }
            }
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "base URL must start with http:// or https://: {url:?}"
                )))
            }
        }
        Ok(url)
    }
}

/// The base URL of a local store kept in memory (one per client).
pub const MEMORY_URL: &str = "sqlite::memory:";

/// Where requests go: a trace server over HTTP, or the local store in this process.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    /// `http://` or `https://`.
    Http,
    /// `sqlite:` URLs: the store, opened (and created if missing) when the client is built.
    #[cfg(feature = "local-store")]
    Local(std::sync::Arc<crate::store::Store>),
}

impl Backend {
    /// The backend of a checked base URL; opens the store of a `sqlite:` URL.
    fn for_url(url: &str) -> Result<Backend> {
        let Some(rest) = url.strip_prefix("sqlite:") else {
            return Ok(Backend::Http);
        };
        #[cfg(feature = "local-store")]
        {
            let store = if url == MEMORY_URL {
                crate::store::Store::in_memory()
            } else {
                crate::store::Store::open(&rest["//".len()..])
            };
            store
                .map(|s| Backend::Local(std::sync::Arc::new(s)))
                .map_err(|e| Error::InvalidArgument(format!("local store {url:?}: {e}")))
        }
        #[cfg(not(feature = "local-store"))]
        {
            let _ = rest;
            Err(Error::InvalidArgument(format!(
                "base URL {url:?} needs the local store, and this build of weave-feedback was \
                 made without it (cargo feature `local-store`)"
            )))
        }
    }
}

/// A builder's settings once checked ([`ClientBuilder::settings`]): plain data the transport is
/// made from, so nothing past this point re-validates or reads the builder.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// `http(s)://host[:port][/path]` or a `sqlite:` URL, without a trailing `/`.
    pub(crate) base_url: String,
    /// Where requests go, chosen by `base_url`.
    pub(crate) backend: Backend,
    pub(crate) api_key: Option<ApiKey>,
    /// Positive.
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) deadline: Option<Duration>,
    pub(crate) retry_base_delay: Duration,
    pub(crate) retry_max_delay: Duration,
    /// Positive.
    pub(crate) max_response_bytes: u64,
}

/// The host part of `host[:port]/path`, brackets kept for IPv6.
fn authority_host(rest: &str) -> &str {
    let authority = authority(rest);
    if authority.starts_with('[') {
        return authority
            .split_once(']')
            .map_or(authority, |(h, _)| &h[1..]);
    }
    authority.split(':').next().unwrap_or("")
}

/// The authority part of `user@host:port/path` without the user.
fn authority(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').map_or(authority, |(_, h)| h)
}

/// What follows the host: the port text after `:` (brackets skipped for IPv6), `None` when
/// nothing follows. Text after `]` that does not start with `:` is returned whole, so it
/// fails the port check.
fn authority_port(rest: &str) -> Option<&str> {
    let authority = authority(rest);
    let after_host = if authority.starts_with('[') {
        authority.split_once(']').map_or("", |(_, p)| p)
    } else {
        authority.find(':').map_or("", |i| &authority[i..])
    };
    (!after_host.is_empty()).then(|| after_host.strip_prefix(':').unwrap_or(after_host))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Where configuration comes from: variables, and the contents of files.
pub trait Environment {
    /// A variable's value, `None` when unset.
    fn var(&self, name: &str) -> Option<String>;
    /// A file's text, `None` when unreadable.
    fn read_file(&self, path: &Path) -> Option<String>;
    /// The home directory.
    fn home(&self) -> Option<PathBuf> {
        self.var("HOME").map(PathBuf::from)
    }
}

/// The real process environment and file system.
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
    fn read_file(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }
}

/// Returns (trace server URL, W&B base URL used for netrc lookup).
fn resolve_urls(env: &dyn Environment) -> (String, String) {
    let non_empty = |n: &str| env.var(n).filter(|v| !v.is_empty());
    let wandb_base = non_empty("WANDB_BASE_URL")
        .map(|s| s.trim_end_matches('/').to_string())
        .or_else(|| settings_base_url(env))
        .unwrap_or_else(|| DEFAULT_WANDB_BASE_URL.into());
    // Like 0.52.35, WF_TRACE_SERVER_URL wins whenever it is set; unlike it, an empty value is
    // treated as unset rather than producing a relative URL.
    if let Some(url) = non_empty("WF_TRACE_SERVER_URL") {
        return (url.trim_end_matches('/').to_string(), wandb_base);
    }
    let public = non_empty("WANDB_PUBLIC_BASE_URL")
        .map(|s| s.trim_end_matches('/').to_string())
        .unwrap_or_else(|| wandb_base.clone());
    let trace = if public == DEFAULT_WANDB_BASE_URL {
        DEFAULT_TRACE_SERVER_URL.to_string()
    } else {
        format!("{public}/traces")
    };
    (trace, wandb_base)
}

/// `base_url` from the `[default]` section of the wandb settings files (later file wins).
fn settings_base_url(env: &dyn Environment) -> Option<String> {
    let config_dir = env
        .var("WANDB_CONFIG_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| env.home().map(|h| h.join(".config").join("wandb")));
    let files = config_dir
        .map(|d| d.join("settings"))
        .into_iter()
        .chain([PathBuf::from("wandb").join("settings")]);
    let mut found = None;
    for f in files {
        if let Some(v) = env
            .read_file(&f)
            .and_then(|t| ini_value(&t, "default", "base_url"))
        {
            found = Some(v.trim_end_matches('/').to_string());
        }
    }
    found.filter(|v| !v.is_empty())
}

fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    let mut value = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') && line.ends_with(']') {
            in_section = &line[1..line.len() - 1] == section;
        } else if in_section {
            if let Some((k, v)) = line.split_once(['=', ':']) {
                if k.trim() == key {
                    value = Some(v.trim().to_string());
                }
            }
        }
    }
    value
}

fn resolve_api_key(env: &dyn Environment, wandb_base: &str) -> Option<String> {
    if let Some(k) = env.var("WANDB_API_KEY").filter(|k| !k.is_empty()) {
        return Some(k);
    }
    let machine = wandb_base
        .split_once("://")
        .map_or(wandb_base, |(_, r)| r)
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    let home = env.home()?;
    [".netrc", "_netrc"]
        .iter()
        .find_map(|f| netrc_password(&env.read_file(&home.join(f))?, &machine))
}

/// The `password` of `machine <host>` in a netrc file.
fn netrc_password(text: &str, machine: &str) -> Option<String> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut i = 0;
    let mut current: Option<&str> = None;
    while i < tokens.len() {
        match tokens[i] {
            "machine" => {
                current = tokens.get(i + 1).copied();
                i += 2;
            }
            "default" => {
                current = Some("");
                i += 1;
            }
            "password" if current == Some(machine) => {
                return tokens.get(i + 1).map(|s| s.to_string());
            }
            _ => i += 1,
        }
    }
    None
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

    use std::collections::HashMap;

    #[derive(Default)]
    struct FakeEnv {
        vars: HashMap<String, String>,
        files: HashMap<PathBuf, String>,
    }

    impl FakeEnv {
        fn with(mut self, k: &str, v: &str) -> Self {
            self.vars.insert(k.into(), v.into());
            self
        }
        fn file(mut self, p: &str, text: &str) -> Self {
            self.files.insert(PathBuf::from(p), text.into());
            self
        }
    }

    impl Environment for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.vars.get(name).cloned()
        }
        fn read_file(&self, path: &Path) -> Option<String> {
            self.files.get(path).cloned()
        }
    }

    fn url(env: FakeEnv) -> String {
        ClientBuilder::from_environment(&env).base_url
    }

    #[test]
    fn base_url_resolution_follows_the_sdk() {
        assert_eq!(url(FakeEnv::default()), "https://trace.wandb.ai");
        assert_eq!(
            url(FakeEnv::default().with("WANDB_BASE_URL", "https://wandb.acme.io/")),
            "https://wandb.acme.io/traces"
        );
        assert_eq!(
            url(FakeEnv::default().with("WANDB_BASE_URL", "https://api.wandb.ai")),
            "https://trace.wandb.ai"
        );
        assert_eq!(
            url(FakeEnv::default()
                .with("WANDB_BASE_URL", "https://wandb.acme.io")
                .with("WANDB_PUBLIC_BASE_URL", "https://pub.acme.io/")),
            "https://pub.acme.io/traces"
        );
        assert_eq!(
            url(FakeEnv::default()
                .with("WANDB_BASE_URL", "https://wandb.acme.io")
                .with("WF_TRACE_SERVER_URL", "http://127.0.0.1:9/")),
            "http://127.0.0.1:9"
        );
        assert_eq!(
            url(FakeEnv::default().with("HOME", "/h").file(
                "/h/.config/wandb/settings",
                "[default]\nbase_url = https://s.acme.io\n"
            )),
            "https://s.acme.io/traces"
        );
        assert_eq!(
            url(FakeEnv::default().with("WANDB_CONFIG_DIR", "/cfg").file(
                "/cfg/settings",
                "[other]\nbase_url=https://no\n[default]\nentity=x\n"
            )),
            "https://trace.wandb.ai"
        );
    }

    #[test]
    fn api_key_from_env_then_netrc() {
        let b = ClientBuilder::from_environment(&FakeEnv::default().with("WANDB_API_KEY", "k1"));
        assert_eq!(b.api_key.unwrap().expose(), "k1");
        let env = FakeEnv::default()
            .with("HOME", "/h")
            .with("WANDB_BASE_URL", "https://wandb.acme.io:8443")
            .file(
                "/h/.netrc",
                "machine api.wandb.ai login user password nope\nmachine wandb.acme.io:8443\n  login user\n  password k2\n",
            );
        assert_eq!(
            ClientBuilder::from_environment(&env)
                .api_key
                .unwrap()
                .expose(),
            "k2"
        );
        assert!(ClientBuilder::from_environment(&FakeEnv::default())
            .api_key
            .is_none());
    }

    #[test]
    fn timeouts_and_attempts_from_env() {
        let env = FakeEnv::default()
            .with("WEAVE_HTTP_TIMEOUT", "2.5")
            .with("WEAVE_RETRY_MAX_ATTEMPTS", "5");
        let b = ClientBuilder::from_environment(&env);
        assert_eq!(b.timeout, Duration::from_millis(2500));
        assert_eq!(b.max_retries, 4);
        let b =
            ClientBuilder::from_environment(&FakeEnv::default().with("WEAVE_HTTP_TIMEOUT", "nan"));
        assert_eq!(b.timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn api_key_never_in_debug() {
        let b = ClientBuilder::new().api_key("super-secret-key");
        assert!(!format!("{b:?}").contains("super-secret-key"));
    }

    #[test]
    fn plain_http_with_key_needs_loopback_or_opt_in() {
        let b = ClientBuilder::new().api_key("k");
        assert!(b
            .clone()
            .base_url("http://127.0.0.1:8000/")
            .validated_base_url()
            .is_ok());
        assert!(b
            .clone()
            .base_url("http://localhost:8000")
            .validated_base_url()
            .is_ok());
        assert!(b
            .clone()
            .base_url("http://[::1]:8000")
            .validated_base_url()
            .is_ok());
        let err = b
            .clone()
            .base_url("http://trace.example.com")
            .validated_base_url()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(b
            .clone()
            .base_url("http://trace.example.com")
            .allow_insecure_http(true)
            .validated_base_url()
            .is_ok());
        assert!(ClientBuilder::new()
            .base_url("http://trace.example.com")
            .validated_base_url()
            .is_ok());
        for bad in ["ftp://x", "trace.wandb.ai", "https://", "https:///path"] {
            assert!(
                b.clone().base_url(bad).validated_base_url().is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_base_urls_are_refused_at_build() {
        for good in [
            "http://127.0.0.1:8080",
            "http://[::1]:8080",
            "http://[::1]",
            "https://trace.wandb.ai",
            "https://h:443/traces/",
            "https://h:65535",
            "https://user@h:1/p?q=1#f",
        ] {
            assert!(
                ClientBuilder::new().base_url(good).build().is_ok(),
                "{good}"
            );
        }
        for bad in [
            "http://a:1:2",
            "http://h\tx",
            "http://h\n",
            "http://h x",
            "http://h\u{7f}",
            "http://h\u{a0}",
            "http://h:99999",
            "http://h:0",
            "http://h:",
            "http://h:8o",
            "http://h:+80",
            "http://[::1]x",
            "http://[::1]:",
            "http://[::1]:1:2",
            "http://h%zz",
        ] {
            let err = ClientBuilder::new().base_url(bad).build().unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad}: {err}");
            let shown = format!("{bad:?}");
            assert!(err.to_string().contains(&shown), "{bad}: {err}");
        }
    }

    #[test]
    fn max_response_bytes_defaults_to_64_mib_and_refuses_zero() {
        assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 64 * 1024 * 1024);
        assert_eq!(
            ClientBuilder::new().max_response_bytes,
            DEFAULT_MAX_RESPONSE_BYTES
        );
        assert!(ClientBuilder::new().max_response_bytes(1).build().is_ok());
        let err = ClientBuilder::new()
            .max_response_bytes(0)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(err.to_string().contains("max_response_bytes"), "{err}");
    }
}
