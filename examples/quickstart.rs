//! Quick start: add a reaction, a note and a custom score to a call, read them back, print the
//! SDK's table, and purge one.
//!
//! With no configuration it runs on a local store (a SQLite file under `target/quickstart/`,
//! Weave's server semantics in this process; no server, no Python):
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With `WF_TRACE_SERVER_URL`, `WANDB_BASE_URL` or `WANDB_API_KEY` set, configuration comes from
//! the environment as in Weave's SDK, and the same program talks to that server. The call ref
//! can be given as the first argument:
//!
//! ```sh
//! WANDB_API_KEY=... cargo run --example quickstart -- weave:///<entity>/<project>/call/<id>
//! ```

use serde_json::{json, Map, Value};
use weave_feedback::{Client, ClientBuilder, NewFeedback};

/// Where the quick start keeps its local store when nothing is configured.
const LOCAL_DB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/quickstart/feedback.db");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let call = std::env::args().nth(1).unwrap_or_else(|| {
        "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd".to_string()
    });
    let configured = ["WF_TRACE_SERVER_URL", "WANDB_BASE_URL", "WANDB_API_KEY"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.is_empty()));
    let client = if configured {
        Client::from_env()?
    } else {
        ClientBuilder::new()
            .base_url(format!("sqlite://{LOCAL_DB}"))
            .build()?
    };
    println!("server: {}", client.base_url());

    let mut feedback = client.ref_feedback_query(&call)?;
    let reaction = feedback.add_reaction("👍", Some("Dana"))?;
    let note = feedback.add_note("Clear and correct answer.", None)?;
    let score: Map<String, Value> = json!({"score": 4}).as_object().cloned().unwrap_or_default();
    let custom = feedback.add(NewFeedback::custom("helpfulness", score))?;
    println!("added reaction {reaction}, note {note}, score {custom}");

    let rows = feedback.execute()?;
    println!("{} feedback rows on {call}:", rows.len());
    print!("{}", rows.format_table());

    feedback.purge(&note)?;
    let after = feedback.execute()?;
    println!("purged the note; {} rows remain", after.len());
    if !configured {
        println!();
        println!("The rows are kept in the local store {LOCAL_DB}");
        println!("(run again to add more; delete the file to start over).");
        println!("The same program against a real Weave server:");
        println!("  WANDB_API_KEY=<key> cargo run --example quickstart -- weave:///<entity>/<project>/call/<call-id>");
        println!("  WF_TRACE_SERVER_URL=http://127.0.0.1:<port> cargo run --example quickstart   # a local Weave server");
    }
    Ok(())
}
