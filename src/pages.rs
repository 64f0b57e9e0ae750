//! [`Pages`]: a walk over any number of a query's rows, one bounded answer at a time, in a
//! stable order with keyset paging (see [`FeedbackQuery::pages`]).

use serde_json::{json, Value};

use crate::client::Client;
use crate::error::Result;
use crate::feedback::Feedbacks;
#[cfg(doc)]
use crate::feedback_query::FeedbackQuery;

/// The pages of a query: see [`FeedbackQuery::pages`]. Each item is one request's rows.
#[derive(Debug)]
pub struct Pages {
    pub(crate) client: Client,
    pub(crate) project_id: String,
    /// The query's `$expr`, if it has one.
    pub(crate) filter: Option<Value>,
    pub(crate) show_refs: bool,
    pub(crate) page_rows: u64,
    /// Rows to skip before the first page (the query's offset).
    pub(crate) offset: Option<u64>,
    /// Rows the walk may still yield (the query's limit).
    pub(crate) remaining: Option<u64>,
    /// `created_at` (as the server sent it) and `id` of the last row yielded.
    pub(crate) after: Option<(String, String)>,
    pub(crate) done: bool,
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
    pub(crate) fn fetch(&mut self) -> Result<Option<Feedbacks>> {
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
        // Read without building the rows of a scanned answer (the C cursor never needs them).
        match (rows.last_id(), last_created_at) {
            (Some(last_id), Some(created_at)) => {
                self.after = Some((created_at, last_id));
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
    use crate::error::Error;
    use crate::query::Query;

    fn client() -> Client {
        Client::unreachable()
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
}
