//! The sockets under the HTTP agent, plugged into `ureq` through its resolver and connector
//! seams so that a request on a kept-alive connection costs what the wire costs:
//!
//! - [`Resolver`]: names are looked up on the calling thread (no thread per request, as `ureq`'s
//!   default resolver spawns whenever a timeout is set), IP literals without any lookup, and
//!   answers are cached for [`NAME_TTL`] or until a connect to them fails.
//! - [`TcpConnector`] and its [`TcpTransport`]: a request is sent in one write (head and body
//!   together), socket timeouts are set only when the wanted value moved by more than a small
//!   slack, and a pooled connection is checked with one non-blocking peek.
//!
//! TLS (`https://`) and CONNECT proxies are `ureq`'s own connectors, chained around these.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use ureq::config::{Config, IpFamily};
use ureq::http::Uri;
use ureq::unversioned::resolver::ResolvedSocketAddrs;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};

/// How long a looked-up name is used before it is looked up again.
pub(crate) const NAME_TTL: Duration = Duration::from_secs(60);
/// Names kept at most (a client talks to one host; proxies and redirects are not followed).
const MAX_NAMES: usize = 8;
/// Request bytes gathered before they are written even though more are coming.
const MAX_PENDING: usize = 64 * 1024;
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

/// Opens plain TCP connections (the first link of `ureq`'s connector chain).
#[derive(Debug)]
pub(crate) struct TcpConnector {
    names: Arc<Names>,
}

impl TcpConnector {
    pub(crate) fn new(names: Arc<Names>) -> TcpConnector {
        TcpConnector { names }
    }
}

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if let Some(transport) = chained {
            // A proxy connector already made the connection.
            return Ok(Some(Either::A(transport)));
        }
        let stream = connect(&details.addrs, details.timeout).inspect_err(|_| {
            // The name may point somewhere else now: look it up again next time.
            self.names.forget();
        })?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let transport = TcpTransport {
            stream: Arc::new(stream),
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            pending: Vec::new(),
            read_timeout: None,
            write_timeout: None,
        };
        (details.register_shutdown)(Arc::downgrade(&transport.stream) as Weak<dyn ShutdownHandle>)?;
        Ok(Some(Either::B(transport)))
    }
}

/// Connects to the first address that answers, sharing the connect timeout between them.
fn connect(addrs: &ResolvedSocketAddrs, timeout: NextTimeout) -> Result<TcpStream, ureq::Error> {
    let start = Instant::now();
    let total = timeout.not_zero().map(|d| *d);
    let mut last = None;
    for (i, addr) in addrs.iter().enumerate() {
        let result = match total {
            None => TcpStream::connect(addr),
            Some(total) => {
                let left = total.saturating_sub(start.elapsed());
                if left.is_zero() {
                    return Err(ureq::Error::Timeout(timeout.reason));
                }
                let share = left / u32::try_from(addrs.len() - i).unwrap_or(u32::MAX);
                TcpStream::connect_timeout(addr, share.max(Duration::from_millis(10)))
            }
        };
        match result {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e)
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            ureq::Error::Timeout(timeout.reason)
        }
        Some(e) => ureq::Error::Io(e),
        None => ureq::Error::HostNotFound,
    })
}

/// One TCP connection. Request bytes are gathered and written when the answer is awaited (or
/// once [`MAX_PENDING`] have gathered), so a request is one `write`.
#[derive(Debug)]
pub(crate) struct TcpTransport {
    /// In an `Arc` so that `ureq`'s shutdown handle can share it.
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    pending: Vec<u8>,
    /// The socket's timeouts as last set (`None`: blocking without a timeout).
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

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
fn io_with_timeout<T>(
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
fn step_timeout(timeout: NextTimeout) -> Result<Option<Duration>, ureq::Error> {
    if timeout.after.is_zero() {
        return Err(ureq::Error::Timeout(timeout.reason));
    }
    Ok(timeout.not_zero().map(|d| *d))
}

fn io_error(e: io::Error, timeout: NextTimeout) -> ureq::Error {
    if matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        ureq::Error::Timeout(timeout.reason)
    } else {
        ureq::Error::Io(e)
    }
}

impl TcpTransport {
    /// Writes the gathered request bytes.
    fn flush(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let timeout = timeout.for_write();
        let want = step_timeout(timeout)?;
        let mut written = 0;
        while written < self.pending.len() {
            let rest = &self.pending[written..];
            let n = io_with_timeout(
                &self.stream,
                &mut self.write_timeout,
                want,
                TcpStream::set_write_timeout,
                |mut s| s.write(rest),
            )
            .map_err(|e| io_error(e, timeout))?;
            if n == 0 {
                return Err(ureq::Error::Io(io::ErrorKind::WriteZero.into()));
            }
            written += n;
        }
        self.pending.clear();
        if self.pending.capacity() > MAX_PENDING * 2 {
            self.pending = Vec::new();
        }
        Ok(())
    }
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        step_timeout(timeout.for_write())?;
        self.pending
            .extend_from_slice(&self.buffers.output()[..amount]);
        if self.pending.len() >= MAX_PENDING {
            self.flush(timeout)?;
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush(timeout)?;
        let timeout = timeout.for_read();
        let want = step_timeout(timeout)?;
        let input = self.buffers.input_append_buf();
        let n = io_with_timeout(
            &self.stream,
            &mut self.read_timeout,
            want,
            TcpStream::set_read_timeout,
            |mut s| s.read(input),
        )
        .map_err(|e| io_error(e, timeout))?;
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    fn is_open(&mut self) -> bool {
        self.pending.is_empty() && probe(&self.stream)
    }
}

/// Whether an idle connection is still usable: nothing to read and not closed. One
/// non-blocking peek on Linux.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn probe(stream: &TcpStream) -> bool {
    use std::os::fd::AsRawFd;
    extern "C" {
        fn recv(fd: i32, buf: *mut u8, len: usize, flags: i32) -> isize;
    }
    const MSG_PEEK: i32 = 0x2;
    const MSG_DONTWAIT: i32 = 0x40;
    let mut byte = [0u8; 1];
    // SAFETY: `recv` writes at most 1 byte into `byte`; the descriptor is owned by `stream`,
    // which outlives the call.
    let n = unsafe {
        recv(
            stream.as_raw_fd(),
            byte.as_mut_ptr(),
            1,
            MSG_PEEK | MSG_DONTWAIT,
        )
    };
    // 0: closed by the peer; > 0: bytes nobody asked for. Either way the connection is done.
    n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
}

/// Whether an idle connection is still usable (portable form: three syscalls).
#[cfg(not(target_os = "linux"))]
fn probe(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let idle =
        matches!((&*stream).read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    stream.set_nonblocking(false).is_ok() && idle
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

    #[test]
    fn probe_tells_idle_from_closed_and_from_unread_bytes() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        assert!(probe(&client), "idle connection");
        server.write_all(b"x").unwrap();
        // The byte is in flight; a blocking peek waits for it without consuming it.
        let mut b = [0u8; 1];
        client.peek(&mut b).unwrap();
        assert!(!probe(&client), "unread bytes");
        let mut c = &client;
        c.read_exact(&mut b).unwrap();
        assert!(probe(&client), "idle again");
        drop(server);
        // Wait for the close to arrive (a blocking peek returns 0 at end of stream).
        assert_eq!(client.peek(&mut b).unwrap(), 0);
        assert!(!probe(&client), "closed by the peer");
    }
}
