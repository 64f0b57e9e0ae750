//! `FeedbackQuery`: a project's feedback, fetched lazily and cached (the SDK's class).

use serde_json::{json, Value};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::feedback::{Feedbacks, Refs};
use crate::query::Query;
use crate::validate;

impl Client {
    /// A lazily fetched query over a project's feedback.
    pub fn feedback_query(&self, entity: &str, project: &str) -> Result<FeedbackQuery> {
        FeedbackQuery::new(self, entity, project)
    }
}

/// A lazily fetched, cached query over one project's feedback (the SDK's `FeedbackQuery`).
///
/// Rows come sorted by `created_at` ascending. [`FeedbackQuery::execute`] fetches once and then
/// returns the cached result; [`FeedbackQuery::refresh`] always fetches and **replaces** the cache
/// (unlike the Python SDK, whose `refresh()` leaves the cache stale).
#[derive(Clone, Debug)]
pub struct FeedbackQuery {
    pub(crate) client: Client,
    pub(crate) project_id: String,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::unreachable()
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
            c.ref_feedback_query("weave:///e/p/thing/x"),
            Err(Error::InvalidRef(_))
        ));
    }
}
