//! The builder checked into [`Settings`]: the base URL's rules (scheme, host, port, the API
//! key only over https or to loopback), the backend it selects, and positive limits.

use std::time::Duration;

use super::{ApiKey, ClientBuilder, MEMORY_URL};
use crate::error::{Error, Result};

impl ClientBuilder {
    /// The settings, checked: what the transport is made from.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_MAX_RESPONSE_BYTES;

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
