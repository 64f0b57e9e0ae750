//! Quick start: add a reaction, a note and a custom score to a call, read them back, print the
//! SDK's table, and purge one.
//!
//! Configuration comes from the environment as in Weave's SDK: `WF_TRACE_SERVER_URL` (or
//! `WANDB_BASE_URL`), `WANDB_API_KEY`. The call ref can be given as the first argument.
//!
//! ```sh
//! WF_TRACE_SERVER_URL=http://127.0.0.1:8080 cargo run --example quickstart
//! ```

use serde_json::{json, Map, Value};
use weave_feedback::{Client, NewFeedback};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let call = std::env::args().nth(1).unwrap_or_else(|| {
        "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd".to_string()
    });
    let client = Client::from_env()?;
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
    Ok(())
}
