//! Scorer (runnable) feedback: `add --runnable-ref/--call-ref/--trigger-ref`, and its refs kept
//! through export → import, moved with `-p` when they point into the source project.

use serde_json::Value;

use crate::harness::*;

const JUDGE_OP: &str = "weave:///acme/chatbot/op/judge:abc";
/// An object scorer in another project: `-p` leaves it where it is.
const SHARED_JUDGE: &str = "weave:///acme/shared/object/judge:v1";
const MONITOR: &str = "weave:///acme/chatbot/object/monitor:v1";

fn scorer_rows(url: &str) {
    let dir = temp_dir("scorer");
    let op = add(
        url,
        &[
            "--type",
            "wandb.runnable.judge",
            "--payload",
            r#"{"output": {"score": 0.8}}"#,
            "--runnable-ref",
            JUDGE_OP,
            "--call-ref",
            OTHER_CALL,
            "--trigger-ref",
            MONITOR,
            "--creator",
            "bot",
        ],
    );
    let shared = add(
        url,
        &[
            "--type",
            "wandb.runnable.judge",
            "--payload",
            r#"{"output": true}"#,
            "--runnable-ref",
            SHARED_JUDGE,
        ],
    );
    let note = add(url, &["--note", "not a scorer"]);

    let got = jsonl(&ok(run(
        url,
        &["get", &op, "-p", "acme/chatbot", "-f", "jsonl"],
    )));
    assert_eq!(got[0]["runnable_ref"], JUDGE_OP);
    assert_eq!(got[0]["call_ref"], OTHER_CALL);
    assert_eq!(got[0]["trigger_ref"], MONITOR);
    assert_eq!(got[0]["payload"]["output"]["score"], 0.8);

    // The library's rules, before anything is sent; the refs need --type.
    let e = fails(
        run(
            url,
            &[
                "add",
                "--ref",
                CALL,
                "--type",
                "wandb.runnable.judge",
                "--payload",
                r#"{"output": 1}"#,
                "--runnable-ref",
                JUDGE_OP,
            ],
        ),
        3,
    );
    assert!(e.contains("call_ref is required"), "{e}");
    fails(
        run(
            url,
            &[
                "add",
                "--ref",
                CALL,
                "--note",
                "x",
                "--call-ref",
                OTHER_CALL,
            ],
        ),
        2,
    );

    // --payload too: with --note it would be dropped, so it is refused.
    fails(
        run(
            url,
            &["add", "--ref", CALL, "--note", "x", "--payload", "{}"],
        ),
        2,
    );

    // Export, then import into another project: the scorer refs come along.
    let exported = ok(run(url, &["export", "-p", "acme/chatbot"]));
    let before = jsonl(&exported);
    assert_eq!(ids(&before), [op.as_str(), shared.as_str(), note.as_str()]);
    let file = write_file(&dir, "scorers.jsonl", &exported);
    let out = ok(run(url, &["import", &file, "-p", "acme/copy"]));
    assert_eq!(out, "3 lines: 3 stored, 0 already present\n");
    let after = all_rows(url, "acme/copy");
    let row = |id: &str| -> Value { after.iter().find(|r| r["id"] == id).cloned().expect(id) };
    let moved = |r: &str| r.replace("/acme/chatbot/", "/acme/copy/");
    let copied = row(&op);
    assert_eq!(copied["weave_ref"], moved(CALL));
    assert_eq!(copied["runnable_ref"], moved(JUDGE_OP));
    assert_eq!(copied["call_ref"], moved(OTHER_CALL));
    assert_eq!(copied["trigger_ref"], moved(MONITOR));
    assert_eq!(copied["creator"], "bot");
    assert_eq!(copied["payload"], before[0]["payload"]);
    assert_eq!(
        row(&shared)["runnable_ref"],
        SHARED_JUDGE,
        "another project's ref stays"
    );
    assert_eq!(row(&shared)["call_ref"], Value::Null);
    assert_eq!(row(&note)["runnable_ref"], Value::Null);

    // Exactly once, and into the source project (no -p) everything is already there.
    let out = ok(run(url, &["import", &file, "-p", "acme/copy"]));
    assert_eq!(out, "3 lines: 0 stored, 3 already present\n");
    let out = ok(run(url, &["import", &file]));
    assert_eq!(out, "3 lines: 0 stored, 3 already present\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scorer_rows_on_the_server() {
    let srv = TestServer::start();
    scorer_rows(&srv.base_url);
}

#[test]
fn scorer_rows_on_a_local_store() {
    let dir = temp_dir("store");
    scorer_rows(&format!("sqlite://{}", dir.join("f.db").display()));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A line the library cannot read names the line once, without the library's `batch item:`
/// prefix (which is for batch callers).
#[test]
fn an_unreadable_line_reads_well() {
    let dir = temp_dir("item");
    let url = format!("sqlite://{}", dir.join("f.db").display());
    let line = format!(r#"{{"id": "x1", "weave_ref": "{CALL}", "payload": {{}}}}"#);
    let e = fails(
        run(&url, &["import", &write_file(&dir, "l.jsonl", &line)]),
        3,
    );
    assert!(
        e.contains("line 1: feedback_type is required: 0 new rows"),
        "{e}"
    );
    assert!(!e.contains("batch item"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
