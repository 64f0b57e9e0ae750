//! `NewFeedback`: what to add (type, payload, optional fields), the client-side rules it must
//! pass, and the create request body it becomes.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::feedback::{NOTE_TYPE, REACTION_TYPE};
use crate::pyjson;
use crate::refs::WeaveRef;
use crate::validate;
use crate::validate::{Links, RUNNABLE_PREFIX};

/// Feedback to add: a type, a payload, and the optional fields of a create request.
///
/// Built with [`NewFeedback::custom`] (the SDK's `add()`, with its rules), with
/// [`NewFeedback::note`] / [`NewFeedback::reaction`] (the SDK's `add_note` / `add_reaction`), or
/// with [`NewFeedback::runnable`] (a scorer's result, as the SDK's `apply_scorer` stores it).
///
/// A payload given as JSON text ([`NewFeedback::custom_json`],
/// [`NewFeedback::with_payload_json`]) is sent exactly as written, so integers beyond 64 bits
/// keep every digit; a `Map` payload holds `serde_json` numbers, where such integers are `f64`.
#[derive(Clone, Debug)]
pub struct NewFeedback {
    feedback_type: String,
    payload: Map<String, Value>,
    /// `payload` as the caller wrote it, when given as text: what is sent.
    payload_text: Option<Box<RawValue>>,
    extra: Map<String, Value>,
    creator: Option<String>,
    annotation_ref: Option<String>,
    links: Links,
    pub(crate) id: Option<String>,
    origin: Origin,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Origin {
    Custom,
    Note,
    Reaction,
}

impl NewFeedback {
    /// Custom or annotation feedback: the SDK's `add(feedback_type, payload)`. The reserved
    /// `wandb.` prefix is refused unless an annotation ref is set.
    pub fn custom(feedback_type: impl Into<String>, payload: Map<String, Value>) -> NewFeedback {
        NewFeedback {
            feedback_type: feedback_type.into(),
            payload,
            payload_text: None,
            extra: Map::new(),
            creator: None,
            annotation_ref: None,
            links: Links::default(),
            id: None,
            origin: Origin::Custom,
        }
    }

    /// [`NewFeedback::custom`] with the payload given as JSON text (an object), sent exactly
    /// as written (integers beyond 64 bits keep every digit). Not JSON, or not an object, is
    /// [`Error::InvalidArgument`]; so is a number no `f64` can hold (`1e400`), which Weave's
    /// server would store as infinity and answer as `null`.
    pub fn custom_json(
        feedback_type: impl Into<String>,
        payload_json: &str,
    ) -> Result<NewFeedback> {
        NewFeedback::custom(feedback_type, Map::new()).with_payload_json(payload_json)
    }

    /// Replaces the payload with one given as JSON text (an object), sent exactly as written;
    /// errors as in [`NewFeedback::custom_json`]. The type and its rules stay (so
    /// `NewFeedback::of_type(t, Map::new()).with_payload_json(text)` works for any type).
    pub fn with_payload_json(self, payload_json: &str) -> Result<NewFeedback> {
        self.with_payload_text(payload_json, "payload")
    }

    /// [`NewFeedback::with_payload_json`], errors naming the payload `what`.
    pub(crate) fn with_payload_text(mut self, text: &str, what: &str) -> Result<NewFeedback> {
        let (map, raw) = payload_from_json(text, what)?;
        self.payload = map;
        self.payload_text = Some(raw);
        Ok(self)
    }

    /// A scorer's result, as the SDK's `apply_scorer` stores it (`_add_runnable_feedback`):
    /// type `wandb.runnable.<name>` after the scorer's name, payload `{"output": output}`, and
    /// `runnable_ref` set to the scorer: an op (`weave:///e/p/op/<name>:<digest>`, which then
    /// needs [`NewFeedback::call_ref`], the scoring call) or an object
    /// (`weave:///e/p/object/<name>:<digest>`). A ref that does not parse is reported when the
    /// feedback is added.
    pub fn runnable(runnable_ref: impl Into<String>, output: impl Into<Value>) -> NewFeedback {
        let runnable_ref = runnable_ref.into();
        let name = WeaveRef::parse(&runnable_ref)
            .map(|r| r.name().to_string())
            .unwrap_or_default();
        let mut payload = Map::new();
        payload.insert("output".into(), output.into());
        NewFeedback::custom(format!("{RUNNABLE_PREFIX}{name}"), payload).runnable_ref(runnable_ref)
    }

    /// [`NewFeedback::runnable`] with the output given as JSON text (any value), sent exactly
    /// as written. Malformed JSON is [`Error::InvalidArgument`].
    pub fn runnable_json(
        runnable_ref: impl Into<String>,
        output_json: &str,
    ) -> Result<NewFeedback> {
        let output: Value = serde_json::from_str(output_json)
            .map_err(|e| Error::InvalidArgument(format!("output_json is not valid JSON: {e}")))?;
        let text = format!("{{\"output\":{}}}", output_json.trim());
        NewFeedback::runnable(runnable_ref, output).with_payload_text(&text, "output_json")
    }

    /// A note (`wandb.note.1`, `{"note": text}`); 1 to 1024 characters.
    pub fn note(text: impl Into<String>) -> NewFeedback {
        let mut f = NewFeedback::custom(NOTE_TYPE, Map::new());
        f.payload.insert("note".into(), Value::String(text.into()));
        f.origin = Origin::Note;
        f
    }

    /// A reaction (`wandb.reaction.1`, `{"emoji": emoji}`); exactly one emoji.
    pub fn reaction(emoji: impl Into<String>) -> NewFeedback {
        let mut f = NewFeedback::custom(REACTION_TYPE, Map::new());
        f.payload
            .insert("emoji".into(), Value::String(emoji.into()));
        f.origin = Origin::Reaction;
        f
    }

    /// Feedback of any type, with the rules of that type: `wandb.note.1` and
    /// `wandb.reaction.1` are checked as notes and reactions (as [`NewFeedback::note`] and
    /// [`NewFeedback::reaction`] would), every other type as [`NewFeedback::custom`]. Used where
    /// the type arrives as data: batches and replaces.
    pub fn of_type(feedback_type: impl Into<String>, payload: Map<String, Value>) -> NewFeedback {
        let mut f = NewFeedback::custom(feedback_type, payload);
        f.origin = match f.feedback_type.as_str() {
            NOTE_TYPE => Origin::Note,
            REACTION_TYPE => Origin::Reaction,
            _ => Origin::Custom,
        };
        f
    }

    /// Reads one item of a JSON batch: `{"feedback_type": str, "payload": object?,
    /// "creator": str?, "annotation_ref": str?, "runnable_ref": str?, "call_ref": str?,
    /// "trigger_ref": str?, "queue_id": str?, "id": str?}` (types as in
    /// [`NewFeedback::of_type`]). Unknown keys are refused, so a typo cannot drop a field.
    pub fn from_value(item: &Value) -> Result<NewFeedback> {
        let bad = |m: &str| Error::InvalidArgument(format!("batch item: {m}"));
        let obj = item
            .as_object()
            .ok_or_else(|| bad("must be a JSON object"))?;
        if let Some(k) = obj.keys().find(|k| {
            !matches!(
                k.as_str(),
                "feedback_type"
                    | "payload"
                    | "creator"
                    | "annotation_ref"
                    | "runnable_ref"
                    | "call_ref"
                    | "trigger_ref"
                    | "queue_id"
                    | "id"
            )
        }) {
            return Err(bad(&format!("unknown key {k:?}")));
        }
        let opt_str = |k: &str| -> Result<Option<String>> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(bad(&format!("{k} must be a string or null"))),
            }
        };
        let feedback_type =
            opt_str("feedback_type")?.ok_or_else(|| bad("feedback_type is required"))?;
        let payload = match obj.get("payload") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(p)) => p.clone(),
            Some(_) => return Err(bad("payload must be a JSON object")),
        };
        let mut f = NewFeedback::of_type(feedback_type, payload)
            .creator(opt_str("creator")?)
            .annotation_ref(opt_str("annotation_ref")?)
            .runnable_ref(opt_str("runnable_ref")?)
            .call_ref(opt_str("call_ref")?)
            .trigger_ref(opt_str("trigger_ref")?)
            .queue_id(opt_str("queue_id")?);
        f.id = opt_str("id")?;
        Ok(f)
    }

    /// One extra payload field (the SDK's `**kwargs`); it wins over a payload key of that name.
    pub fn extra_field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// Extra payload fields (the SDK's `**kwargs`); they win over payload keys.
    pub fn extra_fields(mut self, fields: Map<String, Value>) -> Self {
        self.extra.extend(fields);
        self
    }

    /// Display name of whoever gives the feedback (`"Dana"`, or an `Option`).
    pub fn creator(mut self, creator: impl OptionalText) -> Self {
        self.creator = creator.into_option();
        self
    }

    /// The annotation spec ref, for `wandb.annotation.<name>` feedback (a string, or an
    /// `Option`). Empty means none, as in the SDK.
    pub fn annotation_ref(mut self, r: impl OptionalText) -> Self {
        self.annotation_ref = r.into_option().filter(|s| !s.is_empty());
        self
    }

    /// The scorer that produced this feedback (`runnable_ref`): an op or object version ref
    /// named like the type's `<name>` in `wandb.runnable.<name>`. Only runnable feedback may
    /// carry one. Empty means none.
    pub fn runnable_ref(mut self, r: impl OptionalText) -> Self {
        self.links.runnable_ref = non_empty(r);
        self
    }

    /// The call that ran the scorer (`call_ref`), a call ref; required when the scorer is an
    /// op. Only runnable feedback may carry one. Empty means none.
    pub fn call_ref(mut self, r: impl OptionalText) -> Self {
        self.links.call_ref = non_empty(r);
        self
    }

    /// The monitor (an object version ref) whose trigger ran the scorer (`trigger_ref`). Only
    /// runnable feedback may carry one. Empty means none.
    pub fn trigger_ref(mut self, r: impl OptionalText) -> Self {
        self.links.trigger_ref = non_empty(r);
        self
    }

    /// The annotation queue this feedback was given in (`queue_id`). The server refuses an id
    /// that is not one of the project's queues (`Rejected`, HTTP 400); the local store has no
    /// queues and refuses every id. Empty means none.
    pub fn queue_id(mut self, id: impl OptionalText) -> Self {
        self.links.queue_id = non_empty(id);
        self
    }

    /// Uses this row id instead of a generated UUIDv7 (the caller then owns uniqueness).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The final payload: `payload` updated with the extra fields.
    pub fn merged_payload(&self) -> Map<String, Value> {
        let mut p = self.payload.clone();
        for (k, v) in &self.extra {
            p.insert(k.clone(), v.clone());
        }
        p
    }

    /// Reads a batch given as JSON text: an array of items as [`NewFeedback::from_value`]
    /// reads them. Errors name the item (`item 2: ...`).
    /// Payloads are sent exactly as written in `text` (integers beyond 64 bits keep every digit).
    pub fn list_from_json(text: &str) -> Result<Vec<NewFeedback>> {
        let items = match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items,
            Ok(_) => {
                return Err(Error::InvalidArgument(
                    "a batch must be a JSON array".into(),
                ))
            }
            Err(e) => {
                return Err(Error::InvalidArgument(format!(
                    "a batch is not valid JSON: {e}"
                )))
            }
        };
        // The same array again, each item as its text, for the payloads' exact text.
        let raw: Vec<&RawValue> = serde_json::from_str(text).unwrap_or_default();
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let f = NewFeedback::from_value(item)?;
                match raw
                    .get(i)
                    .and_then(|r| pyjson::text::member(r.get(), "payload"))
                {
                    Some(p) if item.get("payload").is_some_and(Value::is_object) => {
                        f.with_payload_text(p.get(), "payload")
                    }
                    _ => Ok(f),
                }
                .map_err(|e| e.annotate_item(i))
            })
            .collect()
    }

    /// Every client-side rule, then the create request body as JSON text, its fields in the
    /// order the SDK's `FeedbackCreateReq` sends them. `replacing`: the id of the row a replace
    /// request replaces (its `feedback_id`, sent last); `None` for a create.
    pub(crate) fn request(
        &self,
        target: &WeaveRef,
        id: &str,
        replacing: Option<&str>,
    ) -> Result<String> {
        let project_id = target.project_id();
        // The payload the rules read: borrowed when there are no extra fields (the usual case).
        let payload: Cow<'_, Map<String, Value>> = if self.extra.is_empty() {
            Cow::Borrowed(&self.payload)
        } else {
            Cow::Owned(self.merged_payload())
        };
        let links = &self.links;
        let is_runnable =
            self.feedback_type.starts_with(validate::RUNNABLE) && self.annotation_ref.is_none();
        match self.origin {
            Origin::Custom if is_runnable => validate::runnable(
                &self.feedback_type,
                links.runnable_ref.as_deref(),
                links.call_ref.as_deref(),
                &payload,
            )?,
            Origin::Custom => {
                validate::generic_add(
                    &self.feedback_type,
                    self.annotation_ref.as_deref(),
                    &payload,
                    &project_id,
                )?;
            }
            Origin::Note | Origin::Reaction if self.annotation_ref.is_some() => {
                // The server refuses this only after a replace has deleted the original.
                return Err(Error::InvalidFeedback(
                    "annotation_ref is not allowed for non-annotation feedback".into(),
                ));
            }
            Origin::Note => {
                validate::note(payload.get("note").and_then(Value::as_str).ok_or_else(|| {
                    Error::InvalidFeedback("a note's payload needs a string \"note\"".into())
                })?)?
            }
            Origin::Reaction => {
                validate::reaction(payload.get("emoji").and_then(Value::as_str).ok_or_else(
                    || {
                        Error::InvalidFeedback(
                            "a reaction's payload needs a string \"emoji\"".into(),
                        )
                    },
                )?)?
            }
        }
        if id.is_empty() {
            return Err(Error::InvalidArgument(
                "a feedback id must be non-empty".into(),
            ));
        }
        payload.values().try_for_each(validate::embedded_refs)?;
        if !is_runnable && !self.feedback_type.starts_with(validate::ANNOTATION) {
            validate::not_runnable(links)?;
        }
        validate::linked_refs(links)?;
        for text in [&self.creator, &links.queue_id].into_iter().flatten() {
            validate::embedded_str_ref(text)?;
        }
        // The payload as sent: the caller's text when given as text (with any extra fields
        // merged in as the SDK's `payload.update(kwargs)` does), else the map.
        let text: Option<Cow<'_, RawValue>> = match &self.payload_text {
            Some(raw) if self.extra.is_empty() => Some(Cow::Borrowed(raw)),
            Some(raw) => Some(Cow::Owned(merge_text(raw, &self.extra)?)),
            None => None,
        };
        let sent = match &text {
            Some(raw) => {
                validate::payload_text_size(raw.get())?;
                SentPayload::Text(raw)
            }
            None => {
                validate::payload_size(&payload)?;
                SentPayload::Map(&payload)
            }
        };
        // Written straight to text, without building a `Value` tree of the body first.
        let body = CreateBody {
            id,
            project_id: &project_id,
            weave_ref: target.as_str(),
            creator: self.creator.as_deref(),
            feedback_type: &self.feedback_type,
            payload: sent,
            annotation_ref: self.annotation_ref.as_deref(),
            runnable_ref: links.runnable_ref.as_deref(),
            call_ref: links.call_ref.as_deref(),
            trigger_ref: links.trigger_ref.as_deref(),
            queue_id: links.queue_id.as_deref(),
            wb_user_id: None,
            feedback_id: replacing,
        };
        serde_json::to_string(&body)
            .map_err(|e| Error::Internal(format!("encoding a create request: {e}")))
    }
}

/// Two `NewFeedback`s are equal when they would send the same request (a payload given as
/// text compared as that text).
impl PartialEq for NewFeedback {
    fn eq(&self, o: &NewFeedback) -> bool {
        let text = |f: &NewFeedback| f.payload_text.as_ref().map(|t| t.get().to_owned());
        self.feedback_type == o.feedback_type
            && self.payload == o.payload
            && text(self) == text(o)
            && self.extra == o.extra
            && self.creator == o.creator
            && self.annotation_ref == o.annotation_ref
            && self.links == o.links
            && self.id == o.id
            && self.origin == o.origin
    }
}

/// A payload given as JSON text: parsed (the rules read the map) and kept as written (it is
/// what is sent). Errors name the argument `what`.
pub(crate) fn payload_from_json(
    text: &str,
    what: &str,
) -> Result<(Map<String, Value>, Box<RawValue>)> {
    let bad = |m: String| Error::InvalidArgument(m);
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => {
            let raw = RawValue::from_string(text.trim().to_string())
                .map_err(|e| bad(format!("{what} is not valid JSON: {e}")))?;
            Ok((map, raw))
        }
        Ok(_) => Err(bad(format!("{what} must be a JSON object"))),
        Err(e) => Err(bad(format!("{what} is not valid JSON: {e}"))),
    }
}

/// The payload text with `extra` applied (see [`pyjson::text::update`]).
fn merge_text(payload: &RawValue, extra: &Map<String, Value>) -> Result<Box<RawValue>> {
    pyjson::text::update(payload.get(), extra)
        .and_then(|text| RawValue::from_string(text).ok())
        .ok_or_else(|| Error::Internal("merging extra fields into a payload".into()))
}

/// The payload of a request: the caller's JSON text, or a map.
#[derive(Serialize)]
#[serde(untagged)]
enum SentPayload<'a> {
    Text(&'a RawValue),
    Map(&'a Map<String, Value>),
}

/// Optional text, with an empty string meaning none (as the SDK and server treat these fields).
fn non_empty(text: impl OptionalText) -> Option<String> {
    text.into_option().filter(|s| !s.is_empty())
}

/// A create (or replace) request body, in the SDK's field order.
#[derive(Serialize)]
struct CreateBody<'a> {
    id: &'a str,
    project_id: &'a str,
    weave_ref: &'a str,
    creator: Option<&'a str>,
    feedback_type: &'a str,
    payload: SentPayload<'a>,
    annotation_ref: Option<&'a str>,
    runnable_ref: Option<&'a str>,
    call_ref: Option<&'a str>,
    trigger_ref: Option<&'a str>,
    queue_id: Option<&'a str>,
    wb_user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feedback_id: Option<&'a str>,
}

/// Text that may be absent: `&str`, `String`, or an `Option` of either, so optional fields
/// take `"Dana"` and `Some(name)`/`None` alike.
pub trait OptionalText {
    /// The text, or `None`.
    fn into_option(self) -> Option<String>;
}

impl OptionalText for &str {
    fn into_option(self) -> Option<String> {
        Some(self.to_string())
    }
}
impl OptionalText for String {
    fn into_option(self) -> Option<String> {
        Some(self)
    }
}
impl OptionalText for &String {
    fn into_option(self) -> Option<String> {
        Some(self.clone())
    }
}
impl OptionalText for Option<&str> {
    fn into_option(self) -> Option<String> {
        self.map(str::to_string)
    }
}
impl OptionalText for Option<String> {
    fn into_option(self) -> Option<String> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CALL: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";

    #[test]
    fn create_body_matches_the_sdk_field_for_field() {
        let target = WeaveRef::parse(CALL).unwrap();
        let body = NewFeedback::reaction("🎉")
            .creator("Dana")
            .request(&target, "0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f", None)
            .unwrap();
        assert_eq!(
            body,
            r#"{"id":"0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f","project_id":"acme/chatbot","weave_ref":"weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd","creator":"Dana","feedback_type":"wandb.reaction.1","payload":{"emoji":"🎉"},"annotation_ref":null,"runnable_ref":null,"call_ref":null,"trigger_ref":null,"queue_id":null,"wb_user_id":null}"#
        );
    }

    #[test]
    fn runnable_fields_are_sent() {
        let target = WeaveRef::parse(CALL).unwrap();
        let body = NewFeedback::runnable("weave:///acme/chatbot/op/judge:abc", json!([1]))
            .call_ref(CALL)
            .trigger_ref("")
            .queue_id("q")
            .request(&target, "i", None)
            .unwrap();
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["feedback_type"], "wandb.runnable.judge");
        assert_eq!(v["payload"], json!({"output": [1]}));
        assert_eq!(v["runnable_ref"], "weave:///acme/chatbot/op/judge:abc");
        assert_eq!(v["call_ref"], CALL);
        assert_eq!(v["trigger_ref"], Value::Null, "empty means none");
        assert_eq!(v["queue_id"], "q");
    }

    #[test]
    fn kwargs_win_over_payload_keys() {
        let mut p = Map::new();
        p.insert("a".into(), 1.into());
        p.insert("b".into(), 2.into());
        let f = NewFeedback::custom("x", p).extra_field("b", 3);
        assert_eq!(
            Value::Object(f.merged_payload()).to_string(),
            r#"{"a":1,"b":3}"#
        );
    }

    #[test]
    fn batch_items_from_json() {
        let f = NewFeedback::from_value(
            &json!({"feedback_type": "wandb.note.1", "payload": {"note": "hi"}, "id": "x"}),
        )
        .unwrap();
        assert_eq!(f.origin, Origin::Note);
        assert_eq!(f.id.as_deref(), Some("x"));
        for bad in [
            json!([]),
            json!({"payload": {}}),
            json!({"feedback_type": "t", "payload": [1]}),
            json!({"feedback_type": "t", "creatr": "typo"}),
            json!({"feedback_type": 3}),
        ] {
            assert!(
                matches!(
                    NewFeedback::from_value(&bad),
                    Err(Error::InvalidArgument(_))
                ),
                "{bad}"
            );
        }
    }
}
