//! Integers beyond 64 bits keep every digit through `add --payload`, `get`, `export` and
//! `import` (the library keeps payloads as JSON text; a `serde_json::Value` would hold them as
//! `f64`, `1.2345678901234568e22`).

use crate::harness::*;

const BIG: &str = "12345678901234567890123";
const NEGATIVE: &str = "-98765432109876543210";

fn exact_numbers(url: &str) {
    let dir = temp_dir("exact");
    let payload = format!(r#"{{"n": {BIG}, "nested": [{{"m": {NEGATIVE}}}]}}"#);
    let id = add(url, &["--type", "big", "--payload", &payload]);

    let got = ok(run(url, &["get", &id, "-p", "acme/chatbot", "-f", "jsonl"]));
    assert!(got.contains(BIG) && got.contains(NEGATIVE), "get: {got}");

    let exported = ok(run(url, &["export", "-p", "acme/chatbot"]));
    assert!(
        exported.contains(BIG) && exported.contains(NEGATIVE),
        "export: {exported}"
    );
    let file = write_file(&dir, "big.jsonl", &exported);
    let out = ok(run(url, &["import", &file, "-p", "acme/copy"]));
    assert_eq!(out, "1 lines: 1 stored, 0 already present\n");
    let copied = ok(run(
        url,
        &["query", "-p", "acme/copy", "--all", "-f", "jsonl"],
    ));
    assert!(
        copied.contains(BIG) && copied.contains(NEGATIVE),
        "import: {copied}"
    );
    assert!(
        !copied.contains("e+22") && !copied.contains("e22"),
        "{copied}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn big_integers_keep_every_digit_on_the_server() {
    let srv = TestServer::start();
    exact_numbers(&srv.base_url);
}

#[test]
fn big_integers_keep_every_digit_on_a_local_store() {
    let dir = temp_dir("exact-store");
    exact_numbers(&format!("sqlite://{}", dir.join("f.db").display()));
    let _ = std::fs::remove_dir_all(&dir);
}
