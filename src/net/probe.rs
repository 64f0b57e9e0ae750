//! Whether an idle pooled connection is still usable before a request is sent on it.

use std::io;
#[cfg(not(target_os = "linux"))]
use std::io::Read;
use std::net::TcpStream;

/// Whether an idle connection is still usable: nothing to read and not closed. One
/// non-blocking peek on Linux.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(super) fn probe(stream: &TcpStream) -> bool {
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
pub(super) fn probe(stream: &TcpStream) -> bool {
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
    use std::io::{Read, Write};

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
