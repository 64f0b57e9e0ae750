//! The write protocol: adds, batches and replaces that store each row exactly once, a batch the
//! server refuses that leaves nothing behind, and a replace that never loses the row it replaces.
//!
//! Weave's server does not deduplicate ids (the same id sent twice is stored as two rows), and
//! its replace deletes the old row *before* it validates the new one. So:
//! - every row carries a client-chosen id, and after an attempt whose outcome is unknown
//!   (timeout, dropped connection, 5xx) the next attempt first looks the ids up and sends only
//!   what is missing;
//! - when the server refuses part of a batch that the client had to send in pieces (halves after
//!   a 413, one create per item on a server without the batch route), the pieces already stored
//!   are purged again, so a refused batch stores nothing;
//! - a replace reads the row it replaces first; when the replace fails and that row is gone,
//!   it is written back under its id;
//! - every error of a write carries the ids it used ([`Error::feedback_ids`]).
//!
//! All requests of one write share one [`Budget`], so the caller's deadline bounds the whole
//! write: look-ups, retries, halves, per-item creates and the write-back.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::failure::Failure;
use crate::feedback::{Feedback, Feedbacks};
use crate::query::{self, Query};
use crate::timestamp::Timestamp;
use crate::transport::{Attempt, Budget, Transport};

const CREATE: &str = "/feedback/create";
const BATCH_CREATE: &str = "/feedback/batch/create";
const REPLACE: &str = "/feedback/replace";
const QUERY: &str = "/feedback/query";
const PURGE: &str = "/feedback/purge";

/// Batches whose JSON exceeds this are split before sending, as the SDK does (31 MiB).
const MAX_BATCH_BYTES: usize = 31 * 1024 * 1024;
/// Ids per look-up or purge request.
const IDS_PER_REQUEST: usize = 500;

/// One row to create: its id and its create request body (JSON text).
pub(crate) type Item<'a> = (&'a str, &'a str);

/// Performs the writes of one call on one project, within one time budget.
pub(crate) struct Writer<'a> {
    transport: &'a Transport,
    project_id: &'a str,
    budget: Budget,
}

/// What a look-up finds of a row: enough to tell which write stored it.
#[derive(Debug, Deserialize)]
struct StoredRow {
    id: String,
    created_at: String,
}

/// How one attempt at a batch ended, when it did not fail.
enum BatchSent {
    /// Every pending item is stored.
    Stored,
    /// The server has no batch route: send one create per item.
    NoRoute,
}

impl<'a> Writer<'a> {
    /// A writer whose budget (the client's deadline) starts now.
    pub(crate) fn new(transport: &'a Transport, project_id: &'a str) -> Writer<'a> {
        Writer {
            transport,
            project_id,
            budget: transport.budget(),
        }
    }

    /// A writer within `budget` (an outbox flush's, bounded by its deadline and lease).
    #[cfg_attr(not(feature = "local-store"), allow(dead_code))]
    pub(crate) fn with_budget(
        transport: &'a Transport,
        project_id: &'a str,
        budget: Budget,
    ) -> Writer<'a> {
        Writer {
            transport,
            project_id,
            budget,
        }
    }

    /// Sends `items` once each (split as needed), without taking back what is stored when the
    /// server refuses a piece: the outbox keeps every row until it is delivered or dead. The
    /// ids confirmed stored go to `stored`, also on failure.
    #[cfg_attr(not(feature = "local-store"), allow(dead_code))]
    pub(crate) fn deliver<'i>(&self, items: &[Item<'i>], stored: &mut Vec<&'i str>) -> Result<()> {
        match items {
            // One row goes as one create, as an add without an outbox sends it.
            [(id, body)] => {
                self.create_row(id, body)?;
                stored.push(id);
                Ok(())
            }
            _ => self.batch_part(items, stored),
        }
    }

    /// Which of `ids` the server has (a look-up with the retry policy, within the budget).
    #[cfg_attr(not(feature = "local-store"), allow(dead_code))]
    pub(crate) fn stored_ids(&self, ids: &[&str]) -> Result<Vec<String>> {
        let rows = self.transport.run(&self.budget, |a| self.stored(ids, a))?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Stores one row under `id`, once.
    pub(crate) fn create(&self, id: &str, body: &str) -> Result<()> {
        self.create_row(id, body)
            .map_err(|e| e.with_feedback_ids(&[id.to_string()]))
    }

    /// Stores every item once, or, when the server refuses any of them, none.
    pub(crate) fn batch(&self, items: &[Item<'_>]) -> Result<()> {
        let mut stored = Vec::new();
        let Err(e) = self.batch_part(items, &mut stored) else {
            return Ok(());
        };
        let e = if is_refusal(&e) && !stored.is_empty() {
            match self.purge(&stored) {
                Ok(()) => e.annotate(format!(
                    "the {} item(s) already stored were removed again, so nothing of this batch is stored",
                    stored.len()
                )),
                Err(purge) => e.annotate(format!(
                    "{} item(s) were already stored and removing them failed ({purge}): {}",
                    stored.len(),
                    stored.join(", ")
                )),
            }
        } else {
            e
        };
        let ids: Vec<String> = items.iter().map(|(id, _)| id.to_string()).collect();
        Err(e.with_feedback_ids(&ids))
    }

    /// Replaces the rows with id `feedback_id` by one row `body` with id `new_id`.
    ///
    /// On success the new row is stored exactly once. On failure the rows that were there
    /// before are there again (written back with their ids if the server had deleted them),
    /// unless the error says otherwise.
    pub(crate) fn replace(&self, feedback_id: &str, new_id: &str, body: &str) -> Result<()> {
        let original = self.read(feedback_id)?;
        let before: Vec<Timestamp> = original.iter().map(|f| f.created_at.clone()).collect();
        // A row stored by this replace: the new id, with a creation time none of the replaced
        // rows had (the server stamps every insert; an untouched original keeps its time).
        let landed = |rows: &[StoredRow]| {
            rows.iter().any(|r| {
                r.id == new_id && !before.iter().any(|t| parse_time(r).as_ref() == Some(t))
            })
        };
        let sent = self.transport.run(&self.budget, |attempt| {
            if attempt.previous_ambiguous && landed(&self.stored(&[new_id], attempt)?) {
                return Ok(());
            }
            let res = self.transport.post(REPLACE, body.as_bytes(), attempt)?;
            check_create_response(&res, 1)
        });
        let Err(e) = sent else {
            return Ok(());
        };
        self.after_failed_replace(e, feedback_id, new_id, &original, landed)
            .map_err(|e| e.with_feedback_ids(&[new_id.to_string()]))
    }

    /// Settles a replace that failed: it may have landed after all, left the original alone,
    /// or deleted the original without storing the replacement (the server deletes first).
    fn after_failed_replace(
        &self,
        e: Error,
        feedback_id: &str,
        new_id: &str,
        original: &[Feedback],
        landed: impl Fn(&[StoredRow]) -> bool,
    ) -> Result<()> {
        let ids: Vec<&str> = if feedback_id == new_id {
            vec![feedback_id]
        } else {
            vec![feedback_id, new_id]
        };
        let rows = match self.transport.run(&self.budget, |a| self.stored(&ids, a)) {
            Ok(rows) => rows,
            Err(look) => {
                return Err(e.annotate(format!(
                    "could not check whether row {feedback_id} is still stored ({look})"
                )))
            }
        };
        if landed(&rows) {
            return Ok(());
        }
        let survived = rows.iter().any(|r| {
            r.id == feedback_id
                && original
                    .iter()
                    .any(|f| parse_time(r).as_ref() == Some(&f.created_at))
        });
        if survived || original.is_empty() {
            return Err(e);
        }
        let restored = original
            .iter()
            .try_for_each(|f| self.create_row(&f.id, &f.restore_request()));
        Err(match restored {
            Ok(()) => e.annotate(format!(
                "the server had deleted row {feedback_id} before refusing its replacement; \
                 it was written back with the same id and content"
            )),
            Err(restore) => e.annotate(format!(
                "the server deleted row {feedback_id} and writing it back failed ({restore}); \
                 its content was [{}]",
                original
                    .iter()
                    .map(Feedback::to_json)
                    .collect::<Vec<_>>()
                    .join(",")
            )),
        })
    }

    /// Deletes every row with one of `ids` (purge is idempotent, so it is simply retried).
    pub(crate) fn purge(&self, ids: &[impl AsRef<str>]) -> Result<()> {
        for chunk in ids.chunks(IDS_PER_REQUEST) {
            let query = Query::new(query::or(chunk.iter().map(|id| {
                query::eq(query::get_field("id"), query::literal(id.as_ref())).into()
            })));
            let body = json!({ "project_id": self.project_id, "query": query });
            self.transport.post_json(&self.budget, PURGE, &body)?;
        }
        Ok(())
    }

    /// Creates one row once (no ids attached to the error: callers do that).
    fn create_row(&self, id: &str, body: &str) -> Result<()> {
        self.transport.run(&self.budget, |attempt| {
            if attempt.previous_ambiguous && !self.stored(&[id], attempt)?.is_empty() {
                return Ok(());
            }
            let res = self.transport.post(CREATE, body.as_bytes(), attempt)?;
            check_create_response(&res, 1)
        })
    }

    /// Sends `items` (split as needed); the ids of what is known to be stored go to `stored`.
    fn batch_part<'i>(&self, items: &[Item<'i>], stored: &mut Vec<&'i str>) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let encoded = batch_body(items);
        if encoded.len() > MAX_BATCH_BYTES && items.len() > 1 {
            return self.halves(items, stored);
        }
        let result = self.transport.run(&self.budget, |attempt| {
            let mut pending: Vec<Item<'_>> = items.to_vec();
            if attempt.previous_ambiguous {
                let ids: Vec<&str> = items.iter().map(|(id, _)| *id).collect();
                let found = self.stored(&ids, attempt)?;
                pending.retain(|(id, _)| !found.iter().any(|r| r.id == *id));
                if pending.is_empty() {
                    return Ok(BatchSent::Stored);
                }
            }
            let bytes = if pending.len() == items.len() {
                encoded.clone()
            } else {
                batch_body(&pending)
            };
            match self.transport.post(BATCH_CREATE, bytes.as_bytes(), attempt) {
                Err(Failure::Status {
                    route_missing: true,
                    ..
                }) => Ok(BatchSent::NoRoute),
                Err(f) => Err(f),
                Ok(res) => check_create_response(&res, pending.len()).map(|()| BatchSent::Stored),
            }
        });
        match result {
            Ok(BatchSent::Stored) => {
                stored.extend(items.iter().map(|(id, _)| *id));
                Ok(())
            }
            Ok(BatchSent::NoRoute) => {
                for (id, body) in items {
                    self.create_row(id, body)?;
                    stored.push(id);
                }
                Ok(())
            }
            Err(Error::Rejected { status: 413, .. }) if items.len() > 1 => {
                self.halves(items, stored)
            }
            Err(e) => Err(e),
        }
    }

    fn halves<'i>(&self, items: &[Item<'i>], stored: &mut Vec<&'i str>) -> Result<()> {
        let (a, b) = items.split_at(items.len() / 2);
        self.batch_part(a, stored)?;
        self.batch_part(b, stored)
    }

    /// One attempt's look-up of which of `ids` are stored (inside the retry loop).
    fn stored(
        &self,
        ids: &[&str],
        attempt: &Attempt,
    ) -> std::result::Result<Vec<StoredRow>, Failure> {
        #[derive(Deserialize)]
        struct Res {
            result: Vec<StoredRow>,
        }
        let mut found = Vec::new();
        for chunk in ids.chunks(IDS_PER_REQUEST) {
            let body = json!({
                "project_id": self.project_id, "fields": ["id", "created_at"],
                "query": ids_query(chunk), "sort_by": null, "limit": null, "offset": null,
            });
            let bytes = self
                .transport
                .post(QUERY, body.to_string().as_bytes(), attempt)?;
            let res: Res = serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Fatal(Error::decode(format!("id look-up response: {e}"))))?;
            found.extend(res.result);
        }
        Ok(found)
    }

    /// The full rows with this id (normally one; none when it does not exist).
    fn read(&self, id: &str) -> Result<Vec<Feedback>> {
        let body = json!({
            "project_id": self.project_id, "fields": null, "query": Query::id_equals(id),
            "sort_by": [{"field": "created_at", "direction": "asc"}], "limit": null, "offset": null,
        });
        let bytes = self.transport.post_json(&self.budget, QUERY, &body)?;
        Ok(Feedbacks::from_query_response(&bytes, false)?
            .iter()
            .cloned()
            .collect())
    }
}

/// Whether the server refused the request outright (so it stored nothing for it).
fn is_refusal(e: &Error) -> bool {
    matches!(
        e,
        Error::Rejected { .. } | Error::NotFound { .. } | Error::Unauthorized { .. }
    )
}

fn ids_query(ids: &[&str]) -> Query {
    match ids {
        [one] => Query::id_equals(one),
        many => Query::new(query::is_in(
            query::get_field("id"),
            many.iter().map(|i| query::literal(*i)),
        )),
    }
}

fn parse_time(row: &StoredRow) -> Option<Timestamp> {
    Timestamp::parse(&row.created_at)
}

/// `{"batch": [bodies]}`, compact, from the items' encoded bodies.
fn batch_body(items: &[Item<'_>]) -> String {
    let len = items.iter().map(|(_, b)| b.len() + 1).sum::<usize>();
    let mut out = String::with_capacity(len + 12);
    out.push_str("{\"batch\":[");
    for (i, (_, body)) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(body);
    }
    out.push_str("]}");
    out
}

/// A create response must be an object with an `id`; a batch response `{"res": [n objects]}`.
fn check_create_response(body: &[u8], expected: usize) -> std::result::Result<(), Failure> {
    if expected == 1 && is_plain_create_response(body) {
        return Ok(());
    }
    check_create_response_value(body, expected)
}

/// The usual answer to one create, checked without building a `Value`: an object whose `id`
/// is a string and that has no `res` key. Anything else (and every error message) takes the
/// general path.
fn is_plain_create_response(body: &[u8]) -> bool {
    /// Whether the key was present, whatever its value (`null` included).
    #[derive(Default)]
    struct Present(bool);
    impl<'de> Deserialize<'de> for Present {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            serde::de::IgnoredAny::deserialize(d).map(|_| Present(true))
        }
    }
    #[derive(Deserialize)]
    struct Created<'a> {
        #[serde(borrow)]
        id: Option<std::borrow::Cow<'a, str>>,
        #[serde(default)]
        res: Present,
    }
    // An object only (derived structs also read arrays).
    body.trim_ascii_start().first() == Some(&b'{')
        && serde_json::from_slice::<Created<'_>>(body).is_ok_and(|c| c.id.is_some() && !c.res.0)
}

fn check_create_response_value(body: &[u8], expected: usize) -> std::result::Result<(), Failure> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| Failure::Fatal(Error::decode(format!("create response: {e}"))))?;
    let ok = if let Some(items) = v.get("res") {
        items
            .as_array()
            .is_some_and(|a| a.len() == expected && a.iter().all(|x| x.get("id").is_some()))
    } else {
        expected == 1 && v.get("id").is_some_and(Value::is_string)
    };
    if ok {
        Ok(())
    } else {
        let mut shown = v.to_string();
        if shown.len() > 300 {
            let cut = (0..=300)
                .rev()
                .find(|i| shown.is_char_boundary(*i))
                .unwrap_or(0);
            shown.truncate(cut);
            shown.push_str("...");
        }
        Err(Failure::Fatal(Error::decode(format!(
            "create response has an unexpected shape: {shown}"
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_responses_are_checked_the_same_on_both_paths() {
        for (body, expected, ok) in [
            (&br#"{"id":"0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f","created_at":"x","wb_user_id":null,"payload":{"a":[1,{"b":2}]}}"#[..], 1, true),
            (br#" {"id":"a\"b"}"#, 1, true),
            (br#"{"id":null}"#, 1, false),
            (br#"{"id":3}"#, 1, false),
            (br#"{"id":"a","res":null}"#, 1, false),
            (br#"{"id":"a","res":[{"id":"a"}]}"#, 1, true),
            (br#"["a"]"#, 1, false),
            (br#"{}"#, 1, false),
            (br#"{"id":"a"} x"#, 1, false),
            (br#"{"res":[{"id":"a"},{"id":"b"}]}"#, 2, true),
            (br#"{"res":[{"id":"a"}]}"#, 2, false),
            (br#"{"id":"a"}"#, 2, false),
        ] {
            let text = String::from_utf8_lossy(body);
            assert_eq!(check_create_response(body, expected).is_ok(), ok, "{text}");
            assert_eq!(
                check_create_response_value(body, expected).is_ok(),
                ok,
                "{text}"
            );
        }
    }

    #[test]
    fn batch_body_is_the_compact_json_of_the_items() {
        let items = [("a", r#"{"id":"a"}"#), ("b", r#"{"id":"b","p":[1]}"#)];
        let v: Value = serde_json::from_str(&batch_body(&items)).unwrap();
        assert_eq!(v, json!({"batch": [{"id": "a"}, {"id": "b", "p": [1]}]}));
        assert_eq!(batch_body(&items[..1]), r#"{"batch":[{"id":"a"}]}"#);
    }
}
