//! One line on stderr and an exit status per class of error; --help lists them.

use std::process::Command;

use crate::harness::*;

#[test]
fn each_error_class_has_its_exit_status() {
    let srv = TestServer::start_with_api_key("s3cret-key");
    let url = &srv.base_url;
    let dir = temp_dir("errors");
    let key = write_file(&dir, "key", "s3cret-key\n");
    let wrong = write_file(&dir, "wrong", "not-the-key\n");

    // Usage: unknown option, missing option, conflicting options.
    fails(run(url, &["query", "--bogus"]), 2);
    fails(run(url, &["query"]), 2);
    fails(
        run(
            url,
            &["add", "--ref", CALL, "--note", "a", "--reaction", "👍"],
        ),
        2,
    );
    let e = fails(run(url, &["add", "--ref", CALL]), 2);
    assert!(e.contains("--reaction"), "{e}");

    // Invalid input.
    fails(
        run(url, &["add", "--ref", "weave:///acme", "--note", "x"]),
        3,
    );
    fails(
        run(url, &["query", "-p", "acme/chatbot", "--where", "{"]),
        3,
    );
    fails(
        run(
            url,
            &["query", "-p", "acme/chatbot", "--since", "yesterday"],
        ),
        3,
    );
    fails(run(url, &["query", "-p", "acme"]), 3);
    let e = fails(
        run(
            url,
            &[
                "add",
                "--api-key-file",
                &key,
                "--ref",
                CALL,
                "--type",
                "t",
                "--payload",
                "[1]",
            ],
        ),
        3,
    );
    assert!(e.contains("JSON object"), "{e}");

    // Authentication: no key, a wrong key; the key itself is never printed.
    fails(run(url, &["query", "-p", "acme/chatbot"]), 4);
    let e = fails(
        run(
            url,
            &["query", "--api-key-file", &wrong, "-p", "acme/chatbot"],
        ),
        4,
    );
    assert!(!e.contains("not-the-key"), "{e}");
    let e = fails(
        run(
            url,
            &[
                "query",
                "--api-key-file",
                &dir.join("none").display().to_string(),
                "-p",
                "a/b",
            ],
        ),
        3,
    );
    assert!(e.contains("API key file"), "{e}");
    // The right key, from the file or the environment.
    add(url, &["--api-key-file", &key, "--note", "with a key"]);
    let out = ok(run_env(
        url,
        &["query", "-p", "acme/chatbot", "-f", "jsonl"],
        &[("WANDB_API_KEY", "s3cret-key")],
    ));
    assert_eq!(jsonl(&out).len(), 1);

    // Not found.
    fails(
        run(
            url,
            &["get", "--api-key-file", &key, "nope", "-p", "acme/chatbot"],
        ),
        5,
    );

    // Server and network.
    srv.set_faults(r#"{"fail_first": 100, "fail_status": 503}"#);
    let e = fails(
        run(
            url,
            &["query", "--api-key-file", &key, "-p", "acme/chatbot"],
        ),
        6,
    );
    assert!(e.contains("server error (HTTP 503)"), "{e}");
    let e = fails(
        run("http://127.0.0.1:9", &["query", "-p", "acme/chatbot"]),
        6,
    );
    assert!(e.contains("transport error"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_lists_the_exit_statuses() {
    let out = Command::new(env!("CARGO_BIN_EXE_weave-feedback"))
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for line in [
        "2  usage",
        "3  invalid input",
        "4  authentication",
        "5  not found",
        "6  server or network",
    ] {
        assert!(help.contains(line), "{help}");
    }
    for cmd in [
        "add", "query", "get", "purge", "replace", "export", "import",
    ] {
        assert!(help.contains(&format!("  {cmd} ")), "{cmd}: {help}");
    }
}
