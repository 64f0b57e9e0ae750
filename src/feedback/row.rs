//! One feedback row, with the keys and JSON form of Weave's `Feedback` model.

use serde_json::{Map, Value};

use crate::timestamp::Timestamp;

/// One feedback row, with the 13 keys of Weave's `Feedback` model. Unknown keys from newer
/// servers are ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    /// Row id (UUIDv7).
    pub id: String,
    /// `entity/project`.
    pub project_id: String,
    /// The ref the feedback is attached to, as stored.
    pub weave_ref: String,
    /// Free display name of whoever gave the feedback.
    pub creator: Option<String>,
    /// `wandb.reaction.1`, `wandb.note.1`, `wandb.annotation.<name>`, or a custom type.
    pub feedback_type: String,
    /// The stored payload (reactions include the server's `alias`/`detoned` keys).
    pub payload: Map<String, Value>,
    /// Annotation spec ref, for `wandb.annotation.*`.
    pub annotation_ref: Option<String>,
    /// Scorer ref, for `wandb.runnable.*`.
    pub runnable_ref: Option<String>,
    /// Call ref, for `wandb.runnable.*`.
    pub call_ref: Option<String>,
    /// Trigger ref, for `wandb.runnable.*`.
    pub trigger_ref: Option<String>,
    /// Annotation queue id.
    pub queue_id: Option<String>,
    /// The W&B user the server authenticated.
    pub wb_user_id: Option<String>,
    /// When the server stored the row.
    pub created_at: Timestamp,
}

impl Feedback {
    /// `created_at` as RFC 3339 UTC (`2026-11-27T05:03:26.854361Z`).
    pub fn created_at_rfc3339(&self) -> &str {
        self.created_at.as_rfc3339()
    }

    /// The row as JSON with the wire key names, nulls included.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        let opt = |o: &Option<String>| o.clone().map_or(Value::Null, Value::String);
        m.insert("id".into(), self.id.clone().into());
        m.insert("project_id".into(), self.project_id.clone().into());
        m.insert("weave_ref".into(), self.weave_ref.clone().into());
        m.insert("creator".into(), opt(&self.creator));
        m.insert("feedback_type".into(), self.feedback_type.clone().into());
        m.insert("payload".into(), Value::Object(self.payload.clone()));
        m.insert("annotation_ref".into(), opt(&self.annotation_ref));
        m.insert("runnable_ref".into(), opt(&self.runnable_ref));
        m.insert("call_ref".into(), opt(&self.call_ref));
        m.insert("trigger_ref".into(), opt(&self.trigger_ref));
        m.insert("queue_id".into(), opt(&self.queue_id));
        m.insert("wb_user_id".into(), opt(&self.wb_user_id));
        m.insert("created_at".into(), self.created_at.to_rfc3339().into());
        Value::Object(m)
    }

    /// [`Feedback::to_value`] as compact JSON text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The payload as compact JSON text.
    pub fn payload_json(&self) -> String {
        Value::Object(self.payload.clone()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_rows::sample;
    use super::super::Feedbacks;
    use serde_json::Value;

    #[test]
    fn json_export_has_wire_keys_in_order_and_rfc3339() {
        let fs = Feedbacks::new(sample(), false);
        let v: Value = serde_json::from_str(&fs.to_json()).unwrap();
        let first = v[0].as_object().unwrap();
        assert_eq!(
            first.keys().collect::<Vec<_>>(),
            [
                "id",
                "project_id",
                "weave_ref",
                "creator",
                "feedback_type",
                "payload",
                "annotation_ref",
                "runnable_ref",
                "call_ref",
                "trigger_ref",
                "queue_id",
                "wb_user_id",
                "created_at"
            ]
        );
        assert_eq!(first["created_at"], "2025-03-14T09:26:53.589000Z");
        assert_eq!(v[1]["created_at"], "2025-03-14T09:27:10Z");
        assert_eq!(v[1]["creator"], Value::Null);
    }
}
