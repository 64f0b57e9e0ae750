//! The Rust API against Weave's real server logic (weave==0.52.35 SqliteTraceServer behind
//! the external-id adapter, served by tests/server/weave_test_server.py).
//!
//! Each test starts its own server, so every test sees an empty database.

mod common;

use common::fixtures::{client, CALL};
use common::TestServer;
use serde_json::{json, Map, Value};
use weave_feedback::query::{eq, get_field, literal};
use weave_feedback::{ClientBuilder, Error, NewFeedback, Query};

const OTHER_CALL: &str = "weave:///acme/chatbot/call/0192f3a4-0000-7d8e-9f01-000000000002";

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn add_reaction_note_and_custom_then_query_them_back() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let r = q.add_reaction("🎉", Some("Dana")).unwrap();
    let n = q.add_note("nice", None).unwrap();
    let s = q
        .add(NewFeedback::custom("helpfulness", obj(json!({"score": 4}))))
        .unwrap();
    let rows = q.execute().unwrap();
    assert_eq!(rows.len(), 3);
    let ids: Vec<&str> = rows.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [r.as_str(), n.as_str(), s.as_str()],
        "created_at ascending"
    );
    let reaction = &rows[0];
    assert_eq!(reaction.feedback_type, "wandb.reaction.1");
    assert_eq!(reaction.weave_ref, CALL);
    assert_eq!(reaction.project_id, "acme/chatbot");
    assert_eq!(reaction.creator.as_deref(), Some("Dana"));
    assert_eq!(reaction.payload["emoji"], "🎉");
    assert_eq!(
        reaction.payload["alias"], ":party_popper:",
        "server enrichment"
    );
    assert!(reaction.wb_user_id.is_some());
    assert!(reaction.created_at_rfc3339().ends_with('Z'));
    assert_eq!(rows[1].payload["note"], "nice");
    assert_eq!(rows[2].payload["score"], 4);

    let table = rows.format_table();
    let lines: Vec<&str> = table.lines().collect();
    // The Type column is as wide as "helpfulness"; short types are centred in it.
    assert!(lines[0].starts_with("    Type    │ Feedback"), "{table}");
    assert!(lines[2].starts_with("  reaction  │ 🎉"), "{table}");
    assert!(
        lines[2].contains(&format!(
            "Dana ({})",
            reaction.wb_user_id.as_deref().unwrap()
        )),
        "{table}"
    );
    assert!(lines[3].starts_with("    note    │ nice"), "{table}");
    assert!(table.contains("{\n  \"score\": 4\n}"), "{table}");
}

#[test]
fn kwargs_merge_into_the_stored_payload() {
    let srv = TestServer::start();
    let mut q = client(&srv).ref_feedback_query(CALL).unwrap();
    q.add(NewFeedback::custom("x", obj(json!({"a": 1, "b": 2}))).extra_field("b", 3))
        .unwrap();
    let rows = q.execute().unwrap();
    assert_eq!(
        Value::Object(rows[0].payload.clone()),
        json!({"a": 1, "b": 3})
    );
}

#[test]
fn reserved_prefix_is_refused_locally_but_reactions_pass() {
    let srv = TestServer::start();
    let mut q = client(&srv).ref_feedback_query(CALL).unwrap();
    let err = q
        .add(NewFeedback::custom("wandb.custom", Map::new()))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidFeedback(_)), "{err}");
    assert!(err.to_string().contains("reserved for annotation feedback"));
    assert_eq!(
        srv.request_count("/feedback/create"),
        0,
        "refused before sending"
    );
    q.add_reaction("👍", None).unwrap();
    assert_eq!(srv.request_count("/feedback/create"), 1);
}

#[test]
fn execute_caches_and_add_purge_clear_the_cache_but_failures_do_not() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    assert_eq!(q.execute().unwrap().len(), 0);
    assert_eq!(q.execute().unwrap().len(), 0);
    assert_eq!(
        srv.request_count("/feedback/query"),
        1,
        "second execute is cached"
    );

    let id = q.add_note("first", None).unwrap();
    assert!(q.cached().is_none(), "a successful add clears the cache");
    assert_eq!(q.execute().unwrap().len(), 1);
    assert_eq!(srv.request_count("/feedback/query"), 2);

    // A failed add (server-side rejection: two emoji) keeps the cache.
    let err = q.add_reaction("👍👍", None).unwrap_err();
    assert!(matches!(err, Error::Rejected { status: 400, .. }), "{err}");
    assert!(err.to_string().contains("exactly one emoji"), "{err}");
    assert!(q.cached().is_some(), "a failed add keeps the cache");

    q.purge(&id).unwrap();
    assert!(q.cached().is_none(), "a successful purge clears the cache");
    assert_eq!(q.execute().unwrap().len(), 0);
}

#[test]
fn refresh_always_fetches_and_replaces_the_cache() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut reader = c.ref_feedback_query(CALL).unwrap();
    let mut writer = c.ref_feedback_query(CALL).unwrap();
    assert_eq!(reader.execute().unwrap().len(), 0);
    writer.add_note("from elsewhere", None).unwrap();
    assert_eq!(reader.execute().unwrap().len(), 0, "stale, as in the SDK");
    assert_eq!(reader.refresh().unwrap().len(), 1);
    assert_eq!(
        reader.execute().unwrap().len(),
        1,
        "refresh replaced the cache"
    );
    assert_eq!(srv.request_count("/feedback/query"), 2);
}

#[test]
fn project_query_refs_filters_offset_and_limit() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut a = c.ref_feedback_query(CALL).unwrap();
    let mut b = c.ref_feedback_query(OTHER_CALL).unwrap();
    a.add_note("1", None).unwrap();
    b.add_note("2", None).unwrap();
    a.add_reaction("👍", None).unwrap();
    b.add(NewFeedback::custom("helpfulness", obj(json!({"score": 5}))))
        .unwrap();

    let mut all = c
        .feedback_query("acme", "chatbot")
        .unwrap()
        .with_show_refs(true);
    let rows = all.execute().unwrap();
    assert_eq!(rows.len(), 4);
    let refs = all.refs().unwrap();
    assert_eq!(refs.iter().collect::<Vec<_>>(), [CALL, OTHER_CALL]);
    assert!(rows.format_table().starts_with("Ref "));

    let notes = c
        .feedback_query("acme", "chatbot")
        .unwrap()
        .with_query(Query::new(eq(
            get_field("feedback_type"),
            literal("wandb.note.1"),
        )))
        .execute()
        .unwrap();
    assert_eq!(notes.len(), 2);

    let raw = Query::from_json(
        r#"{"$expr":{"$contains":{"input":{"$getField":"payload.note"},"substr":{"$literal":"2"},"case_insensitive":false}}}"#,
    )
    .unwrap();
    let two = c
        .feedback_query("acme", "chatbot")
        .unwrap()
        .with_query(raw)
        .execute()
        .unwrap();
    assert_eq!(two.len(), 1);
    assert_eq!(two[0].payload["note"], "2");

    let page = c
        .feedback_query("acme", "chatbot")
        .unwrap()
        .with_offset(1)
        .with_limit(2)
        .execute()
        .unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].id, rows[1].id);

    // The reference server answers 500 to offset without limit; the client avoids it.
    let tail = c
        .feedback_query("acme", "chatbot")
        .unwrap()
        .with_offset(3)
        .execute()
        .unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].id, rows[3].id);

    let other_project = c
        .feedback_query("acme", "elsewhere")
        .unwrap()
        .execute()
        .unwrap();
    assert!(other_project.is_empty());
}

#[test]
fn original_ref_string_is_what_gets_stored_and_matched() {
    let srv = TestServer::start();
    let c = client(&srv);
    let short = "weave:///acme/chatbot/object/rubric";
    let mut q = c.ref_feedback_query(short).unwrap();
    q.add_note("on the unversioned ref", None).unwrap();
    let rows = q.execute().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].weave_ref, short, "not re-serialised as :latest");
    let latest = c
        .ref_feedback_query("weave:///acme/chatbot/object/rubric:latest")
        .unwrap()
        .execute()
        .unwrap();
    assert!(latest.is_empty(), "matching is exact string equality");
}

#[test]
fn purge_deletes_by_id_and_unknown_ids_succeed() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let keep = q.add_note("keep", None).unwrap();
    let drop = q.add_note("drop", None).unwrap();
    q.purge(&drop).unwrap();
    q.purge("0192f3b0-0000-7000-8000-000000000000").unwrap();
    let rows = q.execute().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, keep);
}

#[test]
fn replace_keeps_the_id_and_refuses_invalid_replacements_before_deleting() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let id = q.add_note("typo", None).unwrap();
    let new_id = q.replace(&id, NewFeedback::note("fixed typo")).unwrap();
    assert_eq!(new_id, id);
    let rows = q.execute().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, id);
    assert_eq!(rows[0].payload["note"], "fixed typo");

    // The server deletes before validating; the client refuses first, so the row survives.
    let err = q.replace(&id, NewFeedback::note("")).unwrap_err();
    assert!(matches!(err, Error::InvalidFeedback(_)), "{err}");
    let err = q
        .replace(&id, NewFeedback::of_type("wandb.reaction.1", Map::new()))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidFeedback(_)), "{err}");
    assert_eq!(srv.request_count("/feedback/replace"), 1);
    assert_eq!(q.refresh().unwrap()[0].payload["note"], "fixed typo");

    let other = q
        .replace(
            &id,
            NewFeedback::custom("helpfulness", obj(json!({"score": 1}))).id("custom-id"),
        )
        .unwrap();
    assert_eq!(other, "custom-id");
    let rows = q.refresh().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, "custom-id");
}

#[test]
fn batch_create_returns_ids_in_order() {
    let srv = TestServer::start();
    let c = client(&srv);
    let mut q = c.ref_feedback_query(CALL).unwrap();
    let ids = q
        .add_batch(vec![
            NewFeedback::note("one"),
            NewFeedback::reaction("👍"),
            NewFeedback::custom("helpfulness", obj(json!({"score": 3}))).id("my-own-id"),
        ])
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[2], "my-own-id");
    let rows = q.execute().unwrap();
    let mut stored: Vec<&str> = rows.iter().map(|f| f.id.as_str()).collect();
    stored.sort();
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(stored, want);
    assert_eq!(srv.request_count("/feedback/batch/create"), 1);
    assert!(q.add_batch(Vec::new()).unwrap().is_empty());
}

#[test]
fn annotation_feedback_rules() {
    let srv = TestServer::start();
    let mut q = client(&srv).ref_feedback_query(CALL).unwrap();
    // Well-formed, but the spec object does not exist on the server: 404 from Weave itself.
    let err = q
        .add(
            NewFeedback::custom("wandb.annotation.rating", obj(json!({"value": 3})))
                .annotation_ref("weave:///acme/chatbot/object/rating:abc"),
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { .. } | Error::Rejected { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("not found"), "{err}");
    let err = q
        .add(
            NewFeedback::custom("helpfulness", Map::new())
                .annotation_ref("weave:///acme/chatbot/object/rating:abc"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("wandb.annotation.<name>"), "{err}");
    let err = q
        .add(
            NewFeedback::custom("wandb.annotation.rating", obj(json!({"value": 3})))
                .annotation_ref(CALL),
        )
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRef(_)), "{err}");
}

#[test]
fn server_side_validation_messages_come_through() {
    let srv = TestServer::start();
    let mut q = client(&srv).ref_feedback_query(CALL).unwrap();
    // A payload string that looks like a truncated ref is rejected by the server's rewriting.
    // The client knows that rule and refuses first.
    let err = q
        .add(NewFeedback::custom(
            "x",
            obj(json!({"link": "weave:///acme"})),
        ))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidFeedback(_)), "{err}");
    // Skin tone and text around one emoji pass, as on the server.
    q.add_reaction("👍🏽", None).unwrap();
    q.add_reaction("ok👍", None).unwrap();
    let rows = q.execute().unwrap();
    assert_eq!(rows[0].payload["detoned"], "👍");
    assert_eq!(rows[1].payload["alias"], "ok:thumbs_up:");
}

#[test]
fn server_info_handshake() {
    let srv = TestServer::start();
    let info = client(&srv).server_info().unwrap();
    assert!(
        info.get("min_required_weave_python_version").is_some(),
        "{info}"
    );
}

#[test]
fn headers_auth_and_user_agent() {
    let srv = TestServer::start_with_api_key("KEY123");
    let good = ClientBuilder::new()
        .base_url(&srv.base_url)
        .api_key("KEY123")
        .build()
        .unwrap();
    good.ref_feedback_query(CALL)
        .unwrap()
        .add_note("hi", None)
        .unwrap();
    let stats: Value = serde_json::from_str(&srv.stats()).unwrap();
    let headers = &stats["last_headers"];
    let get = |name: &str| {
        headers
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str().unwrap().to_string())
    };
    assert_eq!(
        get("authorization").as_deref(),
        Some("Basic YXBpOktFWTEyMw==")
    );
    assert!(get("user-agent").unwrap().starts_with("weave-feedback/"));
    assert_eq!(get("x-weave-retry-id").unwrap().len(), 36);

    for bad in [
        ClientBuilder::new()
            .base_url(&srv.base_url)
            .api_key("wrong"),
        ClientBuilder::new().base_url(&srv.base_url),
    ] {
        let err = bad
            .build()
            .unwrap()
            .ref_feedback_query(CALL)
            .unwrap()
            .add_note("hi", None)
            .unwrap_err();
        assert!(
            matches!(err, Error::Unauthorized { status: 401, .. }),
            "{err}"
        );
        assert!(!err.to_string().contains("KEY123"));
        assert!(!format!("{err:?}").contains("wrong"));
    }
}

#[test]
fn one_client_shared_across_threads() {
    let srv = TestServer::start();
    let c = client(&srv);
    std::thread::scope(|s| {
        for t in 0..4 {
            let c = c.clone();
            s.spawn(move || {
                let mut q = c.ref_feedback_query(CALL).unwrap();
                for i in 0..5 {
                    q.add_note(&format!("thread {t} note {i}"), None).unwrap();
                }
                assert!(q.refresh().unwrap().len() >= 5);
            });
        }
    });
    assert_eq!(
        c.ref_feedback_query(CALL).unwrap().execute().unwrap().len(),
        20
    );
}
