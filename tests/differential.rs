//! The local store against Weave's own server logic: the same operation sequences sent to the
//! test front (`tests/server`, weave 0.52.35) and to `Store::handle`, compared answer by answer
//! (status and JSON body), with generated ids, timestamps and `wb_user_id` masked. 422 answers
//! are compared by status only (the body is FastAPI's rendering of a pydantic error).
//!
//! Where the reference server fails (500: SQL that SQLite cannot run), the local answer is
//! checked against what the construct means instead; those cases are listed in the README.
#![cfg(feature = "local-store")]

mod common;

use common::TestServer;
use serde_json::{json, Value};
use weave_feedback::store::Store;

const CALL: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";
const CALL2: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-000000000002";

/// One request of a case.
enum Step {
    /// Both answers must be identical once masked.
    Same(&'static str, Value),
    /// The reference answers 500; the local answer must be 200 with rows of these ids, in order.
    RefFailsLocalIds(Value, Vec<&'static str>),
    /// The reference answers 500; the local answer must be this status and reason.
    RefFailsLocalRefuses(&'static str, Value, u16, &'static str),
}
use Step::*;

fn create(id: &str, feedback_type: &str, payload: Value) -> Value {
    json!({"id": id, "project_id": "P", "weave_ref": CALL, "feedback_type": feedback_type, "payload": payload})
}

/// A one-step case: a create of `feedback_type` with `fields` (the runnable refs) and `payload`.
fn runnable_case(
    name: &'static str,
    feedback_type: &str,
    fields: Value,
    payload: Value,
) -> (&'static str, Vec<Step>) {
    let mut body = json!({"project_id": "P", "weave_ref": CALL, "feedback_type": feedback_type, "payload": payload});
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    (name, vec![Same("/feedback/create", body)])
}

/// Rows of many types: the data every query case runs on.
fn seed() -> Vec<Step> {
    vec![
        Same(
            "/feedback/create",
            create("s1", "score", json!({"score": 1, "label": "Good"})),
        ),
        Same(
            "/feedback/create",
            create("s2", "score", json!({"score": 2.5, "label": "good enough"})),
        ),
        Same(
            "/feedback/create",
            create("s3", "score", json!({"score": "3", "label": "BAD"})),
        ),
        Same(
            "/feedback/create",
            create("s4", "score", json!({"score": true})),
        ),
        Same(
            "/feedback/create",
            create("s5", "score", json!({"score": null, "label": null})),
        ),
        Same("/feedback/create", create("s6", "custom", json!({}))),
        Same(
            "/feedback/create",
            create(
                "s7",
                "custom",
                json!({"score": 10, "nested": {"a": [1, {"b": "x"}], "c.d": 5}}),
            ),
        ),
        Same(
            "/feedback/create",
            create(
                "n1",
                "wandb.note.1",
                json!({"note": "Clear and correct answer."}),
            ),
        ),
        Same(
            "/feedback/create",
            create("r1", "wandb.reaction.1", json!({"emoji": "👍🏽"})),
        ),
        Same(
            "/feedback/create",
            json!({"id": "c2", "project_id": "P", "weave_ref": CALL2, "creator": "Dana",
                   "feedback_type": "custom", "payload": {"score": -1}}),
        ),
    ]
}

fn q(expr: Value) -> Value {
    json!({"project_id": "P", "query": {"$expr": expr}})
}
fn f(name: &str) -> Value {
    json!({"$getField": name})
}
fn lit(v: Value) -> Value {
    json!({"$literal": v})
}
fn query_case(body: Value) -> Vec<Step> {
    let mut s = seed();
    s.push(Same("/feedback/query", body));
    s
}

/// Every case: a name and its steps. Each runs in a project of its own.
fn cases() -> Vec<(&'static str, Vec<Step>)> {
    let long_note = "n".repeat(1025);
    vec![
        (
            "all rows in insertion order",
            query_case(json!({"project_id": "P"})),
        ),
        (
            "eq on a column",
            query_case(q(json!({"$eq": [f("feedback_type"), lit(json!("score"))]}))),
        ),
        (
            "eq on a payload path, integer",
            query_case(q(json!({"$eq": [f("payload.score"), lit(json!(1))]}))),
        ),
        (
            "eq integer literal against float and text",
            query_case(q(json!({"$eq": [f("payload.score"), lit(json!(3))]}))),
        ),
        (
            "eq string literal against a text number",
            query_case(q(json!({"$eq": [f("payload.score"), lit(json!("3"))]}))),
        ),
        (
            "eq true against a boolean payload",
            query_case(q(json!({"$eq": [f("payload.score"), lit(json!(true))]}))),
        ),
        (
            "eq null never matches",
            query_case(q(json!({"$eq": [f("payload.score"), lit(Value::Null)]}))),
        ),
        (
            "gt mixes numbers and text",
            query_case(q(json!({"$gt": [f("payload.score"), lit(json!(1))]}))),
        ),
        (
            "gte",
            query_case(q(json!({"$gte": [f("payload.score"), lit(json!(2.5))]}))),
        ),
        (
            "lt",
            query_case(q(json!({"$lt": [f("payload.score"), lit(json!(2))]}))),
        ),
        (
            "lte",
            query_case(q(json!({"$lte": [f("payload.score"), lit(json!(1))]}))),
        ),
        (
            "in",
            query_case(q(
                json!({"$in": [f("id"), [lit(json!("s1")), lit(json!("n1")), lit(json!("zz"))]]}),
            )),
        ),
        (
            "in with an empty list",
            query_case(q(json!({"$in": [f("id"), []]}))),
        ),
        (
            "contains, case-sensitive",
            query_case(q(
                json!({"$contains": {"input": f("payload.label"), "substr": lit(json!("ood"))}}),
            )),
        ),
        (
            "contains, case-insensitive",
            query_case(q(
                json!({"$contains": {"input": f("payload.label"), "substr": lit(json!("GOOD")), "case_insensitive": true}}),
            )),
        ),
        (
            "contains on the whole payload text",
            query_case(q(
                json!({"$contains": {"input": f("payload"), "substr": lit(json!("\"label\": \"Good\""))}}),
            )),
        ),
        (
            "not",
            query_case(q(
                json!({"$not": [{"$eq": [f("feedback_type"), lit(json!("score"))]}]}),
            )),
        ),
        (
            "and of two",
            query_case(q(
                json!({"$and": [{"$eq": [f("feedback_type"), lit(json!("score"))]}, {"$gt": [f("payload.score"), lit(json!(1))]}]}),
            )),
        ),
        (
            "and of one",
            query_case(q(json!({"$and": [{"$eq": [f("id"), lit(json!("s2"))]}]}))),
        ),
        (
            "or nested in and nested in not",
            query_case(q(json!({"$not": [{"$and": [
                {"$or": [{"$eq": [f("id"), lit(json!("s1"))]}, {"$eq": [f("id"), lit(json!("s2"))]}, {"$eq": [f("creator"), lit(json!("Dana"))]}]},
                {"$not": [{"$eq": [f("payload.score"), lit(json!(2.5))]}]}
            ]}]}))),
        ),
        (
            "nested payload path with a list index",
            query_case(q(
                json!({"$eq": [f("payload.nested.a.1.b"), lit(json!("x"))]}),
            )),
        ),
        (
            "payload key with an escaped dot",
            query_case(q(
                json!({"$eq": [f("payload.nested.c\\.d"), lit(json!(5))]}),
            )),
        ),
        (
            "comparing two fields",
            query_case(q(json!({"$eq": [f("weave_ref"), lit(json!(CALL2))]}))),
        ),
        (
            "literal on the left",
            query_case(q(json!({"$lt": [lit(json!(2)), f("payload.score")]}))),
        ),
        (
            "reaction keys added by the server",
            query_case(q(
                json!({"$eq": [f("payload.detoned_alias"), lit(json!(":thumbs_up:"))]}),
            )),
        ),
        (
            "convert exists (runs on the reference)",
            query_case(q(
                json!({"$convert": {"input": f("payload.label"), "to": "exists"}}),
            )),
        ),
        (
            "sort by created_at desc",
            query_case(
                json!({"project_id": "P", "sort_by": [{"field": "created_at", "direction": "desc"}]}),
            ),
        ),
        (
            "sort by two columns",
            query_case(
                json!({"project_id": "P", "sort_by": [{"field": "feedback_type", "direction": "asc"}, {"field": "id", "direction": "desc"}]}),
            ),
        ),
        (
            "sort by the payload column",
            query_case(
                json!({"project_id": "P", "sort_by": [{"field": "payload", "direction": "asc"}]}),
            ),
        ),
        ("limit", query_case(json!({"project_id": "P", "limit": 3}))),
        (
            "limit and offset",
            query_case(json!({"project_id": "P", "limit": 3, "offset": 2})),
        ),
        (
            "limit zero",
            query_case(json!({"project_id": "P", "limit": 0})),
        ),
        (
            "negative limit",
            query_case(json!({"project_id": "P", "limit": -1})),
        ),
        (
            "fields with payload paths",
            query_case(
                json!({"project_id": "P", "fields": ["id", "payload.score", "payload.nested", "payload"]}),
            ),
        ),
        (
            "unknown field",
            query_case(json!({"project_id": "P", "fields": ["nope"]})),
        ),
        (
            "unknown field in a query",
            query_case(q(json!({"$eq": [f("nope"), lit(json!(1))]}))),
        ),
        (
            "query that is not the grammar (422)",
            query_case(json!({"project_id": "P", "query": {"$expr": {"$foo": []}}})),
        ),
        (
            "sort direction that is not asc/desc (422)",
            query_case(json!({"project_id": "P", "sort_by": [{"field": "id", "direction": "up"}]})),
        ),
        (
            "another project sees nothing",
            query_case(json!({"project_id": "other/project"})),
        ),
        // Rejections of creates.
        (
            "empty note",
            vec![Same(
                "/feedback/create",
                create("x", "wandb.note.1", json!({"note": ""})),
            )],
        ),
        (
            "note too long",
            vec![Same(
                "/feedback/create",
                create("x", "wandb.note.1", json!({"note": long_note})),
            )],
        ),
        (
            "note that is not a string",
            vec![Same(
                "/feedback/create",
                create("x", "wandb.note.1", json!({"note": 5, "other": [1, "a"]})),
            )],
        ),
        (
            "note without a note",
            vec![Same(
                "/feedback/create",
                create("x", "wandb.note.1", json!({"text": "hi"})),
            )],
        ),
        (
            "two emoji",
            vec![Same(
                "/feedback/create",
                create("x", "wandb.reaction.1", json!({"emoji": "👍👍"})),
            )],
        ),
        (
            "no emoji",
            vec![Same(
                "/feedback/create",
                create("x", "wandb.reaction.1", json!({"emoji": "ok"})),
            )],
        ),
        (
            "emoji with text and a ZWJ family",
            vec![
                Same(
                    "/feedback/create",
                    create("x", "wandb.reaction.1", json!({"emoji": "yes 👨‍👩‍👧 "})),
                ),
                Same(
                    "/feedback/create",
                    create("y", "wandb.reaction.1", json!({"emoji": "🧑🏿‍🚀"})),
                ),
                Same(
                    "/feedback/create",
                    create("z", "wandb.reaction.1", json!({"emoji": "👋🏻\u{200d}👋"})),
                ),
                Same("/feedback/query", json!({"project_id": "P"})),
            ],
        ),
        (
            "annotation type without a name",
            vec![Same(
                "/feedback/create",
                create("x", "wandb.annotationX", json!({"value": 1})),
            )],
        ),
        (
            "annotation without a ref",
            vec![Same(
                "/feedback/create",
                create("x", "wandb.annotation.quality", json!({"value": 1})),
            )],
        ),
        (
            "annotation ref to another name",
            vec![Same(
                "/feedback/create",
                json!({"project_id": "P", "weave_ref": CALL, "feedback_type": "wandb.annotation.quality",
            "annotation_ref": "weave:///P/object/other:abc", "payload": {"value": 1}}),
            )],
        ),
        (
            "annotation payload without value",
            vec![Same(
                "/feedback/create",
                json!({"project_id": "P", "weave_ref": CALL, "feedback_type": "wandb.annotation.quality",
            "annotation_ref": "weave:///P/object/quality:abc", "payload": {"v": 1}}),
            )],
        ),
        (
            "annotation spec that does not exist (404)",
            vec![Same(
                "/feedback/create",
                json!({"project_id": "P", "weave_ref": CALL, "feedback_type": "wandb.annotation.quality",
            "annotation_ref": "weave:///P/object/quality:abc", "payload": {"value": 1}}),
            )],
        ),
        (
            "annotation ref on other feedback",
            vec![Same(
                "/feedback/create",
                json!({"project_id": "P", "weave_ref": CALL, "feedback_type": "custom",
            "annotation_ref": "weave:///P/object/quality:abc", "payload": {}}),
            )],
        ),
        (
            "runnable without a ref",
            vec![Same(
                "/feedback/create",
                create("x", "wandb.runnable.judge", json!({"output": 1})),
            )],
        ),
        (
            "runnable on an op without call_ref",
            vec![Same(
                "/feedback/create",
                json!({"project_id": "P", "weave_ref": CALL, "feedback_type": "wandb.runnable.judge",
            "runnable_ref": "weave:///P/op/judge:abc", "payload": {"output": 1}}),
            )],
        ),
        (
            "runnable on an object is stored",
            vec![
                Same(
                    "/feedback/create",
                    json!({"id": "rn", "project_id": "P", "weave_ref": CALL, "feedback_type": "wandb.runnable.judge",
                "runnable_ref": "weave:///P/object/judge:abc", "payload": {"output": 1}}),
                ),
                Same("/feedback/query", json!({"project_id": "P"})),
            ],
        ),
        (
            "call_ref on other feedback",
            vec![Same(
                "/feedback/create",
                json!({"project_id": "P", "weave_ref": CALL, "feedback_type": "custom",
            "call_ref": CALL, "payload": {}}),
            )],
        ),
        (
            "trigger_ref on other feedback",
            vec![Same(
                "/feedback/create",
                json!({"project_id": "P", "weave_ref": CALL, "feedback_type": "custom",
            "trigger_ref": "weave:///P/object/t:abc", "payload": {}}),
            )],
        ),
        runnable_case(
            "runnable type without a dot",
            "wandb.runnablex",
            json!({"runnable_ref": "weave:///P/object/judge:abc"}),
            json!({"output": 1}),
        ),
        runnable_case(
            "runnable ref to a call",
            "wandb.runnable.judge",
            json!({"runnable_ref": CALL}),
            json!({"output": 1}),
        ),
        runnable_case(
            "runnable ref without a version",
            "wandb.runnable.judge",
            json!({"runnable_ref": "weave:///P/object/judge"}),
            json!({"output": 1}),
        ),
        runnable_case(
            "runnable ref with an odd edge path",
            "wandb.runnable.judge",
            json!({"runnable_ref": "weave:///P/object/judge:abc/key/x/"}),
            json!({"output": 1}),
        ),
        runnable_case(
            "runnable ref with a bad list index",
            "wandb.runnable.judge",
            json!({"runnable_ref": "weave:///P/object/judge:abc/index/x"}),
            json!({"output": 1}),
        ),
        runnable_case(
            "runnable ref to another name",
            "wandb.runnable.judge",
            json!({"runnable_ref": "weave:///P/op/other:abc", "call_ref": CALL}),
            json!({"output": 1}),
        ),
        runnable_case(
            "runnable payload without output",
            "wandb.runnable.judge",
            json!({"runnable_ref": "weave:///P/object/judge:abc"}),
            json!({"score": 1}),
        ),
        runnable_case(
            "runnable with an annotation ref",
            "wandb.runnable.judge",
            json!({"runnable_ref": "weave:///P/object/judge:abc", "annotation_ref": "weave:///P/object/judge:abc"}),
            json!({"output": 1}),
        ),
        runnable_case(
            "runnable call_ref that is not a call",
            "wandb.runnable.judge",
            json!({"runnable_ref": "weave:///P/op/judge:abc", "call_ref": "weave:///P/object/judge:abc"}),
            json!({"output": 1}),
        ),
        runnable_case(
            "runnable trigger_ref that is a call",
            "wandb.runnable.judge",
            json!({"runnable_ref": "weave:///P/object/judge:abc", "trigger_ref": CALL}),
            json!({"output": 1}),
        ),
        runnable_case(
            "runnable trigger_ref without a version",
            "wandb.runnable.judge",
            json!({"runnable_ref": "weave:///P/object/judge:abc", "trigger_ref": "weave:///P/object/mon"}),
            json!({"output": 1}),
        ),
        runnable_case(
            "runnable_ref on a note",
            "wandb.note.1",
            json!({"runnable_ref": "weave:///P/object/judge:abc"}),
            json!({"note": "x"}),
        ),
        runnable_case(
            "call_ref on a runnable-looking custom type",
            "wandb.custom",
            json!({"call_ref": CALL}),
            json!({}),
        ),
        (
            "runnable on an op with every ref is stored and read back",
            vec![
                Same(
                    "/feedback/create",
                    json!({"id": "ro", "project_id": "P", "weave_ref": CALL, "feedback_type": "wandb.runnable.judge",
                "runnable_ref": "weave:///P/op/judge:abc", "call_ref": CALL2,
                "trigger_ref": "weave:///P/op/monitor:v1/attr/x", "payload": {"output": {"score": 0.5}}}),
                ),
                Same(
                    "/feedback/create",
                    json!({"id": "rm", "project_id": "P", "weave_ref": CALL, "feedback_type": "wandb.runnable.judge",
                "runnable_ref": "weave:///P/object/judge:abc/key/%zz", "call_ref": "weave:///P/call/x/ignored",
                "trigger_ref": "weave:///P/object/monitor:v1/", "payload": {"output": null}}),
                ),
                Same("/feedback/query", json!({"project_id": "P"})),
            ],
        ),
        (
            "refs with malformed escapes are stored and matched as written",
            vec![
                Same(
                    "/feedback/create",
                    json!({"id": "pz", "project_id": "P", "weave_ref": "weave:///P/object/o:v/key/%zz%4%FF",
                "feedback_type": "custom", "payload": {}}),
                ),
                Same(
                    "/feedback/query",
                    json!({"project_id": "P", "query": {"$expr": {"$eq": [{"$getField": "weave_ref"},
                        {"$literal": "weave:///P/object/o:v/key/%zz%4%FF"}]}}}),
                ),
            ],
        ),
        (
            "queue that does not exist",
            vec![RefFailsLocalRefuses(
                "/feedback/create",
                json!({"project_id": "P", "weave_ref": CALL, "feedback_type": "custom",
            "queue_id": "q1", "payload": {}}),
                400,
                "Queue q1 not found or has been deleted",
            )],
        ),
        (
            "payload over 1 MiB",
            vec![Same(
                "/feedback/create",
                create("x", "custom", json!({"t": "é".repeat(180_000)})),
            )],
        ),
        (
            "too-short ref inside a payload",
            vec![Same(
                "/feedback/create",
                create("x", "custom", json!({"see": "weave:///acme"})),
            )],
        ),
        (
            "extra field (422)",
            vec![Same(
                "/feedback/create",
                json!({"project_id": "P", "weave_ref": CALL, "feedback_type": "custom", "payload": {}, "colour": 1}),
            )],
        ),
        (
            "missing payload (422)",
            vec![Same(
                "/feedback/create",
                json!({"project_id": "P", "weave_ref": CALL, "feedback_type": "custom"}),
            )],
        ),
        (
            "same id twice is two rows",
            vec![
                Same("/feedback/create", create("dup", "custom", json!({"n": 1}))),
                Same("/feedback/create", create("dup", "custom", json!({"n": 2}))),
                Same(
                    "/feedback/query",
                    q(json!({"$eq": [f("id"), lit(json!("dup"))]})),
                ),
            ],
        ),
        // Purge.
        ("purge by id and by an $or of ids", {
            let mut s = seed();
            s.push(Same(
                "/feedback/purge",
                q(json!({"$eq": [f("id"), lit(json!("s1"))]})),
            ));
            s.push(Same("/feedback/purge", q(json!({"$or": [{"$eq": [f("id"), lit(json!("s2"))]}, {"$eq": [f("id"), lit(json!("n1"))]}]}))));
            s.push(Same(
                "/feedback/query",
                json!({"project_id": "P", "fields": ["id"]}),
            ));
            s
        }),
        ("purge refusals", {
            let mut s = seed();
            s.push(Same(
                "/feedback/purge",
                q(json!({"$eq": [f("feedback_type"), lit(json!("score"))]})),
            ));
            s.push(Same(
                "/feedback/purge",
                q(json!({"$eq": [f("id"), lit(json!(1))]})),
            ));
            s.push(Same(
                "/feedback/purge",
                q(json!({"$eq": [lit(json!("s1")), f("id")]})),
            ));
            s.push(Same(
                "/feedback/purge",
                q(json!({"$gt": [f("id"), lit(json!("a"))]})),
            ));
            s.push(Same("/feedback/purge", q(json!({"$or": [{"$eq": [f("id"), lit(json!("s2"))]}, {"$eq": [f("creator"), lit(json!("Dana"))]}]}))));
            s.push(Same("/feedback/purge", q(json!({"$or": [{"$eq": [f("id"), lit(json!("s2"))]}, {"$gt": [f("id"), lit(json!("a"))]}]}))));
            s.push(Same(
                "/feedback/query",
                json!({"project_id": "P", "fields": ["id"]}),
            ));
            s
        }),
        // Replace and batches.
        (
            "replace, then a replace the server refuses after deleting",
            {
                let mut s = seed();
                s.push(Same("/feedback/replace", json!({"feedback_id": "s1", "id": "s1b", "project_id": "P", "weave_ref": CALL, "feedback_type": "custom", "payload": {"score": 9}})));
                s.push(Same("/feedback/replace", json!({"feedback_id": "s2", "id": "s2b", "project_id": "P", "weave_ref": CALL, "feedback_type": "wandb.reaction.1", "payload": {"emoji": "👍👍"}})));
                s.push(Same(
                    "/feedback/query",
                    json!({"project_id": "P", "fields": ["id", "payload"]}),
                ));
                s
            },
        ),
        (
            "batch stored whole; a batch with one bad item stores nothing",
            vec![
                Same(
                    "/feedback/batch/create",
                    json!({"batch": [create("b1", "custom", json!({"k": 1})), create("b2", "wandb.note.1", json!({"note": "hi"}))]}),
                ),
                Same(
                    "/feedback/batch/create",
                    json!({"batch": [create("b3", "custom", json!({"k": 3})), create("b4", "wandb.note.1", json!({"note": ""}))]}),
                ),
                Same("/feedback/batch/create", json!({"batch": []})),
                Same("/feedback/query", json!({"project_id": "P"})),
            ],
        ),
        ("unknown route", vec![Same("/feedback/nope", json!({}))]),
        // Where the reference fails, the documented meaning.
        ("offset without limit", {
            let mut s = seed();
            s.push(RefFailsLocalIds(
                json!({"project_id": "P", "offset": 7}),
                vec!["n1", "r1", "c2"],
            ));
            s
        }),
        (
            "sort by a payload path: present first, then as numbers, then as text",
            {
                let mut s = seed();
                s.push(RefFailsLocalIds(
                json!({"project_id": "P", "query": {"$expr": {"$eq": [f("feedback_type"), lit(json!("score"))]}},
                       "sort_by": [{"field": "payload.score", "direction": "desc"}]}),
                vec!["s3", "s2", "s1", "s4", "s5"],
            ));
                s
            },
        ),
        ("convert to double", {
            let mut s = seed();
            s.push(RefFailsLocalIds(q(json!({"$gte": [{"$convert": {"input": f("payload.score"), "to": "double"}}, lit(json!(2))]})), vec!["s2", "s3", "s7"]));
            s
        }),
        ("convert to int", {
            let mut s = seed();
            s.push(RefFailsLocalIds(q(json!({"$eq": [{"$convert": {"input": f("payload.score"), "to": "int"}}, lit(json!(3))]})), vec!["s3"]));
            s
        }),
        ("convert to string", {
            let mut s = seed();
            s.push(RefFailsLocalIds(q(json!({"$eq": [{"$convert": {"input": f("payload.score"), "to": "string"}}, lit(json!("10"))]})), vec!["s7"]));
            s
        }),
        ("convert to bool", {
            let mut s = seed();
            s.push(RefFailsLocalIds(q(json!({"$eq": [{"$convert": {"input": f("payload.score"), "to": "bool"}}, lit(json!(true))]})), vec!["s1", "s4"]));
            s
        }),
    ]
}

/// Masks what each side generates: timestamps, the user, server-made ids; cuts messages that
/// quote internal refs or a Python object address.
fn mask(status: u16, mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    match k.as_str() {
                        "created_at" if !x.is_null() => *x = json!("<created_at>"),
                        "wb_user_id" if !x.is_null() => *x = json!("<user>"),
                        "id" if x.as_str().is_some_and(|s| s.len() == 36) => {
                            *x = json!("<generated id>")
                        }
                        _ => walk(x),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if status == 422 {
        return json!("<422>");
    }
    walk(&mut v);
    if let Some(r) = v.get("reason").and_then(Value::as_str).map(str::to_string) {
        for cut in ["Invalid ref: ", "Annotation ref "] {
            if r.starts_with(cut) {
                v = json!({"reason": format!("{cut}…")});
            }
        }
    }
    v
}

fn ids(v: &Value) -> Vec<String> {
    v["result"]
        .as_array()
        .unwrap_or_else(|| panic!("not a query result: {v}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn local_store_answers_as_weaves_server() {
    let srv = TestServer::start();
    let store = Store::in_memory().unwrap();
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (n, (name, steps)) in cases.into_iter().enumerate() {
        // Each case in a project of its own, on both sides.
        let project = format!("acme/case{n}");
        let fix = |v: &Value| -> String {
            v.to_string()
                .replace("\"P\"", &format!("\"{project}\""))
                .replace("weave:///P/", &format!("weave:///{project}/"))
        };
        for (i, step) in steps.iter().enumerate() {
            let (route, body, expect) = match step {
                Same(route, body) => (*route, fix(body), None),
                RefFailsLocalIds(body, ids) => ("/feedback/query", fix(body), Some(Ok(ids))),
                RefFailsLocalRefuses(route, body, st, why) => {
                    (*route, fix(body), Some(Err((*st, *why))))
                }
            };
            let (rs, rb) = srv.request("POST", route, &body);
            let (ls, lb) = store.handle(route, body.as_bytes());
            let rv: Value = serde_json::from_str(&rb).unwrap_or(Value::String(rb.clone()));
            let lv: Value = serde_json::from_slice(&lb).unwrap();
            match expect {
                None => {
                    let (rm, lm) = (mask(rs, rv), mask(ls, lv));
                    if rs != ls || rm != lm {
                        failures.push(format!(
                            "case {n} \"{name}\", step {i} {route}:\n  reference {rs} {rm}\n  local     {ls} {lm}"
                        ));
                    }
                }
                Some(want) => {
                    if rs != 500 {
                        failures.push(format!("case {n} \"{name}\": the reference no longer fails ({rs} {rb}); compare directly"));
                    }
                    let ok = match want {
                        Ok(want) => ls == 200 && ids(&lv) == *want,
                        Err((st, why)) => ls == st && lv == json!({ "reason": why }),
                    };
                    if !ok {
                        failures.push(format!(
                            "case {n} \"{name}\": local {ls} {lv}, want {want:?}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Payload numbers compared as text (the cases above compare `Value`s, which round integers
/// beyond 64 bits): creates, a batch and a replace sent as raw JSON text to both, then the
/// payloads of the query answers, exactly as each side wrote them.
#[test]
fn payload_numbers_are_answered_with_the_same_text() {
    let srv = TestServer::start();
    let store = Store::in_memory().unwrap();
    let project = "acme/exact";
    let row = |id: &str, t: &str, payload: &str| {
        format!(
            r#"{{"id": "{id}", "project_id": "{project}", "weave_ref": "{CALL}", "feedback_type": "{t}", "payload": {payload}}}"#
        )
    };
    let big = r#"{"a": 12345678901234567890123, "b": [-98765432109876543210, {"c": 1e22}], "d": -0, "e": 1E2, "f": 1.50, "g": "é\u00e9"}"#;
    let steps = [
        ("/feedback/create", row("x1", "t", big)),
        (
            "/feedback/create",
            row(
                "x2",
                "wandb.reaction.1",
                r#"{"emoji": "👍", "n": 99999999999999999999999}"#,
            ),
        ),
        (
            "/feedback/batch/create",
            format!(
                r#"{{"batch": [{}, {}]}}"#,
                row("x3", "t", r#"{"n": -1e-7, "m": 18446744073709551616}"#),
                row(
                    "x4",
                    "wandb.note.1",
                    r#"{"note": "n", "k": 123456789012345678901234567890}"#
                )
            ),
        ),
        (
            "/feedback/replace",
            format!(
                r#"{{"feedback_id": "x1", {}"#,
                &row("x5", "t", r#"{"r": -123456789012345678901234567890}"#)[1..]
            ),
        ),
        (
            "/feedback/query",
            format!(r#"{{"project_id": "{project}"}}"#),
        ),
    ];
    let payloads = |body: &[u8]| -> Vec<String> {
        weave_feedback::Feedbacks::from_query_response(body, false)
            .unwrap()
            .iter()
            .map(|f| f.payload_json().to_string())
            .collect()
    };
    for (route, body) in &steps {
        let (rs, rb) = srv.request("POST", route, body);
        let (ls, lb) = store.handle(route, body.as_bytes());
        assert_eq!(
            (rs, ls),
            (200, 200),
            "{route}: {rb} / {}",
            String::from_utf8_lossy(&lb)
        );
        if *route == "/feedback/query" {
            let (r, l) = (payloads(rb.as_bytes()), payloads(&lb));
            assert_eq!(r, l);
            assert_eq!(r.len(), 4);
            assert!(
                r.iter().any(|p| p.contains("99999999999999999999999")),
                "{r:?}"
            );
        } else {
            // Create answers carry the stored payload too.
            let text = |b: &str| {
                b.split("\"payload\":")
                    .skip(1)
                    .map(|p| p.split('}').next().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            };
            assert_eq!(text(&rb), text(&String::from_utf8_lossy(&lb)), "{route}");
        }
    }
}
