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
//! The last line printed is `rows <N>`: the rows the operations touched, so the driver can check
//! every client did the same work.

use weave_feedback::{Client, NewFeedback};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, count, target, rest @ ..] = args.as_slice() else {
        return Err("usage: bench <adds|batch|query|walk|seed> <count> <target> [size]".into());
    };
    let count: usize = count.parse()?;
    let size: Option<usize> = rest.first().map(|s| s.parse()).transpose()?;
    let client = Client::from_env()?;
    let mut rows = 0usize;
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
    println!("rows {rows}");
    Ok(())
}
