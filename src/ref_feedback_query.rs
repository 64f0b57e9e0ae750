//! `RefFeedbackQuery`: feedback on one ref (the SDK's class): query it, add to it, purge,
//! replace, add in batches. The writes go through the exactly-once protocol in `write`.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::feedback::{Feedbacks, Refs};
use crate::feedback_query::FeedbackQuery;
use crate::ids::new_uuid_v7;
use crate::new_feedback::NewFeedback;
use crate::query::Query;
use crate::refs::WeaveRef;
use crate::write::Writer;

impl Client {
    /// Feedback on one ref (call, object, op or table): the SDK's `RefFeedbackQuery`, as C's
    /// `weave_ref_feedback_query_new`.
    pub fn ref_feedback_query(&self, weave_ref: &str) -> Result<RefFeedbackQuery> {
        RefFeedbackQuery::new(self, weave_ref)
    }

    /// The former name of [`Client::ref_feedback_query`].
    #[deprecated(
        since = "0.1.0",
        note = "renamed to ref_feedback_query, as in the C API"
    )]
    pub fn ref_feedback(&self, weave_ref: &str) -> Result<RefFeedbackQuery> {
        self.ref_feedback_query(weave_ref)
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

    pub(crate) fn as_feedback_query_mut(&mut self) -> &mut FeedbackQuery {
        &mut self.query
    }

    /// Skips the first `offset` rows on the ref (a plain attribute in the SDK). Clears the
    /// cache.
    pub fn with_offset(mut self, offset: impl Into<Option<u64>>) -> Self {
        self.set_offset(offset);
        self
    }

    /// Returns at most `limit` rows on the ref. Clears the cache.
    pub fn with_limit(mut self, limit: impl Into<Option<u64>>) -> Self {
        self.set_limit(limit);
        self
    }

    /// Adds the Ref column to the table of the results. Clears the cache.
    pub fn with_show_refs(mut self, show_refs: bool) -> Self {
        self.set_show_refs(show_refs);
        self
    }

    /// [`RefFeedbackQuery::with_offset`] in place.
    pub fn set_offset(&mut self, offset: impl Into<Option<u64>>) {
        self.query.set_offset(offset);
    }

    /// [`RefFeedbackQuery::with_limit`] in place.
    pub fn set_limit(&mut self, limit: impl Into<Option<u64>>) {
        self.query.set_limit(limit);
    }

    /// [`RefFeedbackQuery::with_show_refs`] in place.
    pub fn set_show_refs(&mut self, show_refs: bool) {
        self.query.set_show_refs(show_refs);
    }

    /// Adds feedback; returns its id. Retries cannot store it twice.
    ///
    /// With an outbox ([`ClientBuilder::outbox`](crate::ClientBuilder::outbox)) the row is
    /// committed to the outbox file first, one try is made to send it, and the id is returned
    /// whether or not the server took it; [`Client::flush`] sends what is left.
    pub fn add(&mut self, feedback: NewFeedback) -> Result<String> {
        let id = feedback.id.clone().unwrap_or_else(new_uuid_v7);
        let body = feedback.request(&self.target, &id, None)?;
        if !self
            .client()
            .queue(&[(&id, &self.query.project_id, &body)])?
        {
            self.writer().create(&id, &body)?;
        }
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
        let body = feedback.request(&self.target, &id, Some(feedback_id))?;
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
    ///
    /// With an outbox, the items are queued together (all or none: [`Error::OutboxFull`]),
    /// and a refused item becomes a dead letter without holding back the others.
    pub fn add_batch(&mut self, items: Vec<NewFeedback>) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(items.len());
        let mut bodies = Vec::with_capacity(items.len());
        for (i, f) in items.iter().enumerate() {
            let id = f.id.clone().unwrap_or_else(new_uuid_v7);
            let body = f
                .request(&self.target, &id, None)
                .map_err(|e| e.annotate_item(i))?;
            ids.push(id);
            bodies.push(body);
        }
        if !bodies.is_empty() {
            let project = self.query.project_id.as_str();
            let rows: Vec<(&str, &str, &str)> = ids
                .iter()
                .zip(&bodies)
                .map(|(id, body)| (id.as_str(), project, body.as_str()))
                .collect();
            if !self.client().queue(&rows)? {
                let items: Vec<(&str, &str)> = rows.iter().map(|(i, _, b)| (*i, *b)).collect();
                self.writer().batch(&items)?;
            }
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
    use serde_json::Map;

    fn client() -> Client {
        Client::unreachable()
    }

    const CALL: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";

    #[test]
    fn per_ref_query_body_is_the_sdk_body() {
        let q = client().ref_feedback_query(CALL).unwrap();
        assert_eq!(
            q.as_feedback_query().request_body().unwrap().to_string(),
            format!(
                r#"{{"project_id":"acme/chatbot","fields":null,"query":{{"$expr":{{"$eq":[{{"$getField":"weave_ref"}},{{"$literal":"{CALL}"}}]}}}},"sort_by":[{{"field":"created_at","direction":"asc"}}],"limit":null,"offset":null}}"#
            )
        );
    }

    #[test]
    fn client_side_rules_fail_before_any_request() {
        // Port 9 (discard) is closed: any request would be a transport error.
        let mut q = client().ref_feedback_query(CALL).unwrap();
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
}
