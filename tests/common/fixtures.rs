//! What the Rust integration tests share beside the server: the call they write to, a client
//! builder with fast retries, and row look-ups.

use std::time::Duration;

use weave_feedback::{Client, ClientBuilder, Feedback};

use super::TestServer;

/// The call every test writes feedback to.
pub const CALL: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";

/// A builder for `srv` with millisecond backoff, so retries cost no real time.
pub fn builder(srv: &TestServer) -> ClientBuilder {
    ClientBuilder::new()
        .base_url(&srv.base_url)
        .retry_base_delay(Duration::from_millis(1))
        .retry_max_delay(Duration::from_millis(20))
}

/// [`builder`], built.
pub fn client(srv: &TestServer) -> Client {
    builder(srv).build().unwrap()
}

/// Every row on [`CALL`], read with a fresh client-side query.
pub fn rows(c: &Client) -> Vec<Feedback> {
    c.ref_feedback_query(CALL)
        .unwrap()
        .execute()
        .unwrap()
        .iter()
        .cloned()
        .collect()
}

/// The stored rows are exactly `ids`, in any order (batch items may be stored in any order).
pub fn assert_same_ids(stored: &[Feedback], ids: &[String]) {
    let mut got: Vec<&str> = stored.iter().map(|f| f.id.as_str()).collect();
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
}

/// `stored` is exactly one row, with id `id`; returns it.
pub fn assert_only_row<'a>(stored: &'a [Feedback], id: &str) -> &'a Feedback {
    assert_eq!(stored.len(), 1, "expected exactly the row {id}: {stored:?}");
    assert_eq!(stored[0].id, id);
    &stored[0]
}
