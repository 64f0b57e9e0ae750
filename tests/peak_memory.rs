//! Peak memory of decoding one query answer, read from `VmHWM` in `/proc/self/status`. Alone
//! in its own test binary (one process, one test), so no other test's allocations count.

use weave_feedback::Feedbacks;

const ROW: &str = r#"{"id":"0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f","project_id":"acme/chatbot","weave_ref":"weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd","creator":"Dana","feedback_type":"wandb.note.1","payload":{"note":"a reasonably sized note about this call"},"annotation_ref":null,"runnable_ref":null,"call_ref":null,"trigger_ref":null,"queue_id":null,"wb_user_id":"VXNlcjo0MjQy","created_at":"2025-03-14T09:26:53.589000"}"#;

/// The process's peak resident memory so far, in bytes; `None` off Linux.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[test]
fn decoding_an_answer_does_not_take_ten_times_its_size() {
    let rows = 20 * 1024 * 1024 / ROW.len();
    let prefix = br#"{"result":["#;
    // Built in place at its final size, so building it adds no peak of its own.
    let mut body = Vec::with_capacity(prefix.len() + rows * (ROW.len() + 1) + 2);
    body.extend_from_slice(prefix);
    for i in 0..rows {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(ROW.as_bytes());
    }
    body.extend_from_slice(b"]}");
    let Some(before) = peak_rss() else {
        eprintln!("no /proc/self/status: skipped");
        return;
    };
    let decoded = Feedbacks::from_query_response(&body, false).unwrap();
    let after = peak_rss().unwrap();
    assert_eq!(decoded.len(), rows);
    let ratio = after.saturating_sub(before) as f64 / body.len() as f64;
    eprintln!(
        "answer {} bytes, {rows} rows: peak grew by {ratio:.2}x the answer",
        body.len()
    );
    // Measured on glibc with these small rows: about 2.8x (the rows themselves: many short
    // strings and a map per row), on top of the answer itself; building a serde_json::Value
    // tree of the whole answer first took about 8.7x. Rows with larger payloads cost less.
    assert!(ratio < 3.5, "decoding took {ratio:.2}x the answer's size");
}
