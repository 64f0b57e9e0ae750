//! Two processes adding to one local store file at once: every row is stored exactly once.
//!
//! The test binary runs itself twice as a child (`WF_MP_CHILD=<tag>`); each child opens the
//! file, waits for a line on stdin so both start writing together, adds rows one by one and in
//! batches, and prints the ids it got back.
#![cfg(feature = "local-store")]

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::{Command, Stdio};

use serde_json::json;
use weave_feedback::{ClientBuilder, NewFeedback};

const CALL: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";
const SINGLE: usize = 150;
const BATCHES: usize = 10;
const BATCH: usize = 20;

fn child(tag: &str, url: &str) {
    let client = ClientBuilder::new().base_url(url).build().unwrap();
    let mut q = client.ref_feedback_query(CALL).unwrap();
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut go = String::new();
    std::io::stdin().lock().read_line(&mut go).unwrap();
    let mut ids = Vec::new();
    for i in 0..SINGLE {
        let p = json!({"from": tag, "i": i}).as_object().unwrap().clone();
        ids.push(q.add(NewFeedback::custom("mp", p)).unwrap());
    }
    for b in 0..BATCHES {
        let items = (0..BATCH)
            .map(|i| {
                NewFeedback::custom(
                    "mp",
                    json!({"from": tag, "b": b, "i": i})
                        .as_object()
                        .unwrap()
                        .clone(),
                )
            })
            .collect();
        ids.extend(q.add_batch(items).unwrap());
    }
    for id in ids {
        println!("{id}");
    }
}

#[test]
fn two_processes_add_to_one_file_and_every_row_is_there_once() {
    if let Ok(tag) = std::env::var("WF_MP_CHILD") {
        child(&tag, &std::env::var("WF_MP_URL").unwrap());
        return;
    }
    let dir = std::env::temp_dir().join(format!("wf-mp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = format!("sqlite://{}", dir.join("new/feedback.db").display());
    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<_> = ["a", "b"]
        .iter()
        .map(|tag| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "two_processes_add_to_one_file_and_every_row_is_there_once",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("WF_MP_CHILD", tag)
                .env("WF_MP_URL", &url)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Both have opened (and one has created and migrated) the file; let them go together.
    let mut outs = Vec::new();
    for c in &mut children {
        let mut r = std::io::BufReader::new(c.stdout.take().unwrap());
        let mut line = String::new();
        while !line.trim_end().ends_with("ready") {
            line.clear();
            assert!(
                r.read_line(&mut line).unwrap() > 0,
                "child ended before it was ready"
            );
        }
        outs.push(r);
    }
    for c in &mut children {
        writeln!(c.stdin.as_mut().unwrap(), "go").unwrap();
    }
    let mut returned = Vec::new();
    for (c, mut r) in children.into_iter().zip(outs) {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut r, &mut text).unwrap();
        let status = {
            let mut c = c;
            c.wait().unwrap()
        };
        assert!(status.success(), "child failed: {text}");
        returned.extend(text.lines().filter(|l| l.len() == 36).map(str::to_string));
    }
    let per_child = SINGLE + BATCHES * BATCH;
    assert_eq!(returned.len(), 2 * per_child);

    let client = ClientBuilder::new().base_url(&url).build().unwrap();
    let rows = client.ref_feedback_query(CALL).unwrap().execute().unwrap();
    let mut count: HashMap<String, usize> = HashMap::new();
    for r in rows.iter() {
        *count.entry(r.id.clone()).or_default() += 1;
    }
    assert_eq!(rows.len(), 2 * per_child, "rows stored");
    for id in &returned {
        assert_eq!(count.get(id), Some(&1), "id {id} stored once");
    }
    for tag in ["a", "b"] {
        let n = rows.iter().filter(|r| r.payload["from"] == tag).count();
        assert_eq!(n, per_child, "rows of process {tag}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
