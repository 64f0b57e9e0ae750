//! `query --reaction` (the library's reaction filter) and `query --sort` (its `sort_by`).

use crate::harness::*;

/// Rows added, in order: reactions 👍 (Dana), 🎉, 👍; a note; scores 4, 1, 9.
struct Rows {
    thumbs: [String; 2],
    party: String,
    note: String,
    scores: [String; 3],
}

fn add_rows(url: &str) -> Rows {
    let t1 = add(url, &["--reaction", "👍", "--creator", "Dana"]);
    let party = add(url, &["--reaction", "🎉"]);
    let t2 = ok(run(url, &["add", "--ref", OTHER_CALL, "--reaction", "👍"]))
        .trim()
        .to_string();
    let note = add(url, &["--note", "fine"]);
    let score = |n: u32| {
        add(
            url,
            &[
                "--type",
                "helpfulness",
                "--payload",
                &format!(r#"{{"score": {n}}}"#),
            ],
        )
    };
    Rows {
        thumbs: [t1, t2],
        party,
        note,
        scores: [score(4), score(1), score(9)],
    }
}

fn reaction_and_sort(url: &str) -> Rows {
    let rows = add_rows(url);
    let q = |args: &[&str]| {
        let mut full = vec!["query", "-f", "jsonl"];
        full.extend_from_slice(args);
        ids(&jsonl(&ok(run(url, &full))))
    };
    fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        [&["-p", "acme/chatbot"][..], extra].concat()
    }

    // --reaction: exactly that emoji, and-ed with the other filters, paged with --all.
    assert_eq!(q(&with(&["--reaction", "👍"])), rows.thumbs);
    assert_eq!(q(&with(&["--reaction", "🎉"])), [rows.party.as_str()]);
    assert_eq!(
        q(&["--ref", CALL, "--reaction", "👍"]),
        [rows.thumbs[0].as_str()]
    );
    assert_eq!(
        q(&with(&["--reaction", "👍", "--creator", "Dana"])),
        [rows.thumbs[0].as_str()]
    );
    assert_eq!(
        q(&with(&["--reaction", "👍", "--type", "note"])),
        Vec::<String>::new()
    );
    assert_eq!(
        q(&with(&["--reaction", "👍", "--all", "--page-rows", "1"])),
        rows.thumbs
    );
    let exported = ok(run(
        url,
        &["export", "-p", "acme/chatbot", "--reaction", "🎉"],
    ));
    assert_eq!(ids(&jsonl(&exported)), [rows.party.as_str()]);
    fails(
        run(url, &["query", "-p", "acme/chatbot", "--reaction", ""]),
        3,
    );

    // --sort: columns, in turn; with --limit and --offset.
    let all = [
        &rows.thumbs[0],
        &rows.party,
        &rows.thumbs[1],
        &rows.note,
        &rows.scores[0],
        &rows.scores[1],
        &rows.scores[2],
    ];
    let reversed: Vec<String> = all.iter().rev().map(|s| s.to_string()).collect();
    assert_eq!(q(&with(&["--sort", "created_at:desc"])), reversed);
    assert_eq!(
        q(&with(&[
            "--sort",
            "created_at:desc",
            "--limit",
            "2",
            "--offset",
            "1"
        ])),
        reversed[1..3]
    );
    // By type ascending (helpfulness, wandb.note.1, wandb.reaction.1), then newest first.
    assert_eq!(
        q(&with(&[
            "--sort",
            "feedback_type",
            "--sort",
            "created_at:desc"
        ])),
        [
            rows.scores[2].as_str(),
            rows.scores[1].as_str(),
            rows.scores[0].as_str(),
            rows.note.as_str(),
            rows.thumbs[1].as_str(),
            rows.party.as_str(),
            rows.thumbs[0].as_str()
        ]
    );
    // The order pages walk may be spelled out with --all; any other is a usage error.
    let in_order: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        q(&with(&[
            "--sort",
            "created_at:asc",
            "--all",
            "--page-rows",
            "3"
        ])),
        in_order
    );
    let e = fails(
        run(
            url,
            &[
                "query",
                "-p",
                "acme/chatbot",
                "--sort",
                "created_at:desc",
                "--all",
            ],
        ),
        2,
    );
    assert!(e.contains("--all") && e.contains("--limit"), "{e}");
    fails(
        run(
            url,
            &["query", "-p", "acme/chatbot", "--sort", "created_at:down"],
        ),
        2,
    );
    let e = fails(
        run(url, &["query", "-p", "acme/chatbot", "--sort", "bogus"]),
        3,
    );
    assert!(e.contains("Unknown field: bogus"), "{e}");
    rows
}

#[test]
fn reaction_and_sort_on_the_server() {
    let srv = TestServer::start();
    reaction_and_sort(&srv.base_url);
}

/// The local store also sorts by a payload path (Weave's reference SQLite server fails on it).
#[test]
fn reaction_and_sort_on_a_local_store() {
    let dir = temp_dir("store");
    let url = format!("sqlite://{}", dir.join("f.db").display());
    let rows = reaction_and_sort(&url);
    let out = ok(run(
        &url,
        &[
            "query",
            "-p",
            "acme/chatbot",
            "--type",
            "helpfulness",
            "--sort",
            "payload.score:desc",
            "-f",
            "jsonl",
        ],
    ));
    let [four, one, nine] = &rows.scores;
    assert_eq!(ids(&jsonl(&out)), [nine.as_str(), four, one]);
    let _ = std::fs::remove_dir_all(&dir);
}
