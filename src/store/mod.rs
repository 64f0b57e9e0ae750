//! The local store: Weave's feedback routes served in-process from a SQLite file, with the
//! semantics of Weave's own server (weave 0.52.35's `SqliteTraceServer` behind the external-id
//! adapter, see
//! [sqlite_trace_server.py](https://github.com/wandb/weave/blob/master/weave/trace_server/sqlite_trace_server.py)
//! and [feedback.py](https://github.com/wandb/weave/blob/master/weave/trace_server/feedback.py)).
//!
//! A client whose base URL is `sqlite:///absolute/path.db` or `sqlite::memory:` sends its
//! requests here instead of over HTTP: [`Store::handle`] takes a route and a JSON body and
//! answers with the status and JSON body the server would, so query building, validation,
//! the write protocol and row decoding are the client's own, shared with the HTTP backend.
//!
//! Differences from the server, all deliberate:
//! - `wb_user_id` is always [`LOCAL_USER_ID`] (there is no login);
//! - an annotation's spec object must exist on the server; the store holds no objects, so
//!   annotation feedback is refused with 404 (`Obj <name>:<digest> not found`);
//! - refs are stored as given (the server stores internal refs), so `$contains` on a ref
//!   column sees the `weave:///` text;
//! - what the reference SQLite server fails on works: `$convert`, sorting by a payload path,
//!   and an offset without a limit (see `sql.rs`).
//!
//! The file is opened in WAL mode with a busy timeout; every write is one `BEGIN IMMEDIATE`
//! transaction, so several processes may add to one file at once.
//!
//! [`Store::handle`] routes a request. `open` opens the file (or memory) and `schema` brings
//! its tables up to date; `request` reads bodies as the server's pydantic models do;
//! `create` checks a new row (with `emoji`, generated `emoji_data`, and `pyrepr` for
//! pydantic's messages) and inserts it; `read` answers a query and `purge` deletes, both
//! through `sql` (`$expr` to SQL) and `functions` (the SQL side of `$convert`); `answer`
//! shapes the error answers.

mod answer;
mod create;
mod emoji;
#[rustfmt::skip]
mod emoji_data;
mod functions;
mod open;
pub(crate) use open::open_wal;
mod purge;
mod pyrepr;
mod read;
mod request;
mod schema;
mod sql;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use serde_json::{json, Value};

use answer::{unprocessable, Answer};
use create::{insert, prepare_row, Row};
use purge::{purge, validate_purge};
use read::query;
use request::{check_keys, check_refs, parse_query, req_str, CreateReq};

/// The `wb_user_id` the store stamps on every row.
pub const LOCAL_USER_ID: &str = "local-user";

/// How long a write waits for another process's write to finish before failing (HTTP 500).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A successful answer: a `Value`, or JSON text (answers with payloads, exact numbers).
enum Reply {
    Value(Value),
    Text(String),
}

/// An embedded store of feedback with the semantics of Weave's trace server.
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// The file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Answers one request to Weave's trace server: `route` is the path (`/feedback/create`,
    /// `/feedback/batch/create`, `/feedback/query`, `/feedback/purge`, `/feedback/replace`,
    /// `/server_info`), `body` the JSON request. Returns the HTTP status and JSON body the
    /// server answers with: 200 and the result, 400/404 with `{"reason": …}`, 422 with
    /// `{"detail": […]}` for a body that does not fit the request model, 404
    /// `{"detail":"Not Found"}` for any other route, 500 for a database failure.
    pub fn handle(&self, route: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let result = match route {
            "/server_info" => Ok(Reply::Value(json!({
                "min_required_weave_python_version": "0.52.35",
                "trace_server_version": concat!("weave-feedback-local-", env!("CARGO_PKG_VERSION")),
            }))),
            "/feedback/create"
            | "/feedback/batch/create"
            | "/feedback/query"
            | "/feedback/purge"
            | "/feedback/replace" => self.route(route, body),
            _ => Err(Answer(404, json!({"detail": "Not Found"}))),
        };
        match result {
            Ok(Reply::Value(v)) => (200, v.to_string().into_bytes()),
            Ok(Reply::Text(t)) => (200, t.into_bytes()),
            Err(Answer(s, v)) => (s, v.to_string().into_bytes()),
        }
    }

    fn route(&self, route: &str, body: &[u8]) -> Result<Reply, Answer> {
        let v: Value = serde_json::from_slice(body).map_err(|e| {
            unprocessable(
                &[],
                "json_invalid",
                &format!("JSON decode error: {e}"),
                None,
            )
        })?;
        let obj = v.as_object().ok_or_else(|| {
            unprocessable(
                &[],
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
                Some(&v),
            )
        })?;
        // The server's adapter rewrites every `weave:///` string in a request to an internal
        // ref first, refusing those it cannot.
        check_refs(&v)?;
        // The body's text, for payloads exactly as sent (serde_json accepted it, so it is UTF-8).
        let text = std::str::from_utf8(body).ok();
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        match route {
            "/feedback/create" => {
                let req = CreateReq::parse(obj, &[])?.with_text(text);
                let row = prepare_row(&req)?;
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                insert(&tx, &row)?;
                tx.commit()?;
                Ok(Reply::Text(row.response()))
            }
            "/feedback/batch/create" => {
                check_keys(obj, &["batch"], &[])?;
                let items = obj
                    .get("batch")
                    .ok_or_else(|| {
                        unprocessable(&["batch"], "missing", "Field required", Some(&v))
                    })?
                    .as_array()
                    .ok_or_else(|| {
                        unprocessable(
                            &["batch"],
                            "list_type",
                            "Input should be a valid list",
                            obj.get("batch"),
                        )
                    })?;
                let texts: Vec<&serde_json::value::RawValue> = text
                    .and_then(|t| crate::pyjson::text::member(t, "batch"))
                    .and_then(|b| serde_json::from_str(b.get()).ok())
                    .unwrap_or_default();
                let mut reqs = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let o = item.as_object().ok_or_else(|| {
                        unprocessable(
                            &["batch", &i.to_string()],
                            "model_type",
                            "Input should be a valid dictionary or instance of FeedbackCreateReq",
                            Some(item),
                        )
                    })?;
                    reqs.push(CreateReq::parse(o, &[])?.with_text(texts.get(i).map(|r| r.get())));
                }
                let rows = reqs
                    .iter()
                    .map(prepare_row)
                    .collect::<Result<Vec<_>, _>>()?;
                if !rows.is_empty() {
                    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    for row in &rows {
                        insert(&tx, row)?;
                    }
                    tx.commit()?;
                }
                let res: Vec<String> = rows.iter().map(Row::response).collect();
                Ok(Reply::Text(format!("{{\"res\":[{}]}}", res.join(","))))
            }
            "/feedback/query" => query(&conn, obj).map(Reply::Text),
            "/feedback/purge" => {
                check_keys(obj, &["project_id", "query"], &["project_id", "query"])?;
                let project_id = req_str(obj, "project_id", &[])?;
                let q = parse_query(obj.get("query").unwrap_or(&Value::Null), &["query"])?;
                validate_purge(q.expr())?;
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                purge(&tx, &project_id, q.expr())?;
                tx.commit()?;
                Ok(Reply::Value(json!({})))
            }
            "/feedback/replace" => {
                let req = CreateReq::parse(obj, &["feedback_id"])?.with_text(text);
                let feedback_id = req_str(obj, "feedback_id", &[])?;
                // As the server: delete the old row (committed), then create the new one.
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let q = crate::query::eq(
                    crate::query::get_field("id"),
                    crate::query::literal(feedback_id.as_str()),
                );
                purge(&tx, &req.project_id, &q)?;
                tx.commit()?;
                let row = prepare_row(&req)?;
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                insert(&tx, &row)?;
                tx.commit()?;
                Ok(Reply::Text(row.response()))
            }
            _ => Err(Answer(404, json!({"detail": "Not Found"}))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(s: &Store, route: &str, body: Value) -> (u16, Value) {
        let (st, b) = s.handle(route, body.to_string().as_bytes());
        (st, serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn create_query_purge_round_trip() {
        let s = Store::in_memory().unwrap();
        let (st, res) = call(
            &s,
            "/feedback/create",
            json!({"project_id": "e/p", "weave_ref": "weave:///e/p/call/1", "feedback_type": "wandb.reaction.1", "payload": {"emoji": "👍🏽"}}),
        );
        assert_eq!(st, 200, "{res}");
        assert_eq!(res["payload"]["alias"], ":thumbs_up_medium_skin_tone:");
        assert_eq!(res["payload"]["detoned_alias"], ":thumbs_up:");
        let id = res["id"].as_str().unwrap().to_string();
        let (st, q) = call(
            &s,
            "/feedback/query",
            json!({"project_id": "e/p", "offset": 0}),
        );
        assert_eq!(st, 200, "{q}");
        assert_eq!(q["result"][0]["id"], id.as_str());
        let (st, _) = call(
            &s,
            "/feedback/purge",
            json!({"project_id": "e/p", "query": {"$expr": {"$eq": [{"$getField": "id"}, {"$literal": id}]}}}),
        );
        assert_eq!(st, 200);
        let (_, q) = call(&s, "/feedback/query", json!({"project_id": "e/p"}));
        assert_eq!(q["result"], json!([]));
    }
}
