//! Running the binary and reading what it printed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

pub use crate::common::fixtures::CALL;
pub use crate::common::TestServer;

pub const OTHER_CALL: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-000000000002";

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "weave-cli-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with `--url url` and a clean environment (plus `env`).
pub fn run_env(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = temp_dir("home");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weave-feedback"));
    cmd.env_clear()
        .env("HOME", &home)
        .env("WANDB_CONFIG_DIR", home.join("wandb"))
        .env("WEAVE_RETRY_MAX_ATTEMPTS", "1")
        .arg("--url")
        .arg(url)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run weave-feedback");
    let _ = std::fs::remove_dir_all(&home);
    out
}

pub fn run(url: &str, args: &[&str]) -> Output {
    run_env(url, args, &[])
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Succeeded, said nothing on stderr; returns stdout.
pub fn ok(o: Output) -> String {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "",
        "nothing on stderr when it is not a terminal"
    );
    stdout(&o)
}

/// Failed with `code` and exactly one line on stderr; returns that line.
pub fn fails(o: Output, code: i32) -> String {
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {} stderr: {err}",
        stdout(&o)
    );
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err:?}");
    assert!(err.starts_with("weave-feedback: "), "{err}");
    err
}

/// The rows of a JSON Lines output.
pub fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

pub fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every row of a project, as JSON Lines rows.
pub fn all_rows(url: &str, project: &str) -> Vec<Value> {
    jsonl(&ok(run(
        url,
        &["query", "-p", project, "--all", "-f", "jsonl"],
    )))
}

pub fn add(url: &str, args: &[&str]) -> String {
    let mut full = vec!["add", "--ref", CALL];
    full.extend_from_slice(args);
    let id = ok(run(url, &full)).trim().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    id
}

pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}
