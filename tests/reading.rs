//! Reading feedback: by id and by reaction, per-ref paging, the query as a collection,
//! `sort_by` and `fields`. Every scenario runs twice: against Weave's server logic (the test
//! front) and against the local store (`sqlite::memory:`), with the same assertions, so both
//! backends are shown to give the same answers. Where the reference server cannot run a
//! construct (sorting by a payload path: HTTP 500 on SQLite), the test says so explicitly.

mod common;

use common::fixtures::{builder, CALL};
use common::TestServer;
use serde_json::{json, Map, Value};
use weave_feedback::{
    Client, ClientBuilder, ErrorKind, NewFeedback, Query, RefFeedbackQuery, SortBy,
};

const OTHER_CALL: &str = "weave:///acme/chatbot/call/0192f3a4-0000-7d8e-9f01-000000000002";

/// A backend: the client, and the server behind it when there is one (to count requests).
struct Backend {
    name: &'static str,
    client: Client,
    server: Option<TestServer>,
}

impl Backend {
    fn queries(&self) -> Option<u64> {
        self.server
            .as_ref()
            .map(|s| s.request_count("/feedback/query"))
    }
}

fn backends() -> Vec<Backend> {
    let srv = TestServer::start();
    let mut out = vec![Backend {
        name: "server",
        client: builder(&srv).build().unwrap(),
        server: Some(srv),
    }];
    if cfg!(feature = "local-store") {
        out.push(Backend {
            name: "local store",
            client: ClientBuilder::new()
                .base_url("sqlite::memory:")
                .build()
                .unwrap(),
            server: None,
        });
    }
    out
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// Adds, in this order: 👍 (Dana), a note, 👎, 👍 on OTHER_CALL, and scores 3, 10, none.
/// Returns the ids in creation order.
fn seed(c: &Client) -> Vec<String> {
    let mut a = c.ref_feedback_query(CALL).unwrap();
    let mut b = c.ref_feedback_query(OTHER_CALL).unwrap();
    vec![
        a.add_reaction("👍", Some("Dana")).unwrap(),
        a.add_note("says 👍 in words", None).unwrap(),
        a.add_reaction("👎", None).unwrap(),
        b.add_reaction("👍", None).unwrap(),
        a.add(NewFeedback::custom("score", obj(json!({"score": 3}))))
            .unwrap(),
        a.add(NewFeedback::custom("score", obj(json!({"score": 10}))))
            .unwrap(),
        a.add(NewFeedback::custom("score", obj(json!({"label": "n/a"}))))
            .unwrap(),
    ]
}

fn ids_iter<'a>(rows: impl IntoIterator<Item = &'a weave_feedback::Feedback>) -> Vec<String> {
    rows.into_iter().map(|f| f.id.clone()).collect()
}

#[test]
fn feedback_by_id_and_by_reaction() {
    for b in backends() {
        let c = &b.client;
        let ids = seed(c);
        let all = c
            .feedback_query("acme", "chatbot")
            .unwrap()
            .execute()
            .unwrap();

        let note = c.get_feedback("acme", "chatbot", &ids[1]).unwrap();
        assert_eq!(note, all[1], "{}: the row as a query returns it", b.name);
        assert_eq!(note.payload["note"], "says 👍 in words");

        let missing = c
            .get_feedback("acme", "chatbot", "0192f3a4-0000-7000-8000-000000000000")
            .unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound, "{}", b.name);
        assert_eq!(missing.http_status(), None, "{}: no 404 was sent", b.name);
        assert!(missing
            .to_string()
            .starts_with("not found: no feedback with id 0192f3a4-"));
        let elsewhere = c.get_feedback("acme", "other", &ids[1]).unwrap_err();
        assert_eq!(elsewhere.kind(), ErrorKind::NotFound, "{}", b.name);

        let mut thumbs = c.feedback_by_reaction("acme", "chatbot", "👍").unwrap();
        let rows = thumbs.execute().unwrap();
        assert_eq!(
            ids_of(&rows),
            [ids[0].clone(), ids[3].clone()],
            "{}",
            b.name
        );
        assert!(rows.format_table().starts_with("Ref "), "{}", b.name);
        let one = c
            .feedback_by_reaction("acme", "chatbot", "👍")
            .unwrap()
            .with_query(Query::weave_ref_equals(OTHER_CALL))
            .execute()
            .unwrap();
        assert_eq!(
            ids_of(&one),
            [ids[3].clone()],
            "{}: filter and reaction",
            b.name
        );
        let none = c
            .feedback_by_reaction("acme", "chatbot", "🎉")
            .unwrap()
            .execute()
            .unwrap();
        assert!(none.is_empty(), "{}", b.name);
    }
}

fn ids_of(rows: &weave_feedback::Feedbacks) -> Vec<String> {
    ids_iter(rows.iter())
}

#[test]
fn ref_query_offset_limit_and_show_refs() {
    for b in backends() {
        let c = &b.client;
        let ids = seed(c);
        let on_call: Vec<String> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 3)
            .map(|(_, id)| id.clone())
            .collect();

        let mut q = c
            .ref_feedback_query(CALL)
            .unwrap()
            .with_offset(1)
            .with_limit(2);
        assert_eq!(ids_of(&q.execute().unwrap()), on_call[1..3], "{}", b.name);
        assert!(!q.execute().unwrap().format_table().starts_with("Ref "));

        q.set_limit(None);
        assert!(q.cached().is_none(), "a new setting clears the cache");
        assert_eq!(
            ids_of(&q.execute().unwrap()),
            on_call[1..],
            "{}: offset alone",
            b.name
        );

        q.set_offset(None);
        q.set_show_refs(true);
        let rows = q.execute().unwrap();
        assert_eq!(ids_of(&rows), on_call, "{}", b.name);
        assert!(rows.format_table().starts_with("Ref "), "{}", b.name);
        let q: RefFeedbackQuery = c.ref_feedback_query(CALL).unwrap().with_limit(0);
        assert_eq!(q.as_feedback_query().request_body().unwrap()["limit"], 0);
    }
}

#[test]
fn a_query_is_a_collection_fetched_once() {
    for b in backends() {
        let c = &b.client;
        let ids = seed(c);
        let mut q = c.feedback_query("acme", "chatbot").unwrap();
        let before = b.queries();
        assert_eq!(q.len().unwrap(), 7, "{}", b.name);
        assert!(!q.is_empty().unwrap());
        assert_eq!(q.get(0).unwrap().unwrap().id, ids[0], "{}", b.name);
        assert_eq!(q.get(-1).unwrap().unwrap().id, ids[6], "{}", b.name);
        assert_eq!(q.get(-7).unwrap().unwrap().id, ids[0], "{}", b.name);
        assert!(q.get(-8).unwrap().is_none());
        assert!(q.get(7).unwrap().is_none());
        assert_eq!(ids_iter(q.iter().unwrap()), ids, "{}", b.name);
        if let (Some(before), Some(after)) = (before, b.queries()) {
            assert_eq!(after - before, 1, "one fetch serves len, get and iter");
        }

        let mut r = c.ref_feedback_query(OTHER_CALL).unwrap();
        assert_eq!(r.len().unwrap(), 1);
        assert_eq!(r.get(-1).unwrap().unwrap().id, ids[3]);
        assert_eq!(r.iter().unwrap().count(), 1);
        let mut empty = c.feedback_query("acme", "other").unwrap();
        assert!(empty.is_empty().unwrap());
        assert!(empty.get(-1).unwrap().is_none());
    }
}

#[test]
fn sort_by_columns_and_payload_paths() {
    for b in backends() {
        let c = &b.client;
        let ids = seed(c);
        let mut rev: Vec<String> = ids.clone();
        rev.reverse();
        let mut desc = c
            .feedback_query("acme", "chatbot")
            .unwrap()
            .with_sort_by(vec![SortBy::desc("created_at")]);
        let before = b.queries();
        assert_eq!(ids_of(&desc.execute().unwrap()), rev, "{}", b.name);
        if let (Some(before), Some(after)) = (before, b.queries()) {
            assert_eq!(after - before, 1, "a custom sort is fetched in one request");
        }
        let e = desc.pages(2).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("sort_by"), "{e}");

        let by_type = c
            .feedback_query("acme", "chatbot")
            .unwrap()
            .with_sort_by(vec![
                SortBy::asc("feedback_type"),
                SortBy::desc("created_at"),
            ])
            .with_limit(3)
            .execute()
            .unwrap();
        assert_eq!(
            ids_of(&by_type),
            [ids[6].clone(), ids[5].clone(), ids[4].clone()],
            "{}",
            b.name
        );

        // The walk's own order may be spelled out; it still pages.
        let same = c
            .feedback_query("acme", "chatbot")
            .unwrap()
            .with_sort_by(vec![SortBy::asc("created_at")]);
        let walked: Vec<String> = same
            .pages(3)
            .unwrap()
            .flat_map(|p| ids_of(&p.unwrap()))
            .collect();
        assert_eq!(walked, ids, "{}", b.name);

        let before = b.queries();
        let unknown = c
            .feedback_query("acme", "chatbot")
            .unwrap()
            .with_sort_by(vec![SortBy::asc("nope")])
            .execute()
            .unwrap_err();
        assert_eq!(unknown.kind(), ErrorKind::InvalidArgument);
        assert!(
            unknown.to_string().contains("Unknown field: nope"),
            "{unknown}"
        );
        assert_eq!(before, b.queries(), "refused before sending");

        let mut scores = c
            .feedback_query("acme", "chatbot")
            .unwrap()
            .with_query(Query::new(weave_feedback::query::eq(
                weave_feedback::query::get_field("feedback_type"),
                weave_feedback::query::literal("score"),
            )))
            .with_sort_by(vec![SortBy::desc("payload.score")]);
        match b.name {
            // Weave's SQLite server builds SQL with JSON_EXISTS, which SQLite lacks.
            "server" => assert_eq!(scores.execute().unwrap_err().kind(), ErrorKind::Server),
            // The store gives the hosted meaning: rows with the path first, numbers descending.
            _ => assert_eq!(
                ids_of(&scores.execute().unwrap()),
                [ids[5].clone(), ids[4].clone(), ids[6].clone()]
            ),
        }
    }
}

#[test]
fn fields_projection_is_read_as_json() {
    for b in backends() {
        let c = &b.client;
        let ids = seed(c);
        let mut q = c
            .feedback_query("acme", "chatbot")
            .unwrap()
            .with_query(Query::id_equals(&ids[4]))
            .with_fields(["id", "payload.score", "payload"]);
        let rows = q.fetch_projected().unwrap();
        assert_eq!(rows.len(), 1, "{}", b.name);
        assert_eq!(
            Value::Object(rows[0].clone()),
            json!({"id": ids[4], "payload.score": 3, "payload": {"score": 3}}),
            "{}",
            b.name
        );
        for e in [q.execute().unwrap_err(), q.len().unwrap_err()] {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", b.name);
            assert!(e.to_string().contains("fetch_projected"), "{e}");
        }
        assert_eq!(q.pages(10).unwrap_err().kind(), ErrorKind::InvalidArgument);

        let whole = c
            .feedback_query("acme", "chatbot")
            .unwrap()
            .with_limit(2)
            .fetch_projected()
            .unwrap();
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0]["id"], ids[0].as_str());
        assert!(whole[0].contains_key("created_at") && whole[0].contains_key("wb_user_id"));

        let bad = c
            .feedback_query("acme", "chatbot")
            .unwrap()
            .with_fields(["id", "count(*)"])
            .fetch_projected()
            .unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::InvalidArgument, "{}", b.name);
        assert!(bad.to_string().contains("Unknown field: count(*)"), "{bad}");
    }
}
