//! The write promises under faults, each tried against Weave's real server logic with the fault
//! injected at each point where it can hurt: before the server acts, after it committed, in the
//! middle of a replace (after its delete), and as a rejection after the server already changed
//! something.
//!
//! - a replace that returns OK stored the new content, exactly once;
//! - a replace that fails leaves the original row (type, payload, creator, annotation_ref) under
//!   its id;
//! - a batch the server refuses stores nothing;
//! - every failed write names the ids it used;
//! - the deadline bounds the whole call.

mod common;

use std::time::{Duration, Instant};

use common::fixtures::{assert_only_row, assert_same_ids, builder, client, rows, CALL};
use common::TestServer;
use serde_json::{json, Map, Value};
use weave_feedback::{ErrorKind, Feedback, NewFeedback, RefFeedbackQuery, MAX_PAYLOAD_CHARS};

/// An annotation whose spec object does not exist: the server refuses it with 404, after
/// checking everything else (and, for a replace, after deleting the original).
fn annotation_without_spec() -> NewFeedback {
    NewFeedback::custom("wandb.annotation.rating", obj(json!({"value": 3}))).annotation_ref(
        "weave:///acme/chatbot/object/rating:0000000000000000000000000000000000000000000",
    )
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// A note with a creator and an extra payload key, so a restore must bring back all of them.
fn add_original(q: &mut RefFeedbackQuery) -> String {
    q.add(
        NewFeedback::note("original")
            .creator("Dana")
            .extra_field("lang", "en"),
    )
    .unwrap()
}

/// The one row on the call is the original, with its id and content.
fn assert_original_kept(stored: &[Feedback], id: &str) {
    let f = assert_only_row(stored, id);
    assert_eq!(f.feedback_type, "wandb.note.1");
    assert_eq!(
        Value::Object(f.payload.clone()),
        json!({"note": "original", "lang": "en"})
    );
    assert_eq!(f.creator.as_deref(), Some("Dana"));
    assert_eq!(f.annotation_ref, None);
}

/// The one row on the call is the replacement, under the original's id.
fn assert_replaced_once(stored: &[Feedback], id: &str) {
    let f = assert_only_row(stored, id);
    assert_eq!(f.payload["note"], "replacement");
    assert_eq!(f.creator, None);
}

// ----------------------------------------------------------------- replace that returns OK

/// Every fault at every point of a replace: OK must mean the new content is stored, once.
#[test]
fn replace_that_returns_ok_stored_the_new_content_exactly_once_under_every_fault() {
    let faults = [
        // 503 before the server acted.
        r#"{"fail_first": 1, "fail_status": 503, "routes": ["/feedback/replace"]}"#,
        // Connection dropped before processing.
        r#"{"drop_before_processing_first": 1, "routes": ["/feedback/replace"]}"#,
        // Committed, then the answer was lost.
        r#"{"drop_after_commit_first": 1, "routes": ["/feedback/replace"]}"#,
        // Committed, then answered 503.
        r#"{"fail_after_commit_first": 1, "fail_status": 503, "routes": ["/feedback/replace"]}"#,
        // Deleted the original, then failed before the insert.
        r#"{"purge_only_first": 1, "fail_status": 503, "routes": ["/feedback/replace"]}"#,
        // Hung past the attempt's timeout, then dropped unprocessed.
        r#"{"delay_ms": 1500, "delay_first": 1, "routes": ["/feedback/replace"]}"#,
        // Hung past the attempt's timeout, then committed late (after the retry's).
        r#"{"delay_ms": 1500, "delay_first": 1, "delay_then_process": true, "routes": ["/feedback/replace"]}"#,
    ];
    for fault in faults {
        let srv = TestServer::start();
        let c = builder(&srv)
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let mut q = c.ref_feedback_query(CALL).unwrap();
        let id = add_original(&mut q);
        srv.set_faults(fault);
        let got = q.replace(&id, NewFeedback::note("replacement"));
        assert_eq!(got.map_err(|e| e.to_string()), Ok(id.clone()), "{fault}");
        srv.wait_idle();
        srv.reset();
        assert_replaced_once(&rows(&c), &id);
    }
}

// ----------------------------------------------------------------- replace that fails

/// Rejections the server makes only after its replace deleted the original.
#[test]
fn replace_refused_after_the_servers_delete_leaves_the_original() {
    let mut too_big = Map::new();
    too_big.insert("emoji".into(), "👍".into());
    // Exactly at the limit as sent; over it once the server adds alias/detoned keys.
    let base = r#"{"emoji": "\ud83d\udc4d", "pad": ""}"#.len();
    too_big.insert("pad".into(), "x".repeat(MAX_PAYLOAD_CHARS - base).into());
    let cases: Vec<(&str, NewFeedback, ErrorKind)> = vec![
        (
            "two emoji, as Python's emoji package counts them",
            NewFeedback::reaction("👍👍"),
            ErrorKind::Rejected,
        ),
        (
            "annotation spec object does not exist",
            annotation_without_spec(),
            ErrorKind::NotFound,
        ),
        (
            "payload over the limit after the server's additions",
            NewFeedback::of_type("wandb.reaction.1", too_big),
            ErrorKind::Rejected,
        ),
    ];
    for (what, replacement, kind) in cases {
        let srv = TestServer::start();
        let c = client(&srv);
        let mut q = c.ref_feedback_query(CALL).unwrap();
        let id = add_original(&mut q);
        let err = q.replace(&id, replacement).unwrap_err();
        assert_eq!(err.kind(), kind, "{what}: {err}");
        assert!(err.to_string().contains("written back"), "{what}: {err}");
        assert_eq!(err.feedback_id(), Some(id.as_str()), "{what}");
        assert_original_kept(&rows(&c), &id);
    }
}

/// A failure between the server's delete and its insert that outlasts every retry.
#[test]
fn replace_failing_after_every_delete_writes_the_original_back() {
    let srv = TestServer::start();
    let c = builder(&srv).max_retries(2).build().unwrap();
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let id = add_original(&mut q);
    srv.set_faults(
        r#"{"purge_only_first": 100, "fail_status": 503, "routes": ["/feedback/replace"]}"#,
    );
    let err = q
        .replace(&id, NewFeedback::note("replacement"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(err.attempts(), Some(3));
    assert!(err.to_string().contains("written back"), "{err}");
    srv.reset();
    assert_original_kept(&rows(&c), &id);
}

/// Rules the client can mirror are refused before anything is sent or deleted.
#[test]
fn replace_with_an_annotation_ref_on_a_note_is_refused_before_sending() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let id = add_original(&mut q);
    let replacement =
        NewFeedback::note("replacement").annotation_ref("weave:///acme/chatbot/object/rating:abc");
    let err = q.replace(&id, replacement).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidFeedback, "{err}");
    assert_eq!(srv.request_count("/feedback/replace"), 0);
    assert_original_kept(&rows(&c), &id);
}

// ----------------------------------------------------------------- batches

/// Tells a missing batch route (FastAPI's `{"detail":"Not Found"}`) from a refused batch.
#[test]
fn a_batch_refused_with_404_stores_nothing_and_is_not_resent_item_by_item() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let err = q
        .add_batch(vec![NewFeedback::note("fine"), annotation_without_spec()])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.feedback_ids().len(), 2);
    assert_eq!(srv.request_count("/feedback/create"), 0);
    assert!(rows(&c).is_empty());
}

/// When the client had to send a batch in pieces, a refused piece takes the stored ones back.
#[test]
fn a_batch_sent_in_pieces_stores_nothing_when_one_piece_is_refused() {
    let pieces = [
        // No batch route: one create per item.
        r#"{"status_for_route": {"/feedback/batch/create": 404}}"#,
        // One item per request after 413s.
        r#"{"too_large_over_items": 1}"#,
    ];
    for fault in pieces {
        let srv = TestServer::start();
        let c = client(&srv);
        let mut q = c.ref_feedback_query(CALL).unwrap();
        srv.set_faults(fault);
        let items = vec![
            NewFeedback::note("one"),
            NewFeedback::note("two"),
            NewFeedback::reaction("👍👍"),
        ];
        let err = q.add_batch(items).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Rejected, "{fault}: {err}");
        assert!(err.to_string().contains("removed again"), "{err}");
        assert_eq!(err.feedback_ids().len(), 3);
        srv.reset();
        assert!(rows(&c).is_empty(), "{fault}");
    }
}

// ----------------------------------------------------------------- ids on errors

/// An add whose answer is lost says which id to look up, and that id is the stored one.
#[test]
fn failed_writes_carry_the_ids_they_used() {
    let srv = TestServer::start();
    let c = builder(&srv).max_retries(0).build().unwrap();
    let mut q = c.ref_feedback_query(CALL).unwrap();

    srv.set_faults(r#"{"drop_after_commit_first": 1}"#);
    let err = q.add_note("lost answer", None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    let id = err.feedback_id().expect("the id the add used").to_string();
    assert!(err.to_string().contains(&id), "{err}");
    srv.reset();
    assert_same_ids(&rows(&c), std::slice::from_ref(&id));

    srv.set_faults(r#"{"drop_after_commit_first": 1}"#);
    let err = q
        .add_batch(vec![NewFeedback::note("a"), NewFeedback::note("b")])
        .unwrap_err();
    let batch_ids = err.feedback_ids().to_vec();
    assert_eq!(batch_ids.len(), 2, "{err}");
    srv.reset();
    let all: Vec<String> = [id.clone()].into_iter().chain(batch_ids).collect();
    assert_same_ids(&rows(&c), &all);

    // A 2xx that is not a create response.
    srv.set_faults(r#"{"fail_first": 1, "fail_status": 200, "fail_body": "not json"}"#);
    let err = q.add_note("garbled", None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert!(err.feedback_id().is_some());

    // A replace: the id it used is the replaced row's.
    srv.set_faults(r#"{"fail_first": 10, "fail_status": 503, "routes": ["/feedback/replace"]}"#);
    let err = q.replace(&id, NewFeedback::note("x")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(err.feedback_id(), Some(id.as_str()));
}

// ----------------------------------------------------------------- deadline

/// Every request of a call counts against its deadline: look-ups inside attempts, the halves
/// of a split batch, per-item creates after a missing batch route, and backoff sleeps.
#[test]
fn the_deadline_bounds_every_request_of_a_write() {
    let deadline = Duration::from_millis(800);
    // Each fault makes the call need far more than the deadline without it.
    let cases = [
        // Ambiguous 503s followed by look-ups that hang.
        r#"{"fail_first": 100, "fail_status": 503, "routes": ["/feedback/create", "/feedback/batch/create"], "delay_ms": 300, "delay_then_process": true}"#,
        // Every request slow; a batch of 40 split down to single items by 413s.
        r#"{"too_large_over_items": 1, "delay_ms": 100, "delay_then_process": true}"#,
        // Every request slow; no batch route, so one create per item.
        r#"{"status_for_route": {"/feedback/batch/create": 404}, "delay_ms": 100, "delay_then_process": true}"#,
    ];
    for fault in cases {
        let srv = TestServer::start();
        let c = builder(&srv)
            .timeout(Duration::from_millis(700))
            .max_retries(1000)
            .retry_base_delay(Duration::from_millis(50))
            .deadline(Some(deadline))
            .build()
            .unwrap();
        let mut q = c.ref_feedback_query(CALL).unwrap();
        srv.set_faults(fault);
        let items: Vec<NewFeedback> = (0..40)
            .map(|i| NewFeedback::note(format!("n{i}")))
            .collect();
        let start = Instant::now();
        let err = q.add_batch(items).unwrap_err();
        let took = start.elapsed();
        // The promise is deadline + 100 ms; the margin covers a loaded CI machine.
        assert!(
            took < deadline + Duration::from_millis(400),
            "{fault}: took {took:?}"
        );
        assert_eq!(err.feedback_ids().len(), 40, "{fault}: {err}");
        let start = Instant::now();
        let _ = q.add_note("single", None);
        let took = start.elapsed();
        assert!(
            took < deadline + Duration::from_millis(400),
            "{fault}: add took {took:?}"
        );
        srv.reset();
        srv.wait_idle();
    }
}
