//! A small benchmark: sequential adds, one batch, and a query of all rows, against the server in
//! `WF_TRACE_SERVER_URL` (run `examples/bench.sh` to start Weave's server logic locally).
//! Prints wall-clock numbers; nothing here asserts on time.
//!
//! ```sh
//! examples/bench.sh 500      # 500 single adds, a batch of 500, then queries
//! ```

use std::time::Instant;

use weave_feedback::{Client, NewFeedback};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(200);
    let client = Client::from_env()?;
    let call = format!(
        "weave:///bench/bench/call/{}",
        weave_feedback::new_uuid_v7()
    );
    let mut q = client.ref_feedback_query(&call)?;

    let t = Instant::now();
    for i in 0..n {
        q.add_note(&format!("note {i}"), None)?;
    }
    let single = t.elapsed();
    println!(
        "{n} sequential adds: {:.3} s ({:.2} ms per add)",
        single.as_secs_f64(),
        single.as_secs_f64() * 1000.0 / n as f64
    );

    let items: Vec<NewFeedback> = (0..n)
        .map(|i| NewFeedback::note(format!("batch {i}")))
        .collect();
    let t = Instant::now();
    q.add_batch(items)?;
    let batch = t.elapsed();
    println!(
        "one batch of {n}: {:.3} s ({:.3} ms per item)",
        batch.as_secs_f64(),
        batch.as_secs_f64() * 1000.0 / n as f64
    );

    let t = Instant::now();
    let rows = q.refresh()?;
    let query = t.elapsed();
    println!("query of {} rows: {:.3} s", rows.len(), query.as_secs_f64());
    assert_eq!(rows.len(), 2 * n, "every add is stored exactly once");

    let t = Instant::now();
    let table = rows.format_table();
    let json = rows.to_json();
    println!(
        "table ({} bytes) and JSON ({} bytes) of {} rows: {:.3} ms",
        table.len(),
        json.len(),
        rows.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
