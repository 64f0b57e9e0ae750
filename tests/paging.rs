//! Paging against Weave's real server logic: `FeedbackQuery::pages` walks every row once, in
//! (`created_at`, `id`) order, while rows are added and deleted, and `execute()` without a limit
//! still returns every row when no single answer may hold them all.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::TestServer;
use weave_feedback::query::{eq, get_field, literal};
use weave_feedback::{Client, ClientBuilder, Error, Feedbacks, NewFeedback, Query};

const CALL: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";
const OTHER: &str = "weave:///acme/chatbot/call/0192f3a4-0000-7d8e-9f01-000000000002";

fn client(srv: &TestServer) -> Client {
    ClientBuilder::new()
        .base_url(&srv.base_url)
        .retry_base_delay(Duration::from_millis(1))
        .build()
        .unwrap()
}

fn add_notes(c: &Client, r: &str, n: usize, tag: &str) -> Vec<String> {
    c.ref_feedback_query(r)
        .unwrap()
        .add_batch(
            (0..n)
                .map(|i| NewFeedback::note(format!("{tag} {i}")))
                .collect(),
        )
        .unwrap()
}

fn ids(rows: &Feedbacks) -> Vec<String> {
    rows.iter().map(|f| f.id.clone()).collect()
}

fn sorted_key(rows: &[(String, String)]) -> bool {
    rows.windows(2).all(|w| w[0] < w[1])
}

#[test]
fn pages_walk_every_row_once_in_created_at_then_id_order() {
    let srv = TestServer::start();
    let c = client(&srv);
    add_notes(&c, CALL, 30, "a");
    add_notes(&c, OTHER, 23, "b");
    let q = c.feedback_query("acme", "chatbot").unwrap();
    let all = q.clone().with_limit(1000).execute().unwrap();
    assert_eq!(all.len(), 53);

    let pages: Vec<Feedbacks> = q.pages(7).unwrap().map(Result::unwrap).collect();
    assert_eq!(pages.len(), 8, "7 full pages and one of 4");
    assert!(pages[..7].iter().all(|p| p.len() == 7));
    let walked: Vec<(String, String)> = pages
        .iter()
        .flat_map(|p| p.iter())
        .map(|f| (f.created_at_rfc3339().to_string(), f.id.clone()))
        .collect();
    assert_eq!(walked.len(), 53);
    assert!(sorted_key(&walked), "strictly increasing (created_at, id)");
    let set: HashSet<&String> = walked.iter().map(|(_, id)| id).collect();
    assert_eq!(set.len(), 53, "no row twice");

    // A page size that divides the rows: the walk ends with an empty request, not an empty page.
    assert_eq!(q.pages(53).unwrap().count(), 1);
    // The filter, offset and limit apply to the walk as a whole.
    let only_b = q
        .clone()
        .with_query(Query::new(eq(get_field("weave_ref"), literal(OTHER))))
        .with_offset(2)
        .with_limit(15);
    let rows: Vec<String> = only_b
        .pages(4)
        .unwrap()
        .flat_map(|p| ids(&p.unwrap()))
        .collect();
    let want = ids(&only_b.clone().with_limit(15).execute().unwrap());
    assert_eq!(rows, want);
    assert_eq!(rows.len(), 15);
    assert!(matches!(q.pages(0), Err(Error::InvalidArgument(_))));
}

#[test]
fn rows_added_or_deleted_during_a_walk_are_neither_skipped_nor_repeated() {
    let srv = TestServer::start();
    let c = client(&srv);
    let first = add_notes(&c, CALL, 40, "before");
    let q = c.feedback_query("acme", "chatbot").unwrap();
    let mut pages = q.pages(10).unwrap();
    let mut seen: Vec<String> = ids(&pages.next().unwrap().unwrap());
    assert_eq!(seen, first[..10]);

    // Meanwhile: rows already walked are deleted (offset paging would now skip 5 rows), and
    // new rows are added (they sort after everything that existed).
    let mut writer = c.ref_feedback_query(CALL).unwrap();
    for id in &first[..5] {
        writer.purge(id).unwrap();
    }
    let later = add_notes(&c, OTHER, 12, "during");

    for page in pages {
        seen.extend(ids(&page.unwrap()));
    }
    let mut want = first.clone();
    want.extend(later);
    assert_eq!(seen, want, "every row once, new rows at the end");
}

#[test]
fn execute_without_a_limit_fetches_every_row_in_pages_under_the_response_cap() {
    let srv = TestServer::start();
    let c = client(&srv);
    add_notes(&c, CALL, 60, "x");
    let full = c
        .feedback_query("acme", "chatbot")
        .unwrap()
        .with_limit(100)
        .execute()
        .unwrap();
    let one_answer = full.to_json().len() as u64;

    // A cap that three rows' answer fits under but not all 60.
    let small = ClientBuilder::new()
        .base_url(&srv.base_url)
        .max_response_bytes(one_answer / 20)
        .build()
        .unwrap();
    let mut limited = small
        .feedback_query("acme", "chatbot")
        .unwrap()
        .with_limit(100);
    let err = limited.execute().unwrap_err();
    assert!(
        matches!(&err, Error::Decode { message, .. } if message.contains("max_response_bytes")),
        "with a limit it is one request, which is over the cap: {err}"
    );
    let mut all = small.feedback_query("acme", "chatbot").unwrap();
    let rows = all.execute().unwrap();
    assert_eq!(ids(&rows), ids(&full), "every row, in order");
    let mut on_ref = small.ref_feedback_query(CALL).unwrap();
    assert_eq!(on_ref.execute().unwrap().len(), 60);
}
