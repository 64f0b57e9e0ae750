//! Writing what the SDK writes beyond `add()`: scorer (runnable) feedback with its refs, and
//! refs the SDK accepts with malformed `%` escapes. Every check runs twice: against Weave's
//! server logic (tests/server) and against the local store (`sqlite::memory:`).
#![cfg(feature = "local-store")]

mod common;

use common::fixtures::{client, CALL};
use common::TestServer;
use serde_json::{json, Map, Value};
use weave_feedback::{Client, ClientBuilder, Error, ErrorKind, NewFeedback, WeaveRef};

const CALL2: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-000000000002";
const JUDGE_OP: &str = "weave:///acme/chatbot/op/judge:abc";
const JUDGE_OBJ: &str = "weave:///acme/chatbot/object/judge:abc";

/// Runs `check` against the test server and the local store, naming the backend.
fn on_both(check: impl Fn(&Client, &str)) {
    let srv = TestServer::start();
    check(&client(&srv), "server");
    let local = ClientBuilder::new()
        .base_url("sqlite::memory:")
        .build()
        .unwrap();
    check(&local, "local store");
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn scorer_feedback_is_stored_with_its_refs() {
    on_both(|c, side| {
        let mut q = c.ref_feedback_query(CALL).unwrap();
        // An op scorer, with the scoring call and a monitor (the SDK's apply_scorer).
        let op = q
            .add(
                NewFeedback::runnable(JUDGE_OP, json!({"score": 0.5}))
                    .call_ref(CALL2)
                    .trigger_ref("weave:///acme/chatbot/object/monitor:v1"),
            )
            .unwrap_or_else(|e| panic!("{side}: {e}"));
        // An object scorer needs no call_ref (the server's own score_create stores these).
        let ob = q.add(NewFeedback::runnable(JUDGE_OBJ, 3)).unwrap();
        // The same, spelled as a type and fields (as a batch item or replace carries it).
        let typed = q
            .add(
                NewFeedback::of_type("wandb.runnable.judge", obj(json!({"output": true})))
                    .runnable_ref(JUDGE_OBJ)
                    .creator("ci"),
            )
            .unwrap();
        let rows = q.execute().unwrap();
        assert_eq!(rows.len(), 3, "{side}");
        let r = rows.iter().find(|f| f.id == op).unwrap();
        assert_eq!(r.feedback_type, "wandb.runnable.judge", "{side}");
        assert_eq!(r.payload, obj(json!({"output": {"score": 0.5}})), "{side}");
        assert_eq!(r.runnable_ref.as_deref(), Some(JUDGE_OP), "{side}");
        assert_eq!(r.call_ref.as_deref(), Some(CALL2), "{side}");
        assert_eq!(
            r.trigger_ref.as_deref(),
            Some("weave:///acme/chatbot/object/monitor:v1"),
            "{side}"
        );
        assert_eq!(r.queue_id, None, "{side}");
        let r = rows.iter().find(|f| f.id == ob).unwrap();
        assert_eq!(r.runnable_ref.as_deref(), Some(JUDGE_OBJ), "{side}");
        assert_eq!(
            (r.call_ref.as_deref(), r.payload["output"].clone()),
            (None, json!(3))
        );
        let r = rows.iter().find(|f| f.id == typed).unwrap();
        assert_eq!(r.creator.as_deref(), Some("ci"), "{side}");
        // The SDK's table names the scorer type as it is.
        assert!(
            rows.format_table().contains("wandb.runnable.judge"),
            "{side}"
        );
    });
}

#[test]
fn scorer_fields_in_a_batch_and_a_replace() {
    on_both(|c, side| {
        let mut q = c.ref_feedback_query(CALL).unwrap();
        let items = NewFeedback::list_from_json(&format!(
            r#"[{{"feedback_type": "wandb.runnable.judge", "payload": {{"output": 1}},
                 "runnable_ref": "{JUDGE_OP}", "call_ref": "{CALL2}", "trigger_ref": null,
                 "queue_id": ""}},
                {{"feedback_type": "custom", "payload": {{}}}}]"#
        ))
        .unwrap();
        let ids = q.add_batch(items).unwrap_or_else(|e| panic!("{side}: {e}"));
        let id = q
            .replace(
                &ids[1],
                NewFeedback::runnable(JUDGE_OBJ, "again").trigger_ref(JUDGE_OP),
            )
            .unwrap();
        let rows = q.execute().unwrap();
        let first = rows.iter().find(|f| f.id == ids[0]).unwrap();
        assert_eq!(first.call_ref.as_deref(), Some(CALL2), "{side}");
        assert_eq!(first.queue_id, None, "an empty queue_id is none ({side})");
        let replaced = rows.iter().find(|f| f.id == id).unwrap();
        // An op ref is accepted as a trigger_ref: the server's op ref class is an object ref.
        assert_eq!(replaced.trigger_ref.as_deref(), Some(JUDGE_OP), "{side}");
        assert_eq!(replaced.payload["output"], "again", "{side}");
    });
}

/// Each rule the server applies to runnable feedback, refused before anything is sent, with
/// the server's message and nothing stored.
#[test]
fn scorer_rules_refuse_what_the_server_refuses() {
    let note_with_ref = NewFeedback::note("hi").runnable_ref(JUDGE_OBJ);
    let cases: Vec<(NewFeedback, ErrorKind, &str)> = vec![
        (
            NewFeedback::of_type("wandb.runnablex", obj(json!({"output": 1})))
                .runnable_ref(JUDGE_OBJ),
            ErrorKind::InvalidFeedback,
            "Invalid runnable feedback type: wandb.runnablex",
        ),
        (
            NewFeedback::of_type("wandb.runnable.judge", obj(json!({"output": 1}))),
            ErrorKind::InvalidFeedback,
            "runnable_ref is required for runnable feedback",
        ),
        (
            NewFeedback::runnable(CALL2, 1),
            ErrorKind::InvalidRef,
            "runnable_ref must be an op or object ref",
        ),
        (
            NewFeedback::runnable("weave:///acme/chatbot/object/judge", 1),
            ErrorKind::InvalidRef,
            "runnable_ref must name a version",
        ),
        (
            NewFeedback::runnable("weave:///acme/chatbot/object/judge:abc/key/x/", 1),
            ErrorKind::InvalidRef,
            "edge/value pairs",
        ),
        (
            NewFeedback::runnable("not a ref", 1),
            ErrorKind::InvalidRef,
            "Invalid URI: not a ref",
        ),
        (
            NewFeedback::of_type("wandb.runnable.other", obj(json!({"output": 1})))
                .runnable_ref(JUDGE_OBJ),
            ErrorKind::InvalidFeedback,
            "runnable_ref must point to an object with name other",
        ),
        (
            NewFeedback::runnable(JUDGE_OP, 1),
            ErrorKind::InvalidFeedback,
            "call_ref is required for runnable feedback on ops",
        ),
        (
            NewFeedback::of_type("wandb.runnable.judge", obj(json!({"score": 1})))
                .runnable_ref(JUDGE_OBJ),
            ErrorKind::InvalidFeedback,
            "Invalid payload for feedback_type wandb.runnable.judge: output Field required",
        ),
        (
            NewFeedback::runnable(JUDGE_OP, 1).call_ref(JUDGE_OBJ),
            ErrorKind::InvalidRef,
            "call_ref must be a call ref",
        ),
        (
            NewFeedback::runnable(JUDGE_OBJ, 1).trigger_ref(CALL2),
            ErrorKind::InvalidRef,
            "trigger_ref must be an object or op ref",
        ),
        (
            NewFeedback::custom("helpfulness", Map::new()).call_ref(CALL2),
            ErrorKind::InvalidFeedback,
            "call_ref is not allowed for non-runnable feedback",
        ),
        (
            NewFeedback::custom("helpfulness", Map::new()).trigger_ref(JUDGE_OBJ),
            ErrorKind::InvalidFeedback,
            "trigger_ref is not allowed for non-runnable feedback",
        ),
        (
            note_with_ref,
            ErrorKind::InvalidFeedback,
            "runnable_ref is not allowed for non-runnable feedback",
        ),
        (
            // The SDK's add() refuses other wandb. types, runnable fields or not.
            NewFeedback::custom("wandb.custom", Map::new()).runnable_ref(JUDGE_OBJ),
            ErrorKind::InvalidFeedback,
            "reserved for annotation feedback",
        ),
        (
            NewFeedback::runnable(JUDGE_OBJ, 1)
                .annotation_ref("weave:///acme/chatbot/object/judge:abc"),
            ErrorKind::InvalidFeedback,
            "must conform to the format",
        ),
    ];
    on_both(|c, side| {
        let mut q = c.ref_feedback_query(CALL).unwrap();
        for (f, kind, want) in &cases {
            let e: Error = q.add(f.clone()).unwrap_err();
            assert_eq!(e.kind(), *kind, "{side}: {e}");
            assert!(e.to_string().contains(want), "{side}: {e} (want {want})");
            assert_eq!(e.attempts(), None, "{side}: refused before sending: {e}");
        }
        assert!(q.execute().unwrap().is_empty(), "{side}: nothing stored");
    });
}

/// A `queue_id` is sent as given. Only a server with annotation queues stores it: the local
/// store refuses it as the server refuses an unknown queue, and the reference server's SQLite
/// backend has no queue table (it fails with 500).
#[test]
fn a_queue_id_is_sent() {
    let srv = TestServer::start();
    let c = common::fixtures::builder(&srv)
        .max_retries(0)
        .build()
        .unwrap();
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let e = q
        .add(NewFeedback::custom("helpfulness", Map::new()).queue_id("q-1"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    let body: Value =
        serde_json::from_str(srv.stats_json()["last_body"].as_str().unwrap()).unwrap();
    assert_eq!(body["queue_id"], "q-1");

    let local = ClientBuilder::new()
        .base_url("sqlite::memory:")
        .build()
        .unwrap();
    let e = local
        .ref_feedback_query(CALL)
        .unwrap()
        .add(NewFeedback::custom("helpfulness", Map::new()).queue_id("q-1"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected, "{e}");
    assert!(
        e.to_string()
            .contains("Queue q-1 not found or has been deleted"),
        "{e}"
    );
}

/// Refs whose extra parts hold a `%` that starts no valid escape (or escapes that are not
/// UTF-8): stored and matched as written, as the SDK does.
#[test]
fn refs_with_malformed_escapes_are_stored_as_written() {
    let refs = [
        "weave:///acme/chatbot/object/rubric:v1/key/%zz",
        "weave:///acme/chatbot/object/rubric:v1/key/100%",
        "weave:///acme/chatbot/object/rubric:v1/key/%4",
        "weave:///acme/chatbot/op/judge:abc/key/%FF",
        "weave:///acme/chatbot/call/0192f3a4/attr/50%25%",
    ];
    on_both(|c, side| {
        for r in refs {
            let mut q = c
                .ref_feedback_query(r)
                .unwrap_or_else(|e| panic!("{side}: {r}: {e}"));
            let id = q.add_note("ok", None).unwrap();
            let rows = q.execute().unwrap();
            assert_eq!(rows.len(), 1, "{side}: {r}");
            assert_eq!(
                (rows[0].id.as_str(), rows[0].weave_ref.as_str()),
                (id.as_str(), r)
            );
        }
        // And as a scorer ref.
        let scorer = "weave:///acme/chatbot/object/judge:abc/key/%zz";
        let mut q = c.ref_feedback_query(CALL).unwrap();
        q.add(NewFeedback::runnable(scorer, 1)).unwrap();
        assert_eq!(
            q.execute().unwrap()[0].runnable_ref.as_deref(),
            Some(scorer)
        );
    });
}

/// A built ref (with extra parts that need escaping) takes feedback and finds it again.
#[test]
fn built_refs_take_feedback() {
    on_both(|c, side| {
        let r = WeaveRef::object("acme", "chatbot", "eval-set", "v3")
            .unwrap()
            .with_attr("rows")
            .unwrap()
            .with_item("row/7 é%")
            .unwrap();
        let mut q = c.ref_feedback_query(r.as_str()).unwrap();
        q.add_reaction("👍", None).unwrap();
        let rows = q.execute().unwrap();
        assert_eq!(rows.len(), 1, "{side}");
        assert_eq!(rows[0].weave_ref, r.as_str());
        assert_eq!(
            WeaveRef::parse(&rows[0].weave_ref).unwrap().extra(),
            ["attr", "rows", "id", "row/7 é%"]
        );
    });
}
