//! Requests create no threads. This test binary defines `pthread_create` itself, so every
//! thread the process starts (Rust's `std::thread::spawn` included) goes through a counter
//! before reaching the C library's; the count is exact, including threads that have already
//! ended (which a look at `/proc/self/task` afterwards would miss). Alone in its own binary so
//! that no other test's threads count. Linux with glibc only.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

mod common;

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use common::TestServer;
use weave_feedback::{ClientBuilder, NewFeedback};

static CREATED: AtomicUsize = AtomicUsize::new(0);

type CreateFn = unsafe extern "C" fn(*mut c_void, *const c_void, *mut c_void, *mut c_void) -> c_int;

extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}
/// glibc's `RTLD_NEXT`: the next definition after this executable's.
const RTLD_NEXT: *mut c_void = -1isize as *mut c_void;

/// Counts, then starts the thread with the C library's `pthread_create`.
///
/// # Safety
/// The C library's contract for `pthread_create`.
#[no_mangle]
pub unsafe extern "C" fn pthread_create(
    thread: *mut c_void,
    attr: *const c_void,
    start: *mut c_void,
    arg: *mut c_void,
) -> c_int {
    static REAL: OnceLock<usize> = OnceLock::new();
    CREATED.fetch_add(1, Ordering::SeqCst);
    let real = *REAL.get_or_init(|| {
        // SAFETY: a NUL-terminated name; RTLD_NEXT finds the C library's definition.
        let p = unsafe { dlsym(RTLD_NEXT, c"pthread_create".as_ptr()) };
        assert!(!p.is_null(), "no pthread_create after this one");
        p as usize
    });
    // SAFETY: `real` is the C library's pthread_create, which has this signature.
    unsafe { std::mem::transmute::<usize, CreateFn>(real)(thread, attr, start, arg) }
}

#[test]
fn sequential_adds_batches_and_queries_create_no_thread() {
    // The counter sees threads: one started here must count (else the test proves nothing).
    let before = CREATED.load(Ordering::SeqCst);
    std::thread::spawn(|| {}).join().unwrap();
    assert_eq!(
        CREATED.load(Ordering::SeqCst),
        before + 1,
        "the counter works"
    );

    let srv = TestServer::start();
    // A name, not an IP literal: the resolver's path with a lookup (once, then cached).
    let url = srv.base_url.replace("127.0.0.1", "localhost");
    let client = ClientBuilder::new().base_url(&url).build().unwrap();
    let mut q = client
        .ref_feedback_query("weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd")
        .unwrap();

    // With an outbox too: adds queue in SQLite, try once, and a flush sends the rest.
    #[cfg(feature = "local-store")]
    let dir = std::env::temp_dir().join(format!("wf-no-threads-{}", std::process::id()));
    #[cfg(feature = "local-store")]
    let outbox = ClientBuilder::new()
        .base_url(&url)
        .outbox(dir.join("outbox.db"))
        .build()
        .unwrap();

    let before = CREATED.load(Ordering::SeqCst);
    let n = 50;
    for i in 0..n {
        q.add_note(&format!("note {i}"), None).unwrap();
    }
    q.add_batch(
        (0..10)
            .map(|i| NewFeedback::note(format!("b{i}")))
            .collect(),
    )
    .unwrap();
    #[cfg(feature = "local-store")]
    {
        let mut oq = outbox
            .ref_feedback_query("weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd")
            .unwrap();
        for i in 0..n {
            oq.add_note(&format!("queued {i}"), None).unwrap();
        }
        outbox.flush(std::time::Duration::from_secs(30)).unwrap();
        assert_eq!(outbox.outbox_counters().delivered, n as u64);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let outbox_rows = if cfg!(feature = "local-store") { n } else { 0 };
    assert_eq!(q.refresh().unwrap().len(), n + 10 + outbox_rows);
    let created = CREATED.load(Ordering::SeqCst) - before;
    assert_eq!(
        created, 0,
        "{created} threads were created by {n} adds, a batch, a query and (with the \
         local store) {n} outbox adds and a flush"
    );
}
