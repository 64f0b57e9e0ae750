//! The Rust side of the benchmark (`bench/run.sh` drives it, with the C, Python and curl
//! clients beside it). One process does one kind of operation `count` times against the server
//! in `WF_TRACE_SERVER_URL`; the driver measures the process from outside (wall time,
//! `getrusage`, `strace -c`), once with `count = 0` (start-up only) and once with `count = K`,
//! and divides the difference by K. Nothing here measures or asserts on time.
//!
//! ```sh
//! bench <adds|batch|query|walk|seed> <count> <target> [size]
//! #   adds  <n> <call ref>            n sequential add_note calls on one kept-alive connection
//! #   batch <n> <call ref> [1000]     n batches of `size` notes, one request each
//! #   query <n> <call ref>            n queries of every row on the ref (refresh)
//! #   walk  <n> <entity/project> [p]  n walks of every row of the project, pages of p rows
//! #   seed  <n> <call ref> [5000]     adds n rows fast, in batches of `size` (preparation)
//! ```
//!
//! It prints `time <wall s> <cpu s>` for the operations alone (wall clock, and the process's
//! user + system time from `getrusage`), then `rows <N>`: the rows the operations touched, so
//! the driver can check every client did the same work.

use std::time::Instant;

use weave_feedback::{Client, NewFeedback};

/// The process's user + system CPU time so far, in seconds (`getrusage(RUSAGE_SELF)`).
#[cfg(target_os = "linux")]
fn cpu_seconds() -> f64 {
    #[repr(C)]
    struct Rusage {
        utime: [i64; 2],
        stime: [i64; 2],
        rest: [i64; 14],
    }
    extern "C" {
        fn getrusage(who: i32, usage: *mut Rusage) -> i32;
    }
    let mut u = Rusage {
        utime: [0; 2],
        stime: [0; 2],
        rest: [0; 14],
    };
    // SAFETY: RUSAGE_SELF (0) and a struct with the layout of Linux's 64-bit `struct rusage`.
    unsafe { getrusage(0, &mut u) };
    let tv = |t: [i64; 2]| t[0] as f64 + t[1] as f64 / 1e6;
    tv(u.utime) + tv(u.stime)
}

#[cfg(not(target_os = "linux"))]
fn cpu_seconds() -> f64 {
    0.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, count, target, rest @ ..] = args.as_slice() else {
        return Err("usage: bench <adds|batch|query|walk|seed> <count> <target> [size]".into());
    };
    let count: usize = count.parse()?;
    let size: Option<usize> = rest.first().map(|s| s.parse()).transpose()?;
    let client = Client::from_env()?;
    let mut rows = 0usize;
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    match op.as_str() {
        "adds" => {
            let mut q = client.ref_feedback_query(target)?;
            for i in 0..count {
                q.add_note(&format!("note {i}"), None)?;
                rows += 1;
            }
        }
        "batch" | "seed" => {
            let mut q = client.ref_feedback_query(target)?;
            let (size, batches) = if op == "seed" {
                let size = size.unwrap_or(5000);
                (size, count.div_ceil(size))
            } else {
                (size.unwrap_or(1000), count)
            };
            for b in 0..batches {
                let n = if op == "seed" {
                    size.min(count - b * size)
                } else {
                    size
                };
                let items = (0..n)
                    .map(|i| NewFeedback::note(format!("batch {b} item {i}")))
                    .collect();
                rows += q.add_batch(items)?.len();
            }
        }
        "query" => {
            let mut q = client.ref_feedback_query(target)?;
            for _ in 0..count {
                rows += q.refresh()?.len();
            }
        }
        "walk" => {
            let (entity, project) = target.split_once('/').ok_or("walk takes entity/project")?;
            let q = client.feedback_query(entity, project)?;
            for _ in 0..count {
                for page in q.pages(size.unwrap_or(1000))? {
                    rows += page?.len();
                }
            }
        }
        other => return Err(format!("unknown operation {other:?}").into()),
    }
    println!(
        "time {} {}",
        wall.elapsed().as_secs_f64(),
        cpu_seconds() - cpu
    );
    println!("rows {rows}");
    Ok(())
}
