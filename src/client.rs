//! The client and the SDK's query classes: `FeedbackQuery` (a project's feedback) and
//! `RefFeedbackQuery` (feedback on one ref: add, purge, replace, batch).
//!
//! Exactly-once adds: every add carries a client-generated UUIDv7 `id`. The server stores a
//! second row when the same id arrives twice, so before retrying after an attempt whose outcome
//! is unknown (timeout, dropped connection, 5xx) the client first looks the id up; if the row is
//! there, the add succeeded and is not sent again.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::config::ClientBuilder;
use crate::error::{Error, Result};
use crate::feedback::{Feedbacks, Refs, NOTE_TYPE, REACTION_TYPE};
use crate::ids::new_uuid_v7;
use crate::query::Query;
use crate::refs::WeaveRef;
use crate::transport::Transport;
use crate::validate;
use crate::write::Writer;

/// A configured connection to a Weave trace server. `Send + Sync`; clones share one HTTP agent
/// (keep-alive pool), so clone freely.
#[derive(Clone, Debug)]
pub struct Client {
    transport: Arc<Transport>,
}

impl Client {
    /// A builder with the SDK's environment defaults (see [`ClientBuilder::from_env`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::from_env()
    }

    /// A client configured from the environment alone.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env().build()
    }

    pub(crate) fn from_builder(b: ClientBuilder) -> Result<Client> {
        Ok(Client {
            transport: Arc::new(Transport::new(&b)?),
        })
    }

    /// The base URL requests go to (no trailing `/`).
    pub fn base_url(&self) -> &str {
        self.transport.base_url()
    }

    /// A lazily fetched query over a project's feedback.
    pub fn feedback_query(&self, entity: &str, project: &str) -> Result<FeedbackQuery> {
        FeedbackQuery::new(self, entity, project)
    }

    /// Feedback on one ref (call, object, op or table).
    pub fn ref_feedback(&self, weave_ref: &str) -> Result<RefFeedbackQuery> {
        RefFeedbackQuery::new(self, weave_ref)
    }

    /// `GET /server_info`: the server's version handshake, as JSON.
    pub fn server_info(&self) -> Result<Value> {
        let body = self.transport.get("/server_info")?;
        serde_json::from_slice(&body).map_err(|e| Error::decode(format!("server_info: {e}")))
    }

    fn query_rows(&self, body: &Value, show_refs: bool) -> Result<Feedbacks> {
        let bytes = self
            .transport
            .post_json(&self.transport.budget(), "/feedback/query", body)?;
        Feedbacks::from_query_response(&bytes, show_refs)
    }

    /// The write protocol for one call on `project_id` (its time budget starts now).
    fn writer<'a>(&'a self, project_id: &'a str) -> Writer<'a> {
        Writer::new(&self.transport, project_id)
    }
}

/// A lazily fetched, cached query over one project's feedback (the SDK's `FeedbackQuery`).
///
/// Rows come sorted by `created_at` ascending. [`FeedbackQuery::execute`] fetches once and then
/// returns the cached result; [`FeedbackQuery::refresh`] always fetches and **replaces** the cache
/// (unlike the Python SDK, whose `refresh()` leaves the cache stale).
#[derive(Clone, Debug)]
pub struct FeedbackQuery {
    client: Client,
    project_id: String,
    query: Option<Query>,
    offset: Option<u64>,
    limit: Option<u64>,
    show_refs: bool,
    cache: Option<Feedbacks>,
}

impl FeedbackQuery {
    /// A query over all feedback of `entity/project`; nothing is fetched yet.
    pub fn new(client: &Client, entity: &str, project: &str) -> Result<FeedbackQuery> {
        validate::project_part("entity", entity)?;
        validate::project_part("project", project)?;
        Ok(FeedbackQuery {
            client: client.clone(),
            project_id: format!("{entity}/{project}"),
            query: None,
            offset: None,
            limit: None,
            show_refs: false,
            cache: None,
        })
    }

    /// Filters rows (`None`: every row of the project). Clears the cache.
    pub fn with_query(mut self, query: impl Into<Option<Query>>) -> Self {
        self.query = query.into();
        self.cache = None;
        self
    }

    /// Skips the first `offset` rows. Clears the cache.
    pub fn with_offset(mut self, offset: impl Into<Option<u64>>) -> Self {
        self.offset = offset.into();
        self.cache = None;
        self
    }

    /// Returns at most `limit` rows. Clears the cache.
    pub fn with_limit(mut self, limit: impl Into<Option<u64>>) -> Self {
        self.limit = limit.into();
        self.cache = None;
        self
    }

    /// Adds the Ref column to the table of the results.
    pub fn with_show_refs(mut self, show_refs: bool) -> Self {
        self.show_refs = show_refs;
        self.cache = None;
        self
    }

    /// `entity/project`.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The filter, if any.
    pub fn query(&self) -> Option<&Query> {
        self.query.as_ref()
    }

    /// The cached result, if one was fetched.
    pub fn cached(&self) -> Option<&Feedbacks> {
        self.cache.as_ref()
    }

    /// The rows: fetched on first use, then served from the cache.
    pub fn execute(&mut self) -> Result<Feedbacks> {
        if let Some(c) = &self.cache {
            return Ok(c.clone());
        }
        self.refresh()
    }

    /// Fetches the rows now and makes them the cached result. On failure the cache is kept.
    pub fn refresh(&mut self) -> Result<Feedbacks> {
        let rows = self
            .client
            .query_rows(&self.request_body()?, self.show_refs)?;
        self.cache = Some(rows.clone());
        Ok(rows)
    }

    /// The distinct refs of the rows, in first-seen order (fetching if needed).
    pub fn refs(&mut self) -> Result<Refs> {
        Ok(self.execute()?.refs())
    }

    /// Forgets the cached rows.
    pub fn clear_cache(&mut self) {
        self.cache = None;
    }

    /// The `/feedback/query` body, exactly as the SDK builds it.
    pub fn request_body(&self) -> Result<Value> {
        let max = i64::MAX as u64;
        for (what, v) in [("offset", self.offset), ("limit", self.limit)] {
            if v.is_some_and(|v| v > max) {
                return Err(Error::InvalidArgument(format!(
                    "{what} must be at most {max}"
                )));
            }
        }
        // The reference server turns `offset` without `limit` into invalid SQL (a 500);
        // "no limit" is spelled as the largest limit instead, which every backend accepts.
        let limit = match (self.offset, self.limit) {
            (Some(_), None) => Some(max),
            (_, l) => l,
        };
        Ok(json!({
            "project_id": self.project_id,
            "fields": null,
            "query": self.query,
            "sort_by": [{"field": "created_at", "direction": "asc"}],
            "limit": limit,
            "offset": self.offset,
        }))
    }
}

/// Feedback to add: a type, a payload, and the optional fields of a create request.
///
/// Built with [`NewFeedback::custom`] (the SDK's `add()`, with its rules), or with
/// [`NewFeedback::note`] / [`NewFeedback::reaction`] (the SDK's `add_note` / `add_reaction`).
#[derive(Clone, Debug, PartialEq)]
pub struct NewFeedback {
    feedback_type: String,
    payload: Map<String, Value>,
    extra: Map<String, Value>,
    creator: Option<String>,
    annotation_ref: Option<String>,
    id: Option<String>,
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
            extra: Map::new(),
            creator: None,
            annotation_ref: None,
            id: None,
            origin: Origin::Custom,
        }
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
    /// "creator": str?, "annotation_ref": str?, "id": str?}` (types as in
    /// [`NewFeedback::of_type`]). Unknown keys are refused, so a typo cannot drop a field.
    pub fn from_value(item: &Value) -> Result<NewFeedback> {
        let bad = |m: &str| Error::InvalidArgument(format!("batch item: {m}"));
        let obj = item
            .as_object()
            .ok_or_else(|| bad("must be a JSON object"))?;
        if let Some(k) = obj.keys().find(|k| {
            !matches!(
                k.as_str(),
                "feedback_type" | "payload" | "creator" | "annotation_ref" | "id"
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
            .annotation_ref(opt_str("annotation_ref")?);
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

    /// Every client-side rule, then the create request body (protocol spec 3.2, field order).
    fn request(&self, target: &WeaveRef, id: &str) -> Result<Value> {
        let project_id = target.project_id();
        let payload = self.merged_payload();
        match self.origin {
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
        let payload = Value::Object(payload);
        validate::embedded_refs(&payload)?;
        if let Some(c) = &self.creator {
            validate::embedded_refs(&Value::String(c.clone()))?;
        }
        if let Value::Object(p) = &payload {
            validate::payload_size(p)?;
        }
        Ok(json!({
            "id": id,
            "project_id": project_id,
            "weave_ref": target.as_str(),
            "creator": self.creator,
            "feedback_type": self.feedback_type,
            "payload": payload,
            "annotation_ref": self.annotation_ref,
            "runnable_ref": null,
            "call_ref": null,
            "trigger_ref": null,
            "queue_id": null,
            "wb_user_id": null,
        }))
    }
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

/// Feedback on one ref (the SDK's `RefFeedbackQuery`): query it, add to it, purge, replace.
///
/// A successful add, purge or replace clears this query's cache; a failed one keeps it.
#[derive(Clone, Debug)]
pub struct RefFeedbackQuery {
    target: WeaveRef,
    query: FeedbackQuery,
}

impl RefFeedbackQuery {
    /// Parses `weave_ref` (invalid refs fail here) and prepares the per-ref query.
    pub fn new(client: &Client, weave_ref: &str) -> Result<RefFeedbackQuery> {
        let target = WeaveRef::parse(weave_ref)?;
        let query = FeedbackQuery::new(client, target.entity(), target.project())
            .map_err(|e| Error::InvalidRef(format!("{e} in {weave_ref}")))?
            .with_query(Query::weave_ref_equals(target.as_str()));
        Ok(RefFeedbackQuery { target, query })
    }

    /// The target ref.
    pub fn weave_ref(&self) -> &WeaveRef {
        &self.target
    }

    /// The rows on this ref (cached after the first fetch).
    pub fn execute(&mut self) -> Result<Feedbacks> {
        self.query.execute()
    }

    /// Fetches now and replaces the cache.
    pub fn refresh(&mut self) -> Result<Feedbacks> {
        self.query.refresh()
    }

    /// Distinct refs of the rows (just this ref, when there are any).
    pub fn refs(&mut self) -> Result<Refs> {
        self.query.refs()
    }

    /// The cached result, if any.
    pub fn cached(&self) -> Option<&Feedbacks> {
        self.query.cached()
    }

    /// The underlying project query (its request body, cache, ...).
    pub fn as_feedback_query(&self) -> &FeedbackQuery {
        &self.query
    }

    /// Adds feedback; returns its id. Retries cannot store it twice.
    pub fn add(&mut self, feedback: NewFeedback) -> Result<String> {
        let id = feedback.id.clone().unwrap_or_else(new_uuid_v7);
        let body = feedback.request(&self.target, &id)?;
        self.writer().create(&id, &body)?;
        self.query.clear_cache();
        Ok(id)
    }

    /// Adds a note (1 to 1024 characters); returns its id.
    pub fn add_note(&mut self, note: &str, creator: Option<&str>) -> Result<String> {
        self.add(NewFeedback::note(note).creator(creator))
    }

    /// Adds an emoji reaction; returns its id.
    pub fn add_reaction(&mut self, emoji: &str, creator: Option<&str>) -> Result<String> {
        self.add(NewFeedback::reaction(emoji).creator(creator))
    }

    /// Deletes the row with this id **anywhere in the ref's project** (as the SDK does).
    /// Deleting an id that does not exist succeeds.
    pub fn purge(&mut self, feedback_id: &str) -> Result<()> {
        if feedback_id.is_empty() {
            return Err(Error::InvalidArgument(
                "feedback id must be non-empty".into(),
            ));
        }
        self.writer().purge(&[feedback_id])?;
        self.query.clear_cache();
        Ok(())
    }

    /// Replaces row `feedback_id` with `feedback`; returns the new row's id, which is
    /// `feedback_id` itself unless `feedback` sets another id.
    ///
    /// Weave's server deletes the old row before it validates the new one, so: every rule
    /// that can be checked locally is checked before sending; the old row is read first; and
    /// when the replace fails and the server had already deleted the old row (a refusal only
    /// the server can make, such as a missing annotation spec, or a failure between its delete
    /// and its insert), the old row is written back with its id and content (with a new
    /// `created_at`), and the error says so. `Ok` means the new content is stored, once. Costs
    /// one extra query (the read) on every replace.
    pub fn replace(&mut self, feedback_id: &str, feedback: NewFeedback) -> Result<String> {
        if feedback_id.is_empty() {
            return Err(Error::InvalidArgument(
                "feedback id must be non-empty".into(),
            ));
        }
        let id = feedback
            .id
            .clone()
            .unwrap_or_else(|| feedback_id.to_string());
        let mut body = feedback.request(&self.target, &id)?;
        body["feedback_id"] = Value::String(feedback_id.to_string());
        self.writer().replace(feedback_id, &id, &body)?;
        self.query.clear_cache();
        Ok(id)
    }

    /// Adds many rows through `/feedback/batch/create`; returns their ids in order.
    ///
    /// All items are checked before anything is sent. Over-large batches are split in halves
    /// (before sending above 31 MiB, and on a 413); a server without the batch route gets one
    /// create per item, with the same ids. Retries never store an item twice. When the server
    /// refuses the batch, nothing of it stays stored: pieces stored before a refused piece are
    /// purged again. A failed batch's error carries every item's id
    /// ([`Error::feedback_ids`]).
    pub fn add_batch(&mut self, items: Vec<NewFeedback>) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(items.len());
        let mut bodies = Vec::with_capacity(items.len());
        for (i, f) in items.iter().enumerate() {
            let id = f.id.clone().unwrap_or_else(new_uuid_v7);
            let body = f.request(&self.target, &id).map_err(|e| match e {
                Error::InvalidFeedback(m) => Error::InvalidFeedback(format!("item {i}: {m}")),
                Error::InvalidArgument(m) => Error::InvalidArgument(format!("item {i}: {m}")),
                Error::InvalidRef(m) => Error::InvalidRef(format!("item {i}: {m}")),
                other => other,
            })?;
            ids.push(id);
            bodies.push(body);
        }
        if !bodies.is_empty() {
            let items: Vec<(&str, &Value)> = ids.iter().map(String::as_str).zip(&bodies).collect();
            self.writer().batch(&items)?;
            self.query.clear_cache();
        }
        Ok(ids)
    }

    fn writer(&self) -> Writer<'_> {
        self.client().writer(&self.query.project_id)
    }

    fn client(&self) -> &Client {
        &self.query.client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        ClientBuilder::new()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap()
    }

    const CALL: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";

    #[test]
    fn create_body_matches_the_sdk_field_for_field() {
        let target = WeaveRef::parse(CALL).unwrap();
        let body = NewFeedback::reaction("🎉")
            .creator("Dana")
            .request(&target, "0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f")
            .unwrap();
        assert_eq!(
            body.to_string(),
            r#"{"id":"0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f","project_id":"acme/chatbot","weave_ref":"weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd","creator":"Dana","feedback_type":"wandb.reaction.1","payload":{"emoji":"🎉"},"annotation_ref":null,"runnable_ref":null,"call_ref":null,"trigger_ref":null,"queue_id":null,"wb_user_id":null}"#
        );
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
    fn per_ref_query_body_is_the_sdk_body() {
        let q = client().ref_feedback(CALL).unwrap();
        assert_eq!(
            q.as_feedback_query().request_body().unwrap().to_string(),
            format!(
                r#"{{"project_id":"acme/chatbot","fields":null,"query":{{"$expr":{{"$eq":[{{"$getField":"weave_ref"}},{{"$literal":"{CALL}"}}]}}}},"sort_by":[{{"field":"created_at","direction":"asc"}}],"limit":null,"offset":null}}"#
            )
        );
    }

    #[test]
    fn offset_without_limit_sends_the_largest_limit() {
        let q = client()
            .feedback_query("acme", "chatbot")
            .unwrap()
            .with_offset(5);
        let b = q.request_body().unwrap();
        assert_eq!(b["limit"], json!(i64::MAX));
        assert_eq!(b["offset"], json!(5));
        let q = q.with_limit(u64::MAX);
        assert!(matches!(q.request_body(), Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn project_parts_are_checked_at_construction() {
        let c = client();
        for (e, p) in [("", "p"), ("e", ""), ("a/b", "p"), ("e", "p/q")] {
            assert!(matches!(
                c.feedback_query(e, p),
                Err(Error::InvalidArgument(_))
            ));
        }
        assert!(matches!(
            c.ref_feedback("weave:///e/p/thing/x"),
            Err(Error::InvalidRef(_))
        ));
    }

    #[test]
    fn client_side_rules_fail_before_any_request() {
        // Port 9 (discard) is closed: any request would be a transport error.
        let mut q = client().ref_feedback(CALL).unwrap();
        assert!(matches!(
            q.add_note("", None),
            Err(Error::InvalidFeedback(_))
        ));
        assert!(matches!(
            q.add_note(&"x".repeat(1025), None),
            Err(Error::InvalidFeedback(_))
        ));
        assert!(matches!(
            q.add_reaction("ok", None),
            Err(Error::InvalidFeedback(_))
        ));
        assert!(matches!(
            q.add(NewFeedback::custom("wandb.x", Map::new())),
            Err(Error::InvalidFeedback(_))
        ));
        assert!(matches!(q.purge(""), Err(Error::InvalidArgument(_))));
        let big = NewFeedback::custom("x", Map::new()).extra_field("a", "é".repeat(200_000));
        assert!(matches!(q.add(big), Err(Error::InvalidFeedback(_))));
        let e = q
            .add_batch(vec![NewFeedback::note("fine"), NewFeedback::note("")])
            .unwrap_err();
        assert!(e.to_string().contains("item 1"), "{e}");
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

    #[test]
    fn client_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Client>();
        assert_send_sync::<Feedbacks>();
        assert_send_sync::<FeedbackQuery>();
        assert_send_sync::<RefFeedbackQuery>();
        let c = client();
        let d = c.clone();
        assert!(Arc::ptr_eq(&c.transport, &d.transport));
    }
}
