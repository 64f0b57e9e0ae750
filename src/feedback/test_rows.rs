//! Rows shared by this module's unit tests.

use serde_json::{json, Value};

use super::Feedback;

pub(super) fn row(
    id: &str,
    r: &str,
    t: &str,
    payload: Value,
    creator: Option<&str>,
    at: &str,
) -> Feedback {
    Feedback::from_value(json!({
        "id": id, "project_id": "acme/chatbot", "weave_ref": r, "creator": creator,
        "feedback_type": t, "payload": payload, "annotation_ref": null, "runnable_ref": null,
        "call_ref": null, "trigger_ref": null, "queue_id": null, "wb_user_id": "VXNlcjo0MjQy",
        "created_at": at, "some_future_column": [1, 2, 3]
    }))
    .unwrap()
}

pub(super) fn sample() -> Vec<Feedback> {
    vec![
        row(
            "0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f",
            "weave:///a/b/call/1",
            "wandb.reaction.1",
            json!({"emoji": "🎉", "alias": ":party_popper:"}),
            Some("Dana"),
            "2025-03-14T09:26:53.589000",
        ),
        row(
            "0192f3b1-2bcd-7e0f-8123-456789abcdef",
            "weave:///a/b/call/1",
            "wandb.note.1",
            json!({"note": "nice"}),
            None,
            "2025-03-14 09:27:10+00:00",
        ),
    ]
}

/// `/feedback/query` answers: as Weave's servers send them (compact, every key, `created_at`
/// in UTC without an offset), and shapes a scanner may decline (escapes, other `created_at`
/// forms, missing and unknown keys, spaces); each one the reference decoder reads.
pub(crate) fn answers() -> Vec<Vec<u8>> {
    let weave = r#"{"result":[{"id":"0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f","project_id":"acme/chatbot","weave_ref":"weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd","wb_user_id":"VXNlcjo0MjQy","creator":"Dana","created_at":"2025-03-14T09:26:53.589000","feedback_type":"wandb.reaction.1","payload":{"emoji":"🎉","alias":":party_popper:","detoned":"🎉","detoned_alias":":party_popper:"},"annotation_ref":null,"runnable_ref":null,"call_ref":null,"trigger_ref":null,"queue_id":null},{"id":"0192f3b1-2bcd-7e0f-8123-456789abcdef","project_id":"acme/chatbot","weave_ref":"weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd","wb_user_id":"VXNlcjo0MjQy","creator":null,"created_at":"2025-03-14T09:27:10","feedback_type":"wandb.note.1","payload":{"note":"nice \"quoted\" \u00e9 1e400 12345678901234567890123"},"annotation_ref":null,"runnable_ref":null,"call_ref":null,"trigger_ref":null,"queue_id":null},{"id":"0192f3c1-0000-7abc-8def-0123456789ab","project_id":"acme/chatbot","weave_ref":"weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd","wb_user_id":"VXNlcjo0MjQy","creator":"Lee","created_at":"2025-03-14T09:30:00.125000","feedback_type":"wandb.annotation.score","payload":{"value":4,"big":123456789012345678901234567890},"annotation_ref":"weave:///acme/chatbot/object/score:abc","runnable_ref":"weave:///acme/chatbot/op/scorer:def","call_ref":"weave:///acme/chatbot/call/0192f3c1-0000-7abc-8def-0123456789ac","trigger_ref":"weave:///acme/chatbot/object/trigger:ghi","queue_id":"0192f3c1-0000-7abc-8def-0123456789ad"},{"id":"0192f3c1-0000-7abc-8def-0123456789ae","project_id":"acme/chatbot","weave_ref":"weave:///acme/chatbot/call/1","wb_user_id":null,"creator":null,"created_at":"2025-03-14T09:30:01.000001","feedback_type":"custom","payload":null,"annotation_ref":null,"runnable_ref":null,"call_ref":null,"trigger_ref":null,"queue_id":null}]}"#;
    let other = r#" { "future" : [1, {"result": 2}], "result" : [ {"id": "x\u0041", "project_id": "acme/chatbot", "weave_ref": "weave:///a/b/call/1", "feedback_type": "t", "created_at": "2025-03-14 09:27:10+00:00", "payload": { "a" : [ 1 , 2.50 ] }, "more": {"k": null}}, {"id": "y", "project_id": "acme/chatbot", "weave_ref": "weave:///a/b/call/1", "feedback_type": "t", "created_at": "2025-03-14T11:27:10.5+02:00"} ] } "#;
    let sample = serde_json::to_vec(&json!({
        "result": sample().iter().map(Feedback::to_value).collect::<Vec<_>>()
    }))
    .unwrap();
    vec![
        weave.as_bytes().to_vec(),
        other.as_bytes().to_vec(),
        sample,
        br#"{"result":[]}"#.to_vec(),
    ]
}
