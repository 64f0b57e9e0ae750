//! The environment a [`ClientBuilder`](super::ClientBuilder) is resolved from, as Weave's SDK
//! resolves it (`weave/trace/env.py` and `wandb`'s settings and netrc lookup).

use std::path::{Path, PathBuf};

use super::DEFAULT_TRACE_SERVER_URL;

const DEFAULT_WANDB_BASE_URL: &str = "https://api.wandb.ai";

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
pub(super) fn resolve_urls(env: &dyn Environment) -> (String, String) {
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

pub(super) fn resolve_api_key(env: &dyn Environment, wandb_base: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClientBuilder, DEFAULT_TIMEOUT};
    use std::time::Duration;

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
}
