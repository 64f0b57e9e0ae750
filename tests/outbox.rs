//! The durable outbox against Weave's server logic: outages, a crash in the middle of a flush,
//! a row the server refuses, a full outbox, and two processes sharing one outbox file.
//!
//! The crash and the two-process tests run this test binary again as a child
//! (`WF_OUTBOX_CHILD=<mode>`), as `tests/multi_process.rs` does.
#![cfg(feature = "local-store")]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::fixtures::{assert_same_ids, client, rows, CALL};
use common::TestServer;
use serde_json::json;
use weave_feedback::{Client, ClientBuilder, ErrorKind, NewFeedback};

/// A fresh directory for one test's outbox file.
fn outbox_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wf-outbox-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A client of `url` queueing in the outbox at `path`, with millisecond retry backoff.
fn outbox_builder(url: &str, path: &Path) -> ClientBuilder {
    ClientBuilder::new()
        .base_url(url)
        .retry_base_delay(Duration::from_millis(1))
        .retry_max_delay(Duration::from_millis(20))
        .outbox(path)
}

/// The URL of a port where a server was and is no more: connections are refused.
fn server_gone() -> (String, u16) {
    let mut srv = TestServer::start();
    srv.kill();
    (srv.base_url.clone(), srv.port)
}

fn score(i: usize) -> NewFeedback {
    NewFeedback::custom("score", json!({"i": i}).as_object().unwrap().clone())
}

/// Queues `n` rows in the outbox at `path` while no server answers; returns their ids.
fn queue_offline(path: &Path, n: usize) -> Vec<String> {
    let (url, _) = server_gone();
    let c = outbox_builder(&url, path).build().unwrap();
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let ids: Vec<String> = (0..n).map(|i| q.add(score(i)).unwrap()).collect();
    assert_eq!(c.outbox_pending().unwrap(), n as u64);
    ids
}

/// Every id in `ids` is stored exactly once, and nothing else is.
fn assert_each_once(c: &Client, ids: &[String]) {
    let stored = rows(c);
    let mut count: HashMap<&str, usize> = HashMap::new();
    for r in &stored {
        *count.entry(r.id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    assert_same_ids(&stored, ids);
}

#[test]
fn server_down_adds_return_ok_and_one_flush_delivers_every_row_once() {
    let dir = outbox_dir("down");
    let path = dir.join("outbox.db");
    let (url, port) = server_gone();
    let c = outbox_builder(&url, &path).build().unwrap();
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let started = Instant::now();
    let ids: Vec<String> = (0..1000).map(|i| q.add(score(i)).unwrap()).collect();
    eprintln!("1000 adds with the server down: {:?}", started.elapsed());
    assert_eq!(c.outbox_pending().unwrap(), 1000);

    let srv = TestServer::start_on_port(port);
    let started = Instant::now();
    c.flush(Duration::from_secs(120)).unwrap();
    eprintln!("flush of 1000 rows: {:?}", started.elapsed());
    assert_eq!(c.outbox_pending().unwrap(), 0);
    assert_each_once(&client(&srv), &ids);
    // In batches of 500, not one request per row.
    assert_eq!(srv.request_count("/feedback/batch/create"), 2);
    assert_eq!(srv.request_count("/feedback/create"), 0);
    let n = c.outbox_counters();
    assert_eq!((n.queued, n.delivered, n.dead), (1000, 1000, 0), "{n:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn with_the_server_up_an_add_is_delivered_at_once() {
    let dir = outbox_dir("up");
    let srv = TestServer::start();
    let c = outbox_builder(&srv.base_url, &dir.join("outbox.db"))
        .build()
        .unwrap();
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let id = q.add_note("queued, then sent", None).unwrap();
    assert_eq!(c.outbox_pending().unwrap(), 0);
    assert_each_once(&client(&srv), &[id]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_row_the_server_refuses_inside_a_batch_is_a_dead_letter_and_the_others_are_delivered() {
    let dir = outbox_dir("dead");
    let srv = TestServer::start();
    let c = outbox_builder(&srv.base_url, &dir.join("outbox.db"))
        .build()
        .unwrap();
    let mut q = c.ref_feedback_query(CALL).unwrap();
    // Two emoji pass the client's check (one emoji present) and the server refuses them.
    let items: Vec<NewFeedback> = (0..20)
        .map(|i| match i {
            7 => NewFeedback::reaction("👍👍"),
            i => score(i),
        })
        .collect();
    let ids = q.add_batch(items).unwrap();
    assert_eq!(c.outbox_pending().unwrap(), 0);
    let dead = c.outbox_dead_letters().unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].id, ids[7]);
    assert_eq!(dead[0].http_status, 400);
    assert!(dead[0].reason.contains("emoji"), "{}", dead[0].reason);
    assert!(dead[0].request.contains("👍👍"), "{}", dead[0].request);
    let others: Vec<String> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 7)
        .map(|(_, id)| id.clone())
        .collect();
    assert_each_once(&client(&srv), &others);
    let n = c.outbox_counters();
    assert_eq!((n.queued, n.delivered, n.dead), (20, 19, 1), "{n:?}");
    // A flush does not send it again; purging removes it.
    c.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(c.outbox_dead_letters().unwrap().len(), 1);
    assert_eq!(c.outbox_purge_dead_letters(&[]).unwrap(), 1);
    assert!(c.outbox_dead_letters().unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_full_outbox_refuses_the_add_with_a_clear_status_and_loses_nothing() {
    let dir = outbox_dir("full");
    let path = dir.join("outbox.db");
    let (url, port) = server_gone();
    let c = outbox_builder(&url, &path)
        .outbox_max_rows(5)
        .build()
        .unwrap();
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let ids: Vec<String> = (0..5).map(|i| q.add(score(i)).unwrap()).collect();
    let e = q.add(score(5)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutboxFull, "{e}");
    assert!(e.to_string().contains("maximum is 5"), "{e}");
    let e = q.add_batch(vec![score(6), score(7)]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutboxFull, "{e}");
    assert_eq!(c.outbox_pending().unwrap(), 5);

    let srv = TestServer::start_on_port(port);
    c.flush(Duration::from_secs(60)).unwrap();
    assert_each_once(&client(&srv), &ids);
    // Room again.
    let id = q.add(score(8)).unwrap();
    assert_eq!(c.outbox_pending().unwrap(), 0);
    assert!(rows(&client(&srv)).iter().any(|r| r.id == id));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn refused_credentials_keep_the_rows_queued() {
    let dir = outbox_dir("auth");
    let path = dir.join("outbox.db");
    let srv = TestServer::start_with_api_key("right-key");
    let wrong = outbox_builder(&srv.base_url, &path)
        .api_key("wrong-key")
        .build()
        .unwrap();
    let id = wrong
        .ref_feedback_query(CALL)
        .unwrap()
        .add(score(0))
        .unwrap();
    assert_eq!(wrong.outbox_pending().unwrap(), 1);
    let e = wrong.flush(Duration::from_secs(10)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert_eq!(wrong.outbox_pending().unwrap(), 1);
    assert!(wrong.outbox_dead_letters().unwrap().is_empty());

    let right = outbox_builder(&srv.base_url, &path)
        .api_key("right-key")
        .build()
        .unwrap();
    right.flush(Duration::from_secs(10)).unwrap();
    let reader = common::fixtures::builder(&srv)
        .api_key("right-key")
        .build()
        .unwrap();
    assert_each_once(&reader, &[id]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_flush_past_its_deadline_says_how_many_rows_are_left() {
    let dir = outbox_dir("deadline");
    let path = dir.join("outbox.db");
    queue_offline(&path, 3);
    let (url, _) = server_gone();
    let c = outbox_builder(&url, &path).build().unwrap();
    let e = c.flush(Duration::from_millis(300)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        e.to_string().contains("3 row(s) still in the outbox"),
        "{e}"
    );
    assert_eq!(c.outbox_pending().unwrap(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ------------------------------------------------------------------------- child processes

/// Runs this test binary as a child in `mode`, with the outbox `path` and server `url`.
fn spawn_child(test: &str, mode: &str, path: &Path, url: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("WF_OUTBOX_CHILD", mode)
        .env("WF_OUTBOX_PATH", path)
        .env("WF_OUTBOX_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// In a child: the mode, the outbox path and the server URL the parent gave.
fn child_args() -> Option<(String, PathBuf, String)> {
    let mode = std::env::var("WF_OUTBOX_CHILD").ok()?;
    let path = PathBuf::from(std::env::var("WF_OUTBOX_PATH").unwrap());
    Some((mode, path, std::env::var("WF_OUTBOX_URL").unwrap()))
}

/// A lease short enough that the process after a crash takes over within seconds.
const CRASH_LEASE: Duration = Duration::from_secs(3);

#[test]
fn kill_9_in_the_middle_of_a_flush_then_a_new_process_flushes_every_row_once() {
    const TEST: &str = "kill_9_in_the_middle_of_a_flush_then_a_new_process_flushes_every_row_once";
    if let Some((_, path, url)) = child_args() {
        let c = outbox_builder(&url, &path)
            .outbox_lease(CRASH_LEASE)
            .build()
            .unwrap();
        c.flush(Duration::from_secs(120)).unwrap();
        return;
    }
    let dir = outbox_dir("kill");
    let path = dir.join("outbox.db");
    let ids = queue_offline(&path, 1000);
    let srv = TestServer::start();
    // Every batch is held a second before the server stores it, so the child is surely in
    // the middle of its second batch (of two) when it is killed.
    srv.set_faults(
        r#"{"routes": ["/feedback/batch/create"], "delay_ms": 1000, "delay_then_process": true}"#,
    );
    let mut child = spawn_child(TEST, "flush", &path, &srv.base_url);
    let waiting = Instant::now();
    while srv.request_count("/feedback/batch/create") < 2 {
        assert!(child.try_wait().unwrap().is_none(), "the child ended first");
        assert!(
            waiting.elapsed() < Duration::from_secs(120),
            "no second batch"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // The killed request is still stored by the server (it was already being processed).
    srv.wait_idle();
    srv.reset();
    assert_eq!(
        outbox_builder(&srv.base_url, &path)
            .build()
            .unwrap()
            .outbox_pending()
            .unwrap(),
        500,
        "the killed batch is still queued"
    );

    let c = outbox_builder(&srv.base_url, &path)
        .outbox_lease(CRASH_LEASE)
        .build()
        .unwrap();
    c.flush(Duration::from_secs(120)).unwrap();
    assert_eq!(c.outbox_pending().unwrap(), 0);
    assert_each_once(&client(&srv), &ids);
    // The look-up found the killed batch on the server: nothing was sent again.
    assert_eq!(srv.request_count("/feedback/batch/create"), 0);
    assert_eq!(c.outbox_counters().delivered, 500);
    std::fs::remove_dir_all(&dir).unwrap();
}

const PER_CHILD: usize = 200;

/// In a child: add rows one by one, flushing now and then, and print every id.
fn add_and_flush(tag: &str, path: &Path, url: &str) {
    let c = outbox_builder(url, path).build().unwrap();
    let mut q = c.ref_feedback_query(CALL).unwrap();
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut go = String::new();
    std::io::stdin().lock().read_line(&mut go).unwrap();
    let mut ids = Vec::new();
    for i in 0..PER_CHILD {
        let p = json!({"from": tag, "i": i}).as_object().unwrap().clone();
        ids.push(q.add(NewFeedback::custom("mp", p)).unwrap());
        if i % 50 == 0 {
            c.flush(Duration::from_secs(120)).unwrap();
        }
    }
    c.flush(Duration::from_secs(120)).unwrap();
    for id in ids {
        println!("{id}");
    }
}

#[test]
fn two_processes_adding_and_flushing_one_outbox_store_every_row_once() {
    const TEST: &str = "two_processes_adding_and_flushing_one_outbox_store_every_row_once";
    if let Some((tag, path, url)) = child_args() {
        add_and_flush(&tag, &path, &url);
        return;
    }
    let dir = outbox_dir("two");
    let path = dir.join("outbox.db");
    // A backlog both will flush, queued while the server was down.
    let mut ids = queue_offline(&path, 600);
    let srv = TestServer::start();
    // Batches wait before the server stores them, so a process that sent a batch has not
    // stored it yet when the other looks: only the claims keep the other from sending it too.
    srv.set_faults(
        r#"{"routes": ["/feedback/batch/create"], "delay_ms": 300, "delay_then_process": true}"#,
    );
    let mut children: Vec<Child> = ["a", "b"]
        .iter()
        .map(|tag| spawn_child(TEST, tag, &path, &srv.base_url))
        .collect();
    let mut outs = Vec::new();
    for c in &mut children {
        let mut r = BufReader::new(c.stdout.take().unwrap());
        let mut line = String::new();
        while !line.trim_end().ends_with("ready") {
            line.clear();
            assert!(r.read_line(&mut line).unwrap() > 0, "child ended early");
        }
        outs.push(r);
    }
    for c in &mut children {
        writeln!(c.stdin.as_mut().unwrap(), "go").unwrap();
    }
    for (mut c, mut r) in children.into_iter().zip(outs) {
        let mut text = String::new();
        r.read_to_string(&mut text).unwrap();
        assert!(c.wait().unwrap().success(), "child failed: {text}");
        let mine: Vec<String> = text
            .lines()
            .filter(|l| l.len() == 36)
            .map(str::to_string)
            .collect();
        assert_eq!(mine.len(), PER_CHILD, "{text}");
        ids.extend(mine);
    }
    let c = outbox_builder(&srv.base_url, &path).build().unwrap();
    assert_eq!(c.outbox_pending().unwrap(), 0);
    assert_each_once(&client(&srv), &ids);
    assert_eq!(ids.len(), 600 + 2 * PER_CHILD);
    std::fs::remove_dir_all(&dir).unwrap();
}
