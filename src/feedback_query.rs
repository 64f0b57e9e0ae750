//! `FeedbackQuery`: a project's feedback, fetched lazily and cached (the SDK's class), with
//! the server's `sort_by` and `fields`. The walk over many rows is in `pages`; the query as a
//! collection (`len`, `get`, `iter`) in `collection`.

use serde_json::{json, Map, Value};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::feedback::{Feedback, Feedbacks, Refs};
use crate::fields::{check_field, SortBy, SortDirection};
use crate::query::Query;
use crate::response::TOO_LARGE;
use crate::validate;

pub use crate::pages::Pages;

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
/// Rows come sorted by `created_at` ascending unless [`FeedbackQuery::with_sort_by`] says
/// otherwise. [`FeedbackQuery::execute`] fetches once and then returns the cached result;
/// [`FeedbackQuery::refresh`] always fetches and **replaces** the cache (unlike the Python
/// SDK, whose `refresh()` leaves the cache stale). Every setting clears the cache (in Python
/// they are plain attributes, and a changed one is not seen until the cache is dropped).
#[derive(Clone, Debug)]
pub struct FeedbackQuery {
    pub(crate) client: Client,
    pub(crate) project_id: String,
    query: Option<Query>,
    reaction: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
    show_refs: bool,
    /// `None`: the SDK's order, `created_at` ascending.
    sort_by: Option<Vec<SortBy>>,
    /// `None`: whole rows.
    fields: Option<Vec<String>>,
    pub(crate) cache: Option<Feedbacks>,
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
            reaction: None,
            offset: None,
            limit: None,
            show_refs: false,
            sort_by: None,
            fields: None,
            cache: None,
        })
    }

    /// Filters rows (`None`: every row of the project). Clears the cache.
    pub fn with_query(mut self, query: impl Into<Option<Query>>) -> Self {
        self.set_query(query);
        self
    }

    /// Skips the first `offset` rows. Clears the cache.
    pub fn with_offset(mut self, offset: impl Into<Option<u64>>) -> Self {
        self.set_offset(offset);
        self
    }

    /// Returns at most `limit` rows. Clears the cache.
    pub fn with_limit(mut self, limit: impl Into<Option<u64>>) -> Self {
        self.set_limit(limit);
        self
    }

    /// Adds the Ref column to the table of the results. Clears the cache.
    pub fn with_show_refs(mut self, show_refs: bool) -> Self {
        self.set_show_refs(show_refs);
        self
    }

    /// Keeps only reactions with exactly this emoji, on top of the filter: the SDK's
    /// `get_feedback(reaction=…)`. `None` removes it. Clears the cache.
    pub fn with_reaction<S: Into<String>>(mut self, emoji: impl Into<Option<S>>) -> Self {
        self.set_reaction(emoji.into().map(Into::into));
        self
    }

    /// Orders rows by these keys, in turn (`None`: `created_at` ascending, the SDK's order; an
    /// empty list: no order, as the server happens to return them). Field names are checked
    /// when the query is sent ([`crate::fields::check_field`]). A query sorted otherwise than
    /// by `created_at` ascending cannot be walked with [`FeedbackQuery::pages`], and
    /// `execute()` without a limit fetches it in one request. Clears the cache.
    pub fn with_sort_by(mut self, sort_by: impl Into<Option<Vec<SortBy>>>) -> Self {
        self.set_sort_by(sort_by);
        self
    }

    /// Asks the server for these fields only (`None` or an empty list: whole rows): columns,
    /// or payload paths such as `payload.score`. Projected rows are not whole feedback rows, so
    /// such a query is read with [`FeedbackQuery::fetch_projected`] (JSON objects); `execute()`,
    /// `pages()` and the collection methods refuse it with [`Error::InvalidArgument`]. Names
    /// are checked when the query is sent. Clears the cache.
    pub fn with_fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.set_fields(fields.into_iter().map(Into::into).collect());
        self
    }

    /// [`FeedbackQuery::with_query`] in place.
    pub fn set_query(&mut self, query: impl Into<Option<Query>>) {
        self.query = query.into();
        self.cache = None;
    }

    /// [`FeedbackQuery::with_offset`] in place.
    pub fn set_offset(&mut self, offset: impl Into<Option<u64>>) {
        self.offset = offset.into();
        self.cache = None;
    }

    /// [`FeedbackQuery::with_limit`] in place.
    pub fn set_limit(&mut self, limit: impl Into<Option<u64>>) {
        self.limit = limit.into();
        self.cache = None;
    }

    /// [`FeedbackQuery::with_show_refs`] in place.
    pub fn set_show_refs(&mut self, show_refs: bool) {
        self.show_refs = show_refs;
        self.cache = None;
    }

    /// [`FeedbackQuery::with_reaction`] in place. An empty emoji means no reaction filter, as
    /// in the SDK.
    pub fn set_reaction(&mut self, emoji: Option<String>) {
        self.reaction = emoji.filter(|e| !e.is_empty());
        self.cache = None;
    }

    /// [`FeedbackQuery::with_sort_by`] in place.
    pub fn set_sort_by(&mut self, sort_by: impl Into<Option<Vec<SortBy>>>) {
        self.sort_by = sort_by.into();
        self.cache = None;
    }

    /// [`FeedbackQuery::with_fields`] in place; an empty list means whole rows.
    pub fn set_fields(&mut self, fields: Vec<String>) {
        self.fields = Some(fields).filter(|f| !f.is_empty());
        self.cache = None;
    }

    /// `entity/project`.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The filter, if any.
    pub fn query(&self) -> Option<&Query> {
        self.query.as_ref()
    }

    /// The reaction filter, if any.
    pub fn reaction(&self) -> Option<&str> {
        self.reaction.as_deref()
    }

    /// Rows skipped, if set.
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }

    /// Rows returned at most, if set.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Whether the results' table shows the Ref column.
    pub fn show_refs(&self) -> bool {
        self.show_refs
    }

    /// The sort keys, if set (`None`: `created_at` ascending).
    pub fn sort_by(&self) -> Option<&[SortBy]> {
        self.sort_by.as_deref()
    }

    /// The projection, if set.
    pub fn fields(&self) -> Option<&[String]> {
        self.fields.as_deref()
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
    /// With a limit, or with a `sort_by` other than `created_at` ascending, this is one
    /// request, as the SDK makes it. Otherwise it means every row, fetched in pages of
    /// [`EXECUTE_PAGE_ROWS`] (see [`FeedbackQuery::pages`]), so that no single answer has to
    /// hold them all; a page whose answer is larger than `max_response_bytes` is asked for
    /// again in halves.
    pub fn refresh(&mut self) -> Result<Feedbacks> {
        self.refuse_projection("execute()")?;
        let rows = if self.limit.is_some() || !self.in_page_order() {
            self.client
                .query_rows(&self.request_body()?, self.show_refs)?
        } else {
            self.fetch_all()?
        };
        self.cache = Some(rows.clone());
        Ok(rows)
    }

    /// The rows as JSON objects with only the requested [`fields`](FeedbackQuery::with_fields)
    /// (whole rows without a projection), exactly as the server sends them: a column keeps
    /// its name, `payload_dump` comes back as `payload`, a path such as `payload.score` is
    /// its own key (Weave's SQLite server gives the JSON value, its ClickHouse server the value
    /// as text). One request each call, nothing cached: a limit bounds the rows, and without
    /// one the answer must fit `max_response_bytes`.
    pub fn fetch_projected(&self) -> Result<Vec<Map<String, Value>>> {
        self.client.query_objects(&self.request_body()?)
    }

    fn refuse_projection(&self, what: &str) -> Result<()> {
        match &self.fields {
            Some(f) => Err(Error::InvalidArgument(format!(
                "{what} reads whole feedback rows, and this query asks for fields {f:?} only: \
                 read its rows with fetch_projected()"
            ))),
            None => Ok(()),
        }
    }

    /// Whether rows are asked for in the order pages walk them (`created_at`, then `id`).
    fn in_page_order(&self) -> bool {
        let asc = |f: &SortBy, name: &str| f.field == name && f.direction == SortDirection::Asc;
        match self.sort_by.as_deref() {
            None => true,
            Some([a]) => asc(a, "created_at"),
            Some([a, b]) => asc(a, "created_at") && asc(b, "id"),
            Some(_) => false,
        }
    }

    fn fetch_all(&self) -> Result<Feedbacks> {
        let mut pages = self.pages_of(EXECUTE_PAGE_ROWS)?;
        // The first page is kept as it came (a scanned answer stays scanned for the C handle)
        // until a second one arrives; only then are the rows built and joined.
        let mut first: Option<Feedbacks> = None;
        let mut rows: Vec<Feedback> = Vec::new();
        loop {
            match pages.fetch() {
                Ok(Some(page)) if first.is_none() && rows.is_empty() => first = Some(page),
                Ok(Some(page)) => {
                    if let Some(first) = first.take() {
                        rows = first.into_rows();
                    }
                    rows.extend(page.into_rows());
                }
                Ok(None) => {
                    return Ok(first.unwrap_or_else(|| Feedbacks::new(rows, self.show_refs)))
                }
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
    /// walk. `page_rows` of 0, a `sort_by` other than `created_at` ascending (the walk's order
    /// is fixed), and a `fields` projection are [`Error::InvalidArgument`].
    pub fn pages(&self, page_rows: usize) -> Result<Pages> {
        self.pages_of(u64::try_from(page_rows).unwrap_or(u64::MAX))
    }

    fn pages_of(&self, page_rows: u64) -> Result<Pages> {
        if page_rows == 0 {
            return Err(Error::InvalidArgument(
                "page size must be at least 1 row".into(),
            ));
        }
        self.refuse_projection("pages()")?;
        if !self.in_page_order() {
            return Err(Error::InvalidArgument(
                "pages() walks rows by created_at, then id, and this query has another \
                 sort_by: use execute() with offset and limit, or remove sort_by"
                    .into(),
            ));
        }
        // Checks offset and limit as a single request would.
        self.request_body()?;
        let filter = match self.effective_query() {
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

    /// The filter as sent: the query, and the reaction filter on top (as the SDK combines them).
    fn effective_query(&self) -> Option<Query> {
        match &self.reaction {
            None => self.query.clone(),
            Some(emoji) => Some(crate::get_feedback::with_reaction(
                self.query.as_ref(),
                emoji,
            )),
        }
    }

    /// The `/feedback/query` body, exactly as the SDK builds it (with `fields` and `sort_by`
    /// when set). Offset, limit and field names are checked here.
    pub fn request_body(&self) -> Result<Value> {
        let max = i64::MAX as u64;
        for (what, v) in [("offset", self.offset), ("limit", self.limit)] {
            if v.is_some_and(|v| v > max) {
                return Err(Error::InvalidArgument(format!(
                    "{what} must be at most {max}"
                )));
            }
        }
        let sort_by = match &self.sort_by {
            None => json!([{"field": "created_at", "direction": "asc"}]),
            Some(s) => Value::Array(
                s.iter()
                    .map(|s| check_field(&s.field).map(|()| s.to_value()))
                    .collect::<Result<_>>()?,
            ),
        };
        if let Some(f) = &self.fields {
            f.iter().try_for_each(|f| check_field(f))?;
        }
        // The reference server turns `offset` without `limit` into invalid SQL (a 500);
        // "no limit" is spelled as the largest limit instead, which every backend accepts.
        let limit = match (self.offset, self.limit) {
            (Some(_), None) => Some(max),
            (_, l) => l,
        };
        Ok(json!({
            "project_id": self.project_id,
            "fields": self.fields,
            "query": self.effective_query(),
            "sort_by": sort_by,
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
