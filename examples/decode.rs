//! Decoding cost of a captured `/feedback/query` answer, for counting instructions with
//! callgrind (`bench/callgrind.sh` drives it). Nothing here measures time.
//!
//! ```sh
//! decode <ignored|rows|scan|copy> <count> <body.json>
//! #   ignored  serde_json over the body into IgnoredAny: the cost of merely reading the JSON
//! #   rows     Feedbacks::from_query_response: this library's decoding
//! #   scan     the fast path the C handle reads (a copy of the body, then the scan)
//! #   copy     only the copy of the body (to subtract from scan)
//! ```
//! Run once with count 0 and once with count N; the difference over N is the cost of one
//! decode.

use weave_feedback::Feedbacks;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, count, path] = args.as_slice() else {
        return Err("usage: decode <ignored|rows|scan|copy> <count> <body.json>".into());
    };
    let count: usize = count.parse()?;
    let body = std::fs::read(path)?;
    let mut rows = 0usize;
    for _ in 0..count {
        match op.as_str() {
            "ignored" => {
                serde_json::from_slice::<serde::de::IgnoredAny>(&body)?;
                rows += 1;
            }
            "rows" => rows += Feedbacks::from_query_response(&body, false)?.len(),
            "copy" => rows += usize::from(!std::hint::black_box(body.clone()).is_empty()),
            "scan" => {
                rows += weave_feedback::feedback::scan_count(body.clone())
                    .ok_or("the scan declined the answer")?
            }
            other => return Err(format!("unknown operation {other:?}").into()),
        }
    }
    println!("rows {rows}");
    Ok(())
}
