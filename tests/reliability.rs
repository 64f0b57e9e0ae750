//! Retries, exactly-once adds, batch fallbacks and error kinds, with faults injected by the
//! test front in front of Weave's real server logic. Every scenario ends by counting the rows
//! on the server: exactly one per logical add, none lost.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::fixtures::{assert_only_row, assert_same_ids, builder, client, rows, CALL};
use common::TestServer;
use serde_json::{json, Map, Value};
use weave_feedback::{ClientBuilder, Error, ErrorKind, NewFeedback};

#[test]
fn same_id_twice_is_stored_twice_by_the_real_server() {
    // The protocol fact our exactly-once design works around.
    let srv = TestServer::start();
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    q.add(NewFeedback::note("a").id("dup-id")).unwrap();
    q.add(NewFeedback::note("a").id("dup-id")).unwrap();
    assert_eq!(rows(&c).len(), 2);
}

#[test]
fn five_hundreds_then_success_is_one_row_and_one_retry_id() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"fail_first": 2, "fail_status": 500, "routes": ["/feedback/create"]}"#);
    let c = client(&srv);
    let id = c
        .ref_feedback_query(CALL)
        .unwrap()
        .add_note("n", None)
        .unwrap();
    assert_eq!(srv.request_count("/feedback/create"), 3);
    let stats: Value = serde_json::from_str(&srv.stats()).unwrap();
    let retry_ids = stats["retry_ids"]["/feedback/create"].as_array().unwrap();
    assert_eq!(retry_ids.len(), 3);
    assert!(
        retry_ids.iter().all(|r| r == &retry_ids[0]),
        "{retry_ids:?}"
    );
    let stored = rows(&c);
    assert_only_row(&stored, &id);
}

#[test]
fn a_400_is_tried_once() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"fail_first": 5, "fail_status": 400, "routes": ["/feedback/create"]}"#);
    let err = client(&srv)
        .ref_feedback_query(CALL)
        .unwrap()
        .add_note("n", None)
        .unwrap_err();
    assert!(matches!(err, Error::Rejected { status: 400, .. }), "{err}");
    assert_eq!(srv.request_count("/feedback/create"), 1);
}

#[test]
fn a_final_4xx_after_retries_says_which_attempt_it_was() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"fail_first": 1, "fail_status": 503, "routes": ["/feedback/create"]}"#);
    let err = client(&srv)
        .ref_feedback_query(CALL)
        .unwrap()
        .add_reaction("👍👍", None)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rejected {
                status: 400,
                attempts: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().ends_with("(on attempt 2)"), "{err}");
    assert_eq!(srv.request_count("/feedback/create"), 2);
}

#[test]
fn rate_limits_are_retried() {
    let srv = TestServer::start();
    srv.set_faults(
        r#"{"rate_limit_every": 2, "retry_after": "0", "routes": ["/feedback/create"]}"#,
    );
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    for i in 0..4 {
        q.add_note(&format!("n{i}"), None).unwrap();
    }
    assert_eq!(rows(&c).len(), 4);
    assert_eq!(srv.request_count("/feedback/create"), 7);
}

/// `Retry-After` (seconds, or an HTTP date in the future) is honoured: asking for longer than
/// the deadline leaves ends the call (as a timeout) after one attempt. Without it, the 1 ms backoff would
/// retry and succeed (every second request passes).
#[test]
fn retry_after_is_honoured_in_seconds_and_as_an_http_date() {
    for retry_after in ["5", "Fri, 01 Jan 2100 00:00:00 GMT"] {
        let srv = TestServer::start();
        let faults = json!({"rate_limit_every": 1, "retry_after": retry_after,
                            "routes": ["/feedback/create"]});
        srv.set_faults(&faults.to_string());
        let c = builder(&srv)
            .retry_max_delay(Duration::from_secs(3))
            .deadline(Some(Duration::from_secs(1)))
            .build()
            .unwrap();
        let err = c
            .ref_feedback_query(CALL)
            .unwrap()
            .add_note("n", None)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{retry_after}: {err}");
        assert_eq!(err.http_status(), Some(429), "{retry_after}");
        assert_eq!(err.attempts(), Some(1), "{retry_after}");
        assert_eq!(srv.request_count("/feedback/create"), 1);
    }
}

#[test]
fn lost_response_after_commit_still_gives_exactly_one_row_and_the_same_id() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"drop_after_commit_first": 1, "routes": ["/feedback/create"]}"#);
    let c = client(&srv);
    let id = c
        .ref_feedback_query(CALL)
        .unwrap()
        .add_reaction("👍", None)
        .unwrap();
    let stored = rows(&c);
    assert_only_row(&stored, &id);
    assert_eq!(
        srv.request_count("/feedback/create"),
        1,
        "found by look-up, not resent"
    );
}

#[test]
fn dropped_before_processing_is_resent() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"drop_before_processing_first": 1, "routes": ["/feedback/create"]}"#);
    let c = client(&srv);
    let id = c
        .ref_feedback_query(CALL)
        .unwrap()
        .add_note("n", None)
        .unwrap();
    let stored = rows(&c);
    assert_only_row(&stored, &id);
    assert_eq!(srv.request_count("/feedback/create"), 2);
}

#[test]
fn late_commit_of_a_timed_out_attempt_leaves_only_one_id() {
    let srv = TestServer::start();
    srv.set_faults(
        r#"{"delay_ms": 1500, "delay_first": 1, "delay_then_process": true, "routes": ["/feedback/create"]}"#,
    );
    let c = builder(&srv)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let id = c
        .ref_feedback_query(CALL)
        .unwrap()
        .add_note("slow", None)
        .unwrap();
    // The first attempt is still sleeping on the server when the retry looks the id up (and
    // finds nothing), so it commits a second row later. This is the documented limit of
    // exactly-once: wait until the server is idle (asking it, not sleeping), then count.
    srv.wait_idle();
    let stored = rows(&c);
    assert!(
        stored.iter().all(|f| f.id == id),
        "every row carries the one id: {stored:?}"
    );
    assert_eq!(
        stored.len(),
        2,
        "the known window: a late commit of a timed-out attempt duplicates the row (same id)"
    );
}

#[test]
fn hung_attempt_is_retried_to_exactly_one_row() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"delay_ms": 1000, "delay_first": 1, "routes": ["/feedback/create"]}"#);
    let c = builder(&srv)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let id = c
        .ref_feedback_query(CALL)
        .unwrap()
        .add_note("n", None)
        .unwrap();
    srv.wait_idle();
    let stored = rows(&c);
    assert_only_row(&stored, &id);
}

#[test]
fn persistent_timeouts_report_timeout_with_attempts() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"delay_ms": 1000, "delay_first": 100, "routes": ["/feedback/query"]}"#);
    let c = builder(&srv)
        .timeout(Duration::from_millis(200))
        .max_retries(1)
        .build()
        .unwrap();
    let err = c.ref_feedback_query(CALL).unwrap().execute().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.attempts(), Some(2));
}

#[test]
fn deadline_bounds_the_whole_call() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"fail_first": 1000000, "fail_status": 503}"#);
    let c = builder(&srv)
        .max_retries(u32::MAX)
        .deadline(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    // Unbounded retries: only the deadline can end this call.
    let err = c.ref_feedback_query(CALL).unwrap().execute().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("call deadline of 300 ms"), "{err}");
    assert_eq!(err.http_status(), Some(503));
}

#[test]
fn deadline_cuts_a_hung_attempt_and_says_so() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"delay_ms": 2000, "delay_first": 100, "routes": ["/feedback/query"]}"#);
    let c = builder(&srv)
        .timeout(Duration::from_secs(30))
        .deadline(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    let err = c.ref_feedback_query(CALL).unwrap().execute().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("deadline of 300 ms"), "{err}");
    assert_eq!(err.attempts(), Some(1));
}

#[test]
fn exhausted_retries_name_the_kind_attempts_and_status() {
    let srv = TestServer::start();
    let c = builder(&srv).max_retries(2).build().unwrap();
    srv.set_faults(r#"{"fail_first": 100, "fail_status": 503}"#);
    let err = c.ref_feedback_query(CALL).unwrap().execute().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Server {
                status: 503,
                attempts: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("after 3 attempt(s)"), "{err}");

    srv.set_faults(r#"{"rate_limit_every": 1, "retry_after": "0"}"#);
    let err = c.ref_feedback_query(CALL).unwrap().execute().unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { attempts: 3, .. }),
        "{err}"
    );
    assert_eq!(err.http_status(), Some(429));
}

#[test]
fn batch_falls_back_to_single_creates_on_404_keeping_ids() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"status_for_route": {"/feedback/batch/create": 404}}"#);
    let c = client(&srv);
    let ids = c
        .ref_feedback_query(CALL)
        .unwrap()
        .add_batch(vec![
            NewFeedback::note("a"),
            NewFeedback::note("b").id("given-id"),
            NewFeedback::reaction("👍"),
        ])
        .unwrap();
    assert_eq!(srv.request_count("/feedback/create"), 3);
    let stored = rows(&c);
    assert_eq!(
        stored.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        ids,
        "same ids, in order"
    );
    assert_eq!(ids[1], "given-id");
}

#[test]
fn batch_splits_in_halves_on_413() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"too_large_over_items": 1}"#);
    let c = client(&srv);
    let ids = c
        .ref_feedback_query(CALL)
        .unwrap()
        .add_batch(vec![
            NewFeedback::note("0"),
            NewFeedback::note("1"),
            NewFeedback::note("2"),
        ])
        .unwrap();
    // [0,1,2] -> 413 -> [0] ok, [1,2] -> 413 -> [1] ok, [2] ok.
    assert_eq!(srv.request_count("/feedback/batch/create"), 5);
    let stored = rows(&c);
    assert_same_ids(&stored, &ids);
}

#[test]
fn batch_with_lost_response_is_stored_once() {
    let srv = TestServer::start();
    srv.set_faults(r#"{"drop_after_commit_first": 1, "routes": ["/feedback/batch/create"]}"#);
    let c = client(&srv);
    let items: Vec<NewFeedback> = (0..5).map(|i| NewFeedback::note(format!("n{i}"))).collect();
    let ids = c
        .ref_feedback_query(CALL)
        .unwrap()
        .add_batch(items)
        .unwrap();
    let stored = rows(&c);
    assert_eq!(stored.len(), 5);
    assert_same_ids(&stored, &ids);
}

#[test]
fn replace_with_lost_response_leaves_one_row() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let id = q.add_note("before", None).unwrap();
    srv.set_faults(r#"{"drop_after_commit_first": 1, "routes": ["/feedback/replace"]}"#);
    assert_eq!(q.replace(&id, NewFeedback::note("after")).unwrap(), id);
    let stored = rows(&c);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].payload["note"], "after");
}

#[test]
fn connection_refused_is_a_transport_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = ClientBuilder::new()
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(1)
        .retry_base_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let err = c.ref_feedback_query(CALL).unwrap().execute().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(err.attempts(), Some(2));
    assert_eq!(err.http_status(), None);
}

/// A 200 whose body is not a query response. A one-shot socket answer is the only way to get
/// a malformed success out of any server; everything else here runs against Weave's code.
#[test]
fn malformed_success_body_is_a_decode_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 65536];
        let mut seen = Vec::new();
        // Read the headers and the body announced by Content-Length.
        loop {
            let n = s.read(&mut buf).unwrap();
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if seen.len() >= end + 4 + len {
                    break;
                }
            }
        }
        let body = r#"{"result": "not a list"}"#;
        write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
    });
    let c = ClientBuilder::new()
        .base_url(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let err = c.ref_feedback_query(CALL).unwrap().execute().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    server.join().unwrap();
}

#[test]
fn hostile_input_is_refused_before_any_request() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let big: Map<String, Value> = json!({"blob": "é".repeat(200_000)})
        .as_object()
        .unwrap()
        .clone();
    let cases: Vec<(Error, ErrorKind)> = vec![
        (
            q.add(NewFeedback::custom("x", big)).unwrap_err(),
            ErrorKind::InvalidFeedback,
        ),
        (
            q.add_note("", None).unwrap_err(),
            ErrorKind::InvalidFeedback,
        ),
        (
            q.add_note(&"n".repeat(1025), None).unwrap_err(),
            ErrorKind::InvalidFeedback,
        ),
        (
            q.add_reaction("thumbs up", None).unwrap_err(),
            ErrorKind::InvalidFeedback,
        ),
        (
            c.ref_feedback_query("weave:///acme/chatbot/nonsense/x")
                .unwrap_err(),
            ErrorKind::InvalidRef,
        ),
        (
            c.feedback_query("acme", "chatbot")
                .unwrap()
                .with_limit(u64::MAX)
                .execute()
                .unwrap_err(),
            ErrorKind::InvalidArgument,
        ),
    ];
    for (err, kind) in cases {
        assert_eq!(err.kind(), kind, "{err}");
    }
    assert_eq!(srv.request_count("/feedback/create"), 0);
    assert_eq!(srv.request_count("/feedback/query"), 0);
    // Exactly at the limits is fine.
    q.add_note(&"n".repeat(1024), None).unwrap();
}
