//! `FeedbackQuery`: a project's feedback, fetched lazily and cached (the SDK's class), and
//! [`Pages`], a walk over any number of rows one bounded answer at a time.

use serde_json::{json, Value};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::feedback::{Feedback, Feedbacks, Refs};
use crate::query::Query;
use crate::response::TOO_LARGE;
use crate::validate;

/// Rows per request when `execute()` fetches a query without a limit; halved while an answer
/// is larger than `max_response_bytes`.
pub const EXECUTE_PAGE_ROWS: u64 = 10_000;

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
    ///
    /// With a limit this is one request, as the SDK makes it. Without one it means every row,
    /// fetched in pages of [`EXECUTE_PAGE_ROWS`] (see [`FeedbackQuery::pages`]), so that no
    /// single answer has to hold them all; a page whose answer is larger than
    /// `max_response_bytes` is asked for again in halves.
    pub fn refresh(&mut self) -> Result<Feedbacks> {
        let rows = if self.limit.is_some() {
            self.client
                .query_rows(&self.request_body()?, self.show_refs)?
        } else {
            self.fetch_all()?
        };
        self.cache = Some(rows.clone());
        Ok(rows)
    }

    fn fetch_all(&self) -> Result<Feedbacks> {
        let mut pages = self.pages_of(EXECUTE_PAGE_ROWS)?;
        let mut rows: Vec<Feedback> = Vec::new();
        loop {
            match pages.fetch() {
                Ok(Some(page)) if rows.is_empty() => rows = page.into_rows(),
                Ok(Some(page)) => rows.extend(page.into_rows()),
                Ok(None) => return Ok(Feedbacks::new(rows, self.show_refs)),
                Err(Error::Decode { message, .. })
                    if message.starts_with(TOO_LARGE) && pages.page_rows > 1 =>
                {
                    pages.page_rows /= 2;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Walks every row of the query, `page_rows` rows per request, as an iterator of pages
    /// (each a [`Feedbacks`]; none when there are no rows). Nothing is cached; memory holds one
    /// page at a time, whatever the number of rows.
    ///
    /// Order is stable: `created_at`, then `id`. Each page after the first asks for the rows
    /// *after* the last row seen (keyset paging: `created_at` greater, or equal with a greater
    /// `id`, compared with `created_at` exactly as the server sent it), so rows added or deleted
    /// during the walk never make it skip or repeat a row; rows added during the walk appear
    /// at its end (the server stamps them with a later `created_at`). Offset paging would skip
    /// a row for each row deleted before the current position, and costs the server more for
    /// each later page.
    ///
    /// The query's filter applies; its offset skips rows before the first page and its limit
    /// bounds the rows of the whole walk. A failed page is yielded as the error and ends the
    /// walk. `page_rows` of 0 is [`Error::InvalidArgument`].
    pub fn pages(&self, page_rows: usize) -> Result<Pages> {
        self.pages_of(u64::try_from(page_rows).unwrap_or(u64::MAX))
    }

    fn pages_of(&self, page_rows: u64) -> Result<Pages> {
        if page_rows == 0 {
            return Err(Error::InvalidArgument(
                "page size must be at least 1 row".into(),
            ));
        }
        // Checks offset and limit as a single request would.
        self.request_body()?;
        let filter = match &self.query {
            Some(q) => Some(
                serde_json::to_value(q)
                    .ok()
                    .and_then(|mut v| v.get_mut("$expr").map(Value::take))
                    .ok_or_else(|| Error::Internal("a query without $expr".into()))?,
            ),
            None => None,
        };
        Ok(Pages {
            client: self.client.clone(),
            project_id: self.project_id.clone(),
            filter,
            show_refs: self.show_refs,
            page_rows: page_rows.min(i64::MAX as u64),
            offset: self.offset,
            remaining: self.limit,
            after: None,
            done: false,
        })
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

/// The pages of a query: see [`FeedbackQuery::pages`]. Each item is one request's rows.
#[derive(Debug)]
pub struct Pages {
    client: Client,
    project_id: String,
    /// The query's `$expr`, if it has one.
    filter: Option<Value>,
    show_refs: bool,
    page_rows: u64,
    /// Rows to skip before the first page (the query's offset).
    offset: Option<u64>,
    /// Rows the walk may still yield (the query's limit).
    remaining: Option<u64>,
    /// `created_at` (as the server sent it) and `id` of the last row yielded.
    after: Option<(String, String)>,
    done: bool,
}

impl Pages {
    /// Rows asked for per request.
    pub fn page_rows(&self) -> u64 {
        self.page_rows
    }

    /// The `/feedback/query` body of the next page.
    pub fn next_request_body(&self) -> Value {
        let limit = self
            .remaining
            .map_or(self.page_rows, |r| r.min(self.page_rows));
        let after = self.after.as_ref().map(|(created_at, id)| {
            let field = |f: &str| json!({ "$getField": f });
            json!({"$or": [
                {"$gt": [field("created_at"), {"$literal": created_at}]},
                {"$and": [
                    {"$eq": [field("created_at"), {"$literal": created_at}]},
                    {"$gt": [field("id"), {"$literal": id}]},
                ]},
            ]})
        });
        let expr = match (&self.filter, after) {
            (Some(f), Some(a)) => Some(json!({ "$and": [f, a] })),
            (Some(f), None) => Some(f.clone()),
            (None, a) => a,
        };
        json!({
            "project_id": self.project_id,
            "fields": null,
            "query": expr.map(|e| json!({ "$expr": e })),
            "sort_by": [
                {"field": "created_at", "direction": "asc"},
                {"field": "id", "direction": "asc"},
            ],
            "limit": limit,
            "offset": self.offset,
        })
    }

    /// The next page: `Ok(None)` at the end. A failure leaves the position unchanged.
    fn fetch(&mut self) -> Result<Option<Feedbacks>> {
        let limit = self
            .remaining
            .map_or(self.page_rows, |r| r.min(self.page_rows));
        if self.done || limit == 0 {
            self.done = true;
            return Ok(None);
        }
        let (rows, last_created_at) = self
            .client
            .query_page(&self.next_request_body(), self.show_refs)?;
        let n = rows.len() as u64;
        if n < limit {
            // A short page is the last one.
            self.done = true;
        }
        if let Some(r) = &mut self.remaining {
            *r = r.saturating_sub(n);
        }
        self.offset = None;
        match (rows.as_slice().last(), last_created_at) {
            (Some(last), Some(created_at)) => {
                self.after = Some((created_at, last.id.clone()));
                Ok(Some(rows))
            }
            _ => {
                self.done = true;
                Ok(None)
            }
        }
    }
}

impl Iterator for Pages {
    type Item = Result<Feedbacks>;

    fn next(&mut self) -> Option<Result<Feedbacks>> {
        match self.fetch() {
            Ok(page) => page.map(Ok),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for Pages {}

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
    fn pages_ask_for_the_rows_after_the_last_one_seen() {
        let q = client()
            .feedback_query("acme", "chatbot")
            .unwrap()
            .with_query(
                Query::from_json(
                    r#"{"$expr":{"$eq":[{"$getField":"feedback_type"},{"$literal":"t"}]}}"#,
                )
                .unwrap(),
            )
            .with_offset(3)
            .with_limit(5);
        assert!(matches!(q.pages(0), Err(Error::InvalidArgument(_))));
        let mut p = q.pages(2).unwrap();
        let b = p.next_request_body();
        assert_eq!(b["limit"], json!(2));
        assert_eq!(b["offset"], json!(3));
        assert_eq!(b["query"]["$expr"]["$eq"][1]["$literal"], "t");
        assert_eq!(b["sort_by"][1]["field"], "id");
        p.after = Some(("2025-01-01 00:00:00+00:00".into(), "id-9".into()));
        p.offset = None;
        p.remaining = Some(1);
        let b = p.next_request_body();
        assert_eq!(b["limit"], json!(1), "never more than the limit left");
        assert_eq!(b["offset"], Value::Null);
        let and = &b["query"]["$expr"]["$and"];
        assert_eq!(
            and[0]["$eq"][1]["$literal"], "t",
            "the filter still applies"
        );
        let or = &and[1]["$or"];
        assert_eq!(or[0]["$gt"][1]["$literal"], "2025-01-01 00:00:00+00:00");
        assert_eq!(or[1]["$and"][1]["$gt"][1]["$literal"], "id-9");
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
