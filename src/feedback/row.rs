//! One feedback row, with the keys and JSON form of Weave's `Feedback` model.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::timestamp::Timestamp;

/// One feedback row, with the 13 keys of Weave's `Feedback` model. Unknown keys from newer
/// servers are ignored.
///
/// The payload is kept twice: as the JSON text the server sent ([`Feedback::payload_json`],
/// used by [`Feedback::to_json`], the table and the C getters), which is exact, and parsed into
/// [`Feedback::payload`] for convenience, where numbers are `serde_json` numbers: an integer
/// beyond 64 bits (`12345678901234567890123`) is an `f64` there and loses digits. Rows are made
/// by decoding answers (or [`Feedback::from_value`]); changing `payload` on a copy does not
/// change the text.
#[derive(Clone, Debug)]
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
    /// The stored payload (reactions include the server's `alias`/`detoned` keys), parsed:
    /// integers beyond 64 bits are `f64` here; [`Feedback::payload_json`] has them exactly.
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
    /// The payload's JSON text as the server sent it; `None`: no payload, `{}`.
    pub(super) payload_text: Option<Box<RawValue>>,
}

/// Rows are equal when every field is, the payload compared as the text the server sent.
impl PartialEq for Feedback {
    fn eq(&self, o: &Feedback) -> bool {
        fn text(f: &Feedback) -> [Option<&str>; 12] {
            [
                Some(f.id.as_str()),
                Some(&f.project_id),
                Some(&f.weave_ref),
                f.creator.as_deref(),
                Some(&f.feedback_type),
                Some(f.payload_json()),
                f.annotation_ref.as_deref(),
                f.runnable_ref.as_deref(),
                f.call_ref.as_deref(),
                f.trigger_ref.as_deref(),
                f.queue_id.as_deref(),
                f.wb_user_id.as_deref(),
            ]
        }
        text(self) == text(o) && self.created_at == o.created_at
    }
}

/// A row as JSON, in the wire's key order, the payload spliced in as sent.
#[derive(Serialize)]
struct WireOut<'a> {
    id: &'a str,
    project_id: &'a str,
    weave_ref: &'a str,
    creator: Option<&'a str>,
    feedback_type: &'a str,
    #[serde(serialize_with = "payload_or_empty")]
    payload: Option<&'a RawValue>,
    annotation_ref: Option<&'a str>,
    runnable_ref: Option<&'a str>,
    call_ref: Option<&'a str>,
    trigger_ref: Option<&'a str>,
    queue_id: Option<&'a str>,
    wb_user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<&'a str>,
}

/// The payload's text, or `{}` for a row without one.
fn payload_or_empty<S: serde::Serializer>(p: &Option<&RawValue>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(raw) => raw.serialize(s),
        None => s.collect_map(std::iter::empty::<((), ())>()),
    }
}

impl Feedback {
    /// `created_at` as RFC 3339 UTC (`2026-11-27T05:03:26.854361Z`).
    pub fn created_at_rfc3339(&self) -> &str {
        self.created_at.as_rfc3339()
    }

    /// The row as a JSON `Value` with the wire key names, nulls included. The payload goes
    /// through `serde_json` numbers (integers beyond 64 bits become `f64`); [`Feedback::to_json`]
    /// keeps them exact.
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

    /// The row as compact JSON text, the keys of [`Feedback::to_value`], the payload exactly
    /// as the server sent it ([`Feedback::payload_json`]).
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(256 + self.payload_json().len());
        self.write_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends [`Feedback::to_json`] to `out`.
    pub(super) fn write_json(&self, out: &mut Vec<u8>) {
        // Only strings and text that was valid JSON: writing cannot fail.
        let _ = serde_json::to_writer(out, &self.wire());
    }

    fn wire(&self) -> WireOut<'_> {
        WireOut {
            id: &self.id,
            project_id: &self.project_id,
            weave_ref: &self.weave_ref,
            creator: self.creator.as_deref(),
            feedback_type: &self.feedback_type,
            payload: self.payload_text.as_deref(),
            annotation_ref: self.annotation_ref.as_deref(),
            runnable_ref: self.runnable_ref.as_deref(),
            call_ref: self.call_ref.as_deref(),
            trigger_ref: self.trigger_ref.as_deref(),
            queue_id: self.queue_id.as_deref(),
            wb_user_id: self.wb_user_id.as_deref(),
            created_at: Some(self.created_at.as_rfc3339()),
        }
    }

    /// The create request that writes this row back as it was, payload exact (the server
    /// stamps a new `created_at` and `wb_user_id`, and recomputes a reaction's added keys).
    pub(crate) fn restore_request(&self) -> String {
        let body = WireOut {
            wb_user_id: None,
            created_at: None,
            ..self.wire()
        };
        serde_json::to_string(&body).unwrap_or_default()
    }

    /// The payload's JSON text exactly as the server sent it (compact from Weave's server):
    /// integers beyond 64 bits keep every digit, which [`Feedback::payload`] cannot.
    pub fn payload_json(&self) -> &str {
        self.payload_text.as_deref().map_or("{}", RawValue::get)
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
