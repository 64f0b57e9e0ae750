//! add, query, get, replace and purge, and paging.

use serde_json::Value;

use crate::harness::*;

/// add, query (filters and formats), get, replace, purge: one store, one story.
fn row_commands(url: &str) {
    let reaction = add(url, &["--reaction", "👍", "--creator", "Dana"]);
    let note = add(url, &["--note", "Clear answer."]);
    let score = add(
        url,
        &["--type", "helpfulness", "--payload", r#"{"score": 4}"#],
    );

    let rows = all_rows(url, "acme/chatbot");
    assert_eq!(
        ids(&rows),
        [reaction.as_str(), note.as_str(), score.as_str()]
    );
    assert_eq!(rows[0]["payload"]["emoji"], "👍");
    assert_eq!(rows[0]["creator"], "Dana");
    assert_eq!(rows[2]["payload"]["score"], 4);

    // Filters, each alone and combined.
    let q = |args: &[&str]| {
        let mut full = vec!["query", "-f", "jsonl"];
        full.extend_from_slice(args);
        ids(&jsonl(&ok(run(url, &full))))
    };
    assert_eq!(q(&["--ref", CALL, "--type", "note"]), [note.as_str()]);
    assert_eq!(
        q(&["-p", "acme/chatbot", "--type", "reaction"]),
        [reaction.as_str()]
    );
    assert_eq!(
        q(&["-p", "acme/chatbot", "--creator", "Dana"]),
        [reaction.as_str()]
    );
    assert_eq!(
        q(&["--ref", OTHER_CALL]),
        Vec::<String>::new(),
        "another ref has none"
    );
    let w = r#"{"$expr":{"$eq":[{"$getField":"feedback_type"},{"$literal":"helpfulness"}]}}"#;
    assert_eq!(q(&["-p", "acme/chatbot", "--where", w]), [score.as_str()]);
    assert_eq!(
        q(&["-p", "acme/chatbot", "--where", w, "--type", "note"]),
        Vec::<String>::new(),
        "filters are ANDed"
    );
    assert_eq!(
        q(&[
            "-p",
            "acme/chatbot",
            "--since",
            "2000-01-01",
            "--until",
            "2999-01-01T00:00:00Z"
        ])
        .len(),
        3
    );
    assert_eq!(
        q(&["-p", "acme/chatbot", "--since", "2999-01-01"]),
        Vec::<String>::new()
    );
    assert_eq!(
        q(&["-p", "acme/chatbot", "--until", "2000-01-01T00:00:00+02:00"]),
        Vec::<String>::new()
    );

    // The SDK's table and a JSON array.
    let table = ok(run(url, &["query", "--ref", CALL, "--show-refs"]));
    let header = table.lines().next().unwrap();
    for col in ["Ref", "Type", "Feedback", "Created", "ID", "Creator"] {
        assert!(header.contains(col), "{header}");
    }
    assert!(table.contains("Dana ("), "{table}");
    assert!(
        table.contains(&note) && table.contains("Clear answer."),
        "{table}"
    );
    let json: Value = serde_json::from_str(&ok(run(
        url,
        &["query", "-p", "acme/chatbot", "-f", "json"],
    )))
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);

    // get: one row; a missing id is "not found".
    let got: Value = serde_json::from_str(&ok(run(
        url,
        &["get", &note, "-p", "acme/chatbot", "-f", "json"],
    )))
    .unwrap();
    assert_eq!(got[0]["payload"]["note"], "Clear answer.");
    let e = fails(run(url, &["get", "no-such-id", "-p", "acme/chatbot"]), 5);
    assert!(e.contains("no-such-id"), "{e}");

    // replace keeps the id and the ref; purge removes the row.
    assert_eq!(
        ok(run(
            url,
            &["replace", &note, "-p", "acme/chatbot", "--note", "Fixed."]
        ))
        .trim(),
        note
    );
    let got = jsonl(&ok(run(
        url,
        &["get", &note, "-p", "acme/chatbot", "-f", "jsonl"],
    )));
    assert_eq!(got[0]["payload"]["note"], "Fixed.");
    assert_eq!(got[0]["weave_ref"], CALL);
    assert_eq!(
        ok(run(url, &["purge", &note, "-p", "acme/chatbot"])).trim(),
        note
    );
    fails(run(url, &["get", &note, "-p", "acme/chatbot"]), 5);
    fails(run(url, &["purge", &note, "-p", "acme/chatbot"]), 5);
    fails(
        run(
            url,
            &["replace", &note, "-p", "acme/chatbot", "--note", "x"],
        ),
        5,
    );
    assert_eq!(
        ids(&all_rows(url, "acme/chatbot")),
        [reaction.as_str(), score.as_str()]
    );
}

#[test]
fn row_commands_on_the_server() {
    let srv = TestServer::start();
    row_commands(&srv.base_url);
}

#[test]
fn row_commands_on_a_local_store() {
    let dir = temp_dir("store");
    row_commands(&format!("sqlite://{}", dir.join("f.db").display()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn limit_offset_and_all() {
    let srv = TestServer::start();
    let url = &srv.base_url;
    let added: Vec<String> = (0..5)
        .map(|i| add(url, &["--note", &format!("n{i}")]))
        .collect();
    let q = |args: &[&str]| {
        let mut full = vec!["query", "-p", "acme/chatbot", "-f", "jsonl"];
        full.extend_from_slice(args);
        ids(&jsonl(&ok(run(url, &full))))
    };
    assert_eq!(q(&["--limit", "2"]), added[..2]);
    assert_eq!(q(&["--limit", "2", "--offset", "2"]), added[2..4]);
    assert_eq!(q(&["--all", "--page-rows", "2"]), added);
    assert_eq!(
        q(&["--all", "--page-rows", "2", "--offset", "3"]),
        added[3..]
    );
    assert_eq!(q(&[]), added, "the default limit (100) is above 5");
    let json: Value = serde_json::from_str(&ok(run(
        url,
        &[
            "query",
            "-p",
            "acme/chatbot",
            "-f",
            "json",
            "--all",
            "--page-rows",
            "2",
        ],
    )))
    .unwrap();
    assert_eq!(
        json.as_array().unwrap().len(),
        5,
        "a streamed array is one JSON array"
    );
    fails(
        run(
            url,
            &["query", "-p", "acme/chatbot", "--all", "--limit", "2"],
        ),
        2,
    );
}
