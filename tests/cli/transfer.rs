//! export and import: round trips keeping ids, exactly-once re-runs, a failing line.

use serde_json::Value;

use crate::harness::*;

/// Export, then import into a fresh project: same ids, types, payloads, creators; refs moved.
/// A second import stores nothing.
fn round_trip(url: &str) {
    let dir = temp_dir("export");
    let a = add(url, &["--reaction", "🎉", "--creator", "Dana"]);
    let b = ok(run(
        url,
        &["add", "--ref", OTHER_CALL, "--note", "second call"],
    ));
    let c = add(
        url,
        &[
            "--type",
            "helpfulness",
            "--payload",
            r#"{"score": 4, "why": ["a", 1]}"#,
        ],
    );
    let exported = ok(run(
        url,
        &["export", "-p", "acme/chatbot", "--page-rows", "2"],
    ));
    assert_eq!(ids(&jsonl(&exported)), [a, b.trim().to_string(), c]);
    let file = write_file(&dir, "all.jsonl", &exported);

    let out = ok(run(url, &["import", &file, "-p", "acme/copy"]));
    assert_eq!(out, "3 lines: 3 stored, 0 already present\n");
    let before = jsonl(&exported);
    let mut after = all_rows(url, "acme/copy");
    // Rows get the import's created_at; lines on one ref keep their order, rows on different
    // refs may not (each ref's lines go in one batch).
    let by_id = |rows: &mut Vec<Value>| rows.sort_by_key(|r| r["id"].as_str().unwrap().to_string());
    let mut before_sorted = before.clone();
    by_id(&mut before_sorted);
    by_id(&mut after);
    assert_eq!(ids(&after), ids(&before_sorted), "ids kept");
    for (x, y) in before_sorted.iter().zip(&after) {
        for key in ["feedback_type", "payload", "creator"] {
            assert_eq!(x[key], y[key], "{key}");
        }
        assert_eq!(y["project_id"], "acme/copy");
        let moved = x["weave_ref"]
            .as_str()
            .unwrap()
            .replace("/acme/chatbot/", "/acme/copy/");
        assert_eq!(y["weave_ref"], moved.as_str());
    }

    // Exactly once: the second run stores nothing new.
    let out = ok(run(url, &["import", &file, "-p", "acme/copy"]));
    assert_eq!(out, "3 lines: 0 stored, 3 already present\n");
    assert_eq!(all_rows(url, "acme/copy").len(), 3);
    // Into the original project (no -p): everything is already there.
    let out = ok(run(url, &["import", &file, "--batch", "1"]));
    assert_eq!(out, "3 lines: 0 stored, 3 already present\n");
    assert_eq!(all_rows(url, "acme/chatbot").len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_import_round_trip_on_the_server() {
    let srv = TestServer::start();
    round_trip(&srv.base_url);
}

#[test]
fn export_import_round_trip_on_a_local_store() {
    let dir = temp_dir("store");
    round_trip(&format!("sqlite://{}", dir.join("f.db").display()));
    let _ = std::fs::remove_dir_all(&dir);
}

fn note_line(id: &str, weave_ref: &str, note: &str) -> String {
    serde_json::json!({"id": id, "weave_ref": weave_ref, "feedback_type": "wandb.note.1",
                       "payload": {"note": note}})
    .to_string()
}

fn id(n: u32) -> String {
    format!("0192f3b0-0000-7000-8000-{n:012}")
}

#[test]
fn a_bad_line_stops_the_import_at_that_line() {
    let srv = TestServer::start();
    let url = &srv.base_url;
    let dir = temp_dir("bad");
    let good = |n| note_line(&id(n), CALL, &format!("line {n}"));
    let text = [good(1), good(2), "{not json".into(), good(4)].join("\n");
    let file = write_file(&dir, "bad.jsonl", &text);
    let e = fails(run(url, &["import", &file]), 3);
    assert!(e.contains("line 3: not JSON"), "{e}");
    assert!(
        e.contains("2 new rows stored from the lines before it"),
        "{e}"
    );
    assert_eq!(ids(&all_rows(url, "acme/chatbot")), [id(1), id(2)]);

    // Line 7 passes every client-side check but the server refuses it (two emoji, as Python's
    // `emoji` package counts them); its batch is another ref's, sent after the batch that
    // holds line 8, which is taken back: what stays stored is exactly the lines before 7.
    let reaction = serde_json::json!({"id": id(7), "weave_ref": OTHER_CALL,
        "feedback_type": "wandb.reaction.1", "payload": {"emoji": "👍👍"}})
    .to_string();
    let text = [good(5), good(6), reaction.clone(), good(8)].join("\n");
    let file = write_file(&dir, "refused.jsonl", &text);
    let e = fails(run(url, &["import", &file]), 3);
    assert!(
        e.contains("line 3: rejected by the server (HTTP 400)"),
        "{e}"
    );
    assert!(
        e.contains("2 new rows stored from the lines before it"),
        "{e}"
    );
    assert!(e.contains("nothing from it on is stored"), "{e}");
    assert_eq!(
        ids(&all_rows(url, "acme/chatbot")),
        [id(1), id(2), id(5), id(6)]
    );

    // A client-side refusal (an empty note) names its line too.
    let text = [good(9), note_line(&id(10), CALL, "")].join("\n");
    let e = fails(
        run(url, &["import", &write_file(&dir, "empty.jsonl", &text)]),
        3,
    );
    assert!(e.contains("line 2: invalid feedback"), "{e}");
    assert!(e.contains("1 new rows stored"), "{e}");

    // Fixed, the same files go in: only what is missing is stored.
    let text = [good(1), good(2), good(3), good(4)].join("\n");
    let out = ok(run(
        url,
        &["import", &write_file(&dir, "fixed.jsonl", &text)],
    ));
    assert_eq!(out, "4 lines: 2 stored, 2 already present\n");
    let text = [good(5), good(6), good(7), good(8)].join("\n");
    let out = ok(run(
        url,
        &["import", &write_file(&dir, "fixed2.jsonl", &text)],
    ));
    assert_eq!(out, "4 lines: 2 stored, 2 already present\n");
    assert_eq!(all_rows(url, "acme/chatbot").len(), 9);

    // Lines without an id cannot be imported exactly once.
    let no_id = r#"{"weave_ref":"weave:///acme/chatbot/call/x","feedback_type":"t","payload":{}}"#;
    let e = fails(
        run(url, &["import", &write_file(&dir, "noid.jsonl", no_id)]),
        3,
    );
    assert!(e.contains("line 1: an id is required"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Progress lines go to stderr only when it is a terminal: here a pseudo-terminal from
/// util-linux's `script` (every other test runs with stderr a pipe, and `ok()` checks that
/// nothing was written to it).
#[test]
fn progress_shows_on_a_terminal() {
    let dir = temp_dir("tty");
    let url = format!("sqlite://{}", dir.join("f.db").display());
    for n in 0..3 {
        add(&url, &["--note", &format!("n{n}")]);
    }
    let bin = env!("CARGO_BIN_EXE_weave-feedback");
    let out = dir.join("out.jsonl");
    let on_a_tty = |cmd: String| {
        let o = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env_clear()
            .env("HOME", &dir)
            .output()
            .expect("util-linux `script` (package bsdutils) runs the tool on a terminal");
        assert!(o.status.success(), "{o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let shown = on_a_tty(format!(
        "{bin} --url {url} export -p acme/chatbot > {}",
        out.display()
    ));
    assert!(shown.contains("exported 3 rows"), "{shown:?}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 3);
    let shown = on_a_tty(format!(
        "{bin} --url {url} import -p acme/copy {} > /dev/null",
        out.display()
    ));
    assert!(
        shown.contains("imported 3 lines: 3 stored, 0 already present"),
        "{shown:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
