//! Integers beyond 64 bits in payloads keep every digit, written and read back, against Weave's
//! server logic (the test front) and the local store alike: `payload_json()`, `to_json()`, the
//! SDK's table, batches, replaces and extra fields. The parsed `payload` map holds them as
//! `f64` (serde_json's numbers), as documented.

mod common;

use common::fixtures::{builder, CALL};
use common::TestServer;
use serde_json::Value;
use weave_feedback::{Client, ClientBuilder, ErrorKind, NewFeedback};

const PAYLOAD: &str = r#"{"big": 12345678901234567890123, "neg": -98765432109876543210,
    "nested": {"list": [1, 123456789012345678901234567890, {"deep": -18446744073709551617}]},
    "float": 1e22, "small": 7}"#;
/// `PAYLOAD` as Weave's server answers with it: compact, the float as Python writes it.
const ANSWERED: &str = r#"{"big":12345678901234567890123,"neg":-98765432109876543210,"nested":{"list":[1,123456789012345678901234567890,{"deep":-18446744073709551617}]},"float":1e+22,"small":7}"#;

fn backends() -> Vec<(&'static str, Client, Option<TestServer>)> {
    let srv = TestServer::start();
    let mut out = vec![("server", builder(&srv).build().unwrap(), Some(srv))];
    if cfg!(feature = "local-store") {
        let local = ClientBuilder::new()
            .base_url("sqlite::memory:")
            .build()
            .unwrap();
        out.push(("local store", local, None));
    }
    out
}

#[test]
fn big_integers_round_trip_exactly() {
    for (side, client, srv) in backends() {
        let mut q = client.ref_feedback_query(CALL).unwrap();
        let id = q
            .add(NewFeedback::custom_json("bigint", PAYLOAD).unwrap())
            .unwrap();
        if let Some(srv) = &srv {
            let sent = srv.stats_json()["last_body"].as_str().unwrap().to_string();
            assert!(
                sent.contains("12345678901234567890123") && sent.contains("-18446744073709551617"),
                "{side}: sent {sent}"
            );
        }
        let rows = q.execute().unwrap();
        let row = rows.iter().find(|f| f.id == id).unwrap();
        assert_eq!(row.payload_json(), ANSWERED, "{side}");
        let json: String = row.to_json();
        assert!(
            json.contains(&format!("\"payload\":{ANSWERED}")),
            "{side}: {json}"
        );
        assert!(rows.to_json().contains(ANSWERED), "{side}");
        let table = rows.format_table();
        for want in [
            "\"big\": 12345678901234567890123,",
            "\"neg\": -98765432109876543210,",
            "    123456789012345678901234567890,",
            "\"deep\": -18446744073709551617",
            "\"float\": 1e+22,",
        ] {
            assert!(table.contains(want), "{side}: {want} not in\n{table}");
        }
        // The parsed map has serde_json's numbers: the digits are lost there, as documented.
        assert_eq!(row.payload["big"].as_f64(), Some(1.2345678901234568e22));
        assert!(row.payload["big"].as_i64().is_none() && row.payload["big"].as_u64().is_none());
    }
}

#[test]
fn batches_replaces_and_extra_fields_keep_the_digits() {
    for (side, client, _srv) in backends() {
        let mut q = client.ref_feedback_query(CALL).unwrap();
        let batch = NewFeedback::list_from_json(
            r#"[{"feedback_type": "b", "payload": {"n": 123456789012345678901234567890}},
                {"feedback_type": "wandb.note.1", "payload": {"note": "hi", "n": -99999999999999999999}}]"#,
        )
        .unwrap();
        let ids = q.add_batch(batch).unwrap();
        let with_extra = NewFeedback::custom_json("x", r#"{"n": 18446744073709551616, "k": 1}"#)
            .unwrap()
            .extra_field("k", "replaced")
            .extra_field("rater", "panel");
        let extra_id = q.add(with_extra).unwrap();
        let replaced = NewFeedback::of_type("r", Default::default())
            .with_payload_json(r#"{"n": -123456789012345678901234567890}"#)
            .unwrap();
        q.replace(&ids[0], replaced).unwrap();
        let rows = q.execute().unwrap();
        let text = |id: &str| {
            rows.iter()
                .find(|f| f.id == id)
                .unwrap()
                .payload_json()
                .to_string()
        };
        assert_eq!(
            text(&ids[0]),
            r#"{"n":-123456789012345678901234567890}"#,
            "{side}"
        );
        assert_eq!(
            text(&ids[1]),
            r#"{"note":"hi","n":-99999999999999999999}"#,
            "{side}"
        );
        assert_eq!(
            text(&extra_id),
            r#"{"n":18446744073709551616,"k":"replaced","rater":"panel"}"#,
            "{side}"
        );
    }
}

#[test]
fn numbers_no_double_holds_are_refused_before_sending() {
    for (side, client, srv) in backends() {
        let mut q = client.ref_feedback_query(CALL).unwrap();
        for bad in [
            r#"{"x": 1e400}"#,
            r#"{"x": -1e400}"#,
            r#"{"x": NaN}"#,
            "[1]",
        ] {
            let err = NewFeedback::custom_json("t", bad).unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::InvalidArgument,
                "{side} {bad}: {err}"
            );
        }
        // Weave's server stores 1e400 as infinity and answers null (checked here, sent raw).
        if let Some(srv) = &srv {
            let body = format!(
                r#"{{"project_id": "acme/chatbot", "weave_ref": "{CALL}", "feedback_type": "t", "payload": {{"x": 1e400}}}}"#
            );
            let (status, answer) = srv.request("POST", "/feedback/create", &body);
            assert_eq!(status, 200, "{answer}");
            let v: Value = serde_json::from_str(&answer).unwrap();
            assert_eq!(v["payload"]["x"], Value::Null);
        }
        // The size limit counts every digit, as Python's json.dumps does: 300 digits are
        // 300 characters (an f64 would print as 1e+299).
        let digits = "9".repeat(300);
        let fill = 1_048_576 - (r#"{"a": , "s": ""}"#.len() + 300);
        let at_limit = format!(r#"{{"a": {digits}, "s": "{}"}}"#, "x".repeat(fill));
        let over = format!(r#"{{"a": {digits}, "s": "{}"}}"#, "x".repeat(fill + 1));
        let err = q
            .add(NewFeedback::custom_json("t", &over).unwrap())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidFeedback, "{side}: {err}");
        assert!(
            err.to_string().contains("1048577 characters"),
            "{side}: {err}"
        );
        let id = q
            .add(NewFeedback::custom_json("t", &at_limit).unwrap())
            .unwrap();
        let rows = q.execute().unwrap();
        let row = rows.iter().find(|f| f.id == id).unwrap();
        assert!(row.payload_json().contains(&digits), "{side}");
    }
}
