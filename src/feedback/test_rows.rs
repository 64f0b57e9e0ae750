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
