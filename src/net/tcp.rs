//! Plain TCP connections: the connector, and the connection that sends a request in one write.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ureq::unversioned::resolver::ResolvedSocketAddrs;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};

use super::probe::probe;
use super::resolve::Names;
use super::timeout::{io_error, io_with_timeout, step_timeout};

/// Request bytes gathered before they are written even though more are coming.
const MAX_PENDING: usize = 64 * 1024;

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
