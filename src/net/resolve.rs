//! Name resolution on the calling thread, with a small cache of looked-up names.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ureq::config::{Config, IpFamily};
use ureq::http::Uri;
use ureq::unversioned::resolver::ResolvedSocketAddrs;
use ureq::unversioned::transport::NextTimeout;

/// How long a looked-up name is used before it is looked up again.
pub(crate) const NAME_TTL: Duration = Duration::from_secs(60);
/// Names kept at most (a client talks to one host; proxies and redirects are not followed).
const MAX_NAMES: usize = 8;
/// Addresses kept per name (the capacity of `ureq`'s address list).
const MAX_ADDRS: usize = 16;

/// Looked-up names, shared by the resolver (which fills it) and the connector (which forgets
/// them when a connect fails).
#[derive(Debug, Default)]
pub(crate) struct Names {
    entries: Mutex<Vec<Name>>,
    lookups: AtomicU64,
}

#[derive(Debug)]
struct Name {
    host: String,
    port: u16,
    addrs: ResolvedSocketAddrs,
    at: Instant,
}

impl Names {
    fn entries(&self) -> MutexGuard<'_, Vec<Name>> {
        // A panic cannot leave the list inconsistent (entries are pushed or removed whole).
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cached(&self, host: &str, port: u16) -> Option<ResolvedSocketAddrs> {
        let mut entries = self.entries();
        entries.retain(|n| n.at.elapsed() < NAME_TTL);
        entries
            .iter()
            .find(|n| n.port == port && n.host == host)
            .map(|n| n.addrs.clone())
    }

    fn store(&self, host: &str, port: u16, addrs: &ResolvedSocketAddrs) {
        let mut entries = self.entries();
        entries.retain(|n| !(n.port == port && n.host == host));
        if entries.len() >= MAX_NAMES {
            entries.remove(0);
        }
        entries.push(Name {
            host: host.to_string(),
            port,
            addrs: addrs.clone(),
            at: Instant::now(),
        });
    }

    /// Forgets every name: the next request looks its host up again.
    pub(crate) fn forget(&self) {
        self.entries().clear();
    }

    /// How many lookups were made (IP literals and cache hits make none).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }
}

/// `ureq`'s name resolution, on the calling thread, with the cache in [`Names`].
///
/// The system resolver (`getaddrinfo`) cannot be interrupted, so a lookup is not bounded by the
/// request's timeout; the attempt that made it still is, from its next step on.
#[derive(Debug)]
pub(crate) struct Resolver {
    names: Arc<Names>,
}

impl Resolver {
    pub(crate) fn new(names: Arc<Names>) -> Resolver {
        Resolver { names }
    }
}

/// The host (brackets of an IPv6 literal removed) and port a URI connects to.
fn host_and_port(uri: &Uri) -> Result<(&str, u16), ureq::Error> {
    let bad = |what: &str| ureq::Error::BadUri(format!("{what}: {uri}"));
    let authority = uri.authority().ok_or_else(|| bad("no host"))?;
    let default_port = match uri.scheme_str() {
        Some("http") => 80,
        Some("https") => 443,
        _ => return Err(bad("unknown scheme")),
    };
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok((host, authority.port_u16().unwrap_or(default_port)))
}

impl ureq::unversioned::resolver::Resolver for Resolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (host, port) = host_and_port(uri)?;
        let family = config.ip_family();
        let mut out = self.empty();
        if let Ok(ip) = host.parse::<IpAddr>() {
            out.push(SocketAddr::new(ip, port));
        } else if let Some(addrs) = self.names.cached(host, port) {
            out = addrs;
        } else {
            self.names.lookups.fetch_add(1, Ordering::Relaxed);
            let found = (host, port)
                .to_socket_addrs()
                .map_err(|_| ureq::Error::HostNotFound)?;
            for addr in found.take(MAX_ADDRS) {
                out.push(addr);
            }
            if !out.is_empty() {
                self.names.store(host, port, &out);
            }
        }
        let mut wanted = self.empty();
        for addr in out.iter().filter(|a| match family {
            IpFamily::Ipv4Only => a.is_ipv4(),
            IpFamily::Ipv6Only => a.is_ipv6(),
            _ => true,
        }) {
            wanted.push(*addr);
        }
        if wanted.is_empty() {
            Err(ureq::Error::HostNotFound)
        } else {
            Ok(wanted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::resolver::Resolver as _;

    fn resolve(r: &Resolver, url: &str) -> Result<Vec<SocketAddr>, ureq::Error> {
        let uri: Uri = url.parse().unwrap();
        r.resolve(&uri, &Config::default(), NextTimeout::default())
            .map(|a| a.iter().copied().collect())
    }

    #[test]
    fn ip_literals_need_no_lookup() {
        let names = Arc::new(Names::default());
        let r = Resolver::new(names.clone());
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8080/x").unwrap(),
            ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "https://[::1]/x").unwrap(),
            ["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(names.lookups(), 0);
    }

    #[test]
    fn names_are_looked_up_once_then_again_after_forget() {
        let names = Arc::new(Names::default());
        let r = Resolver::new(names.clone());
        let first = resolve(&r, "http://localhost:4242/a").unwrap();
        assert!(first
            .iter()
            .all(|a| a.port() == 4242 && a.ip().is_loopback()));
        assert_eq!(resolve(&r, "http://localhost:4242/b").unwrap(), first);
        assert_eq!(names.lookups(), 1, "the second request used the cache");
        resolve(&r, "http://localhost:4243/b").unwrap();
        assert_eq!(names.lookups(), 2, "another port is another entry");
        names.forget();
        resolve(&r, "http://localhost:4242/c").unwrap();
        assert_eq!(names.lookups(), 3, "looked up again after a failed connect");
    }

    #[test]
    fn unknown_hosts_and_schemes_fail() {
        let r = Resolver::new(Arc::default());
        assert!(matches!(
            resolve(&r, "http://no-such-host.invalid/"),
            Err(ureq::Error::HostNotFound)
        ));
        assert!(matches!(
            resolve(&r, "ftp://127.0.0.1/"),
            Err(ureq::Error::BadUri(_))
        ));
    }
}
