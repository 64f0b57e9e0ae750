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

mod emoji;
#[rustfmt::skip]
mod emoji_data;
mod pyrepr;
mod schema;
mod sql;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use serde_json::{json, Map, Value};

use crate::query::{Literal, Operand, Operation, Query};
use crate::refs::{RefKind, WeaveRef};

/// The `wb_user_id` the store stamps on every row.
pub const LOCAL_USER_ID: &str = "local-user";

/// How long a write waits for another process's write to finish before failing (HTTP 500).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An error answer: status and JSON body.
struct Answer(u16, Value);

fn reason(status: u16, msg: impl Into<String>) -> Answer {
    Answer(status, json!({ "reason": msg.into() }))
}
fn bad(msg: impl Into<String>) -> Answer {
    reason(400, msg)
}
fn internal() -> Answer {
    reason(500, "Internal server error")
}
fn unprocessable(loc: &[&str], kind: &str, msg: &str, input: Option<&Value>) -> Answer {
    let mut loc_v = vec![Value::from("body")];
    loc_v.extend(loc.iter().map(|s| Value::from(*s)));
    let mut e = json!({"type": kind, "loc": loc_v, "msg": msg});
    if let Some(i) = input {
        e["input"] = i.clone();
    }
    Answer(422, json!({ "detail": [e] }))
}

impl From<rusqlite::Error> for Answer {
    fn from(_: rusqlite::Error) -> Answer {
        internal()
    }
}

impl From<sql::SqlError> for Answer {
    fn from(e: sql::SqlError) -> Answer {
        match e {
            sql::SqlError::Invalid(m) => bad(m),
            sql::SqlError::Internal => internal(),
        }
    }
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
    /// Opens (creating it if missing, with its parent directory) the store in the SQLite file
    /// `path`, and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, String> {
        let path = path.as_ref();
        Store::finish(open_wal(path)?, Some(path.to_path_buf()))
    }

    /// A new store in memory, gone when dropped.
    pub fn in_memory() -> Result<Store, String> {
        let conn = Connection::open_in_memory().map_err(|e| e.to_string())?;
        Store::finish(conn, None)
    }

    fn finish(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, String> {
        let where_ = || {
            path.as_ref()
                .map_or("memory".into(), |p| p.display().to_string())
        };
        schema::migrate(&mut conn).map_err(|e| format!("{}: {e}", where_()))?;
        register_functions(&conn).map_err(|e| e.to_string())?;
        Ok(Store {
            conn: Mutex::new(conn),
            path,
        })
    }

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
            "/server_info" => Ok(json!({
                "min_required_weave_python_version": "0.52.35",
                "trace_server_version": concat!("weave-feedback-local-", env!("CARGO_PKG_VERSION")),
            })),
            "/feedback/create"
            | "/feedback/batch/create"
            | "/feedback/query"
            | "/feedback/purge"
            | "/feedback/replace" => self.route(route, body),
            _ => Err(Answer(404, json!({"detail": "Not Found"}))),
        };
        let (status, v) = match result {
            Ok(v) => (200, v),
            Err(Answer(s, v)) => (s, v),
        };
        (status, v.to_string().into_bytes())
    }

    fn route(&self, route: &str, body: &[u8]) -> Result<Value, Answer> {
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
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        match route {
            "/feedback/create" => {
                let req = CreateReq::parse(obj, &[])?;
                let row = prepare_row(&req)?;
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                insert(&tx, &row)?;
                tx.commit()?;
                Ok(row.response())
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
                    reqs.push(CreateReq::parse(o, &[])?);
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
                Ok(json!({"res": rows.iter().map(Row::response).collect::<Vec<_>>()}))
            }
            "/feedback/query" => query(&conn, obj),
            "/feedback/purge" => {
                check_keys(obj, &["project_id", "query"], &["project_id", "query"])?;
                let project_id = req_str(obj, "project_id", &[])?;
                let q = parse_query(obj.get("query").unwrap_or(&Value::Null), &["query"])?;
                validate_purge(q.expr())?;
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                purge(&tx, &project_id, q.expr())?;
                tx.commit()?;
                Ok(json!({}))
            }
            "/feedback/replace" => {
                let req = CreateReq::parse(obj, &["feedback_id"])?;
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
                Ok(row.response())
            }
            _ => Err(Answer(404, json!({"detail": "Not Found"}))),
        }
    }
}

/// Opens (creating it if missing, with its parent directory) the SQLite file `path` for use
/// by several processes at once: WAL mode, the busy timeout, `synchronous=NORMAL`. Also the
/// outbox's opener.
pub(crate) fn open_wal(path: &Path) -> Result<Connection, String> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| e.to_string())?;
    // WAL: readers never block the writer. Switching a new file to WAL takes an exclusive
    // lock, and SQLite answers "database is locked" at once (its busy handler is not used
    // for this), so while another process is doing the same, try again within the timeout.
    let started = std::time::Instant::now();
    let mode: String = loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)) {
            Ok(mode) => break mode,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(format!("cannot use {}: {e}", path.display())),
        }
    };
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("{}: WAL mode is not available", path.display()));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// `wf_to_int`, `wf_to_double`, `wf_to_bool`, `wf_to_string`: `$convert` as ClickHouse's
/// `toInt64OrNull`, `toFloat64OrNull`, `toUInt8OrNull` and `toString` read a value's text:
/// a value that does not convert is NULL.
fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("wf_to_int", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Integer(i) => Sql::Integer(i),
            ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Sql::Integer(f as i64),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .map_or(Sql::Null, Sql::Integer),
            _ => Sql::Null,
        })
    })?;
    conn.create_scalar_function("wf_to_double", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Integer(i) => Sql::Real(i as f64),
            ValueRef::Real(f) => Sql::Real(f),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|f| !f.is_nan())
                .map_or(Sql::Null, Sql::Real),
            _ => Sql::Null,
        })
    })?;
    conn.create_scalar_function("wf_to_bool", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Integer(i @ (0 | 1)) => Sql::Integer(i),
            ValueRef::Text(b"1" | b"true") => Sql::Integer(1),
            ValueRef::Text(b"0" | b"false") => Sql::Integer(0),
            _ => Sql::Null,
        })
    })?;
    conn.create_scalar_function("wf_to_string", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Null => Sql::Null,
            ValueRef::Integer(i) => Sql::Text(i.to_string()),
            ValueRef::Real(f) => Sql::Text(crate::pyjson::dumps(&json!(f))),
            ValueRef::Text(t) => Sql::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Sql::Text(String::from_utf8_lossy(b).into_owned()),
        })
    })?;
    Ok(())
}

/// Refuses what the server's external-ref adapter refuses anywhere in a request.
fn check_refs(v: &Value) -> Result<(), Answer> {
    match v {
        Value::String(s) => {
            if let Some(rest) = s.strip_prefix("weave:///") {
                if rest.splitn(3, '/').count() != 3 {
                    return Err(bad(format!("Invalid URI: {s}")));
                }
            } else if let Some(rest) = s.strip_prefix("weave-trace-internal:///") {
                if rest.splitn(3, '/').count() < 2 {
                    return Err(bad(
                        "Invalid internal ref format: missing project_id or kind.",
                    ));
                }
                return Err(bad("Encountered unexpected internal ref format."));
            }
            Ok(())
        }
        Value::Array(a) => a.iter().try_for_each(check_refs),
        Value::Object(o) => o.values().try_for_each(check_refs),
        _ => Ok(()),
    }
}

/// pydantic's `extra="forbid"` and required fields.
fn check_keys(obj: &Map<String, Value>, allowed: &[&str], required: &[&str]) -> Result<(), Answer> {
    for (k, v) in obj {
        if !allowed.contains(&k.as_str()) {
            return Err(unprocessable(
                &[k],
                "extra_forbidden",
                "Extra inputs are not permitted",
                Some(v),
            ));
        }
    }
    for r in required {
        if !obj.contains_key(*r) {
            return Err(unprocessable(
                &[r],
                "missing",
                "Field required",
                Some(&Value::Object(obj.clone())),
            ));
        }
    }
    Ok(())
}

fn req_str(obj: &Map<String, Value>, key: &str, at: &[&str]) -> Result<String, Answer> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        other => {
            let mut loc = at.to_vec();
            loc.push(key);
            Err(match other {
                None => unprocessable(
                    &loc,
                    "missing",
                    "Field required",
                    Some(&Value::Object(obj.clone())),
                ),
                Some(v) => unprocessable(
                    &loc,
                    "string_type",
                    "Input should be a valid string",
                    Some(v),
                ),
            })
        }
    }
}

fn opt_str(obj: &Map<String, Value>, key: &str, at: &[&str]) -> Result<Option<String>, Answer> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => req_str(obj, key, at).map(Some),
    }
}

/// pydantic's lax `int | None` from JSON.
fn opt_int(obj: &Map<String, Value>, key: &str) -> Result<Option<i64>, Answer> {
    let v = match obj.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    let n = match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    n.map(Some).ok_or_else(|| {
        unprocessable(
            &[key],
            "int_parsing",
            "Input should be a valid integer",
            Some(v),
        )
    })
}

fn parse_query(v: &Value, loc: &[&str]) -> Result<Query, Answer> {
    Query::from_value(v).map_err(|e| unprocessable(loc, "query_invalid", &e.to_string(), Some(v)))
}

/// A `FeedbackCreateReq`.
struct CreateReq {
    id: Option<String>,
    project_id: String,
    weave_ref: String,
    creator: Option<String>,
    feedback_type: String,
    payload: Map<String, Value>,
    annotation_ref: Option<String>,
    runnable_ref: Option<String>,
    call_ref: Option<String>,
    trigger_ref: Option<String>,
    queue_id: Option<String>,
}

const CREATE_FIELDS: [&str; 12] = [
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
];

impl CreateReq {
    fn parse(obj: &Map<String, Value>, extra: &[&str]) -> Result<CreateReq, Answer> {
        let at: Vec<&str> = Vec::new();
        let mut allowed = CREATE_FIELDS.to_vec();
        allowed.extend_from_slice(extra);
        let mut required = vec!["project_id", "weave_ref", "feedback_type", "payload"];
        required.extend_from_slice(extra);
        check_keys(obj, &allowed, &required)?;
        let payload = match obj.get("payload") {
            Some(Value::Object(p)) => p.clone(),
            other => {
                return Err(unprocessable(
                    &["payload"],
                    "dict_type",
                    "Input should be a valid dictionary",
                    other,
                ))
            }
        };
        opt_str(obj, "wb_user_id", &at)?;
        Ok(CreateReq {
            id: opt_str(obj, "id", &at)?,
            project_id: req_str(obj, "project_id", &at)?,
            weave_ref: req_str(obj, "weave_ref", &at)?,
            creator: opt_str(obj, "creator", &at)?,
            feedback_type: req_str(obj, "feedback_type", &at)?,
            payload,
            annotation_ref: opt_str(obj, "annotation_ref", &at)?,
            runnable_ref: opt_str(obj, "runnable_ref", &at)?,
            call_ref: opt_str(obj, "call_ref", &at)?,
            trigger_ref: opt_str(obj, "trigger_ref", &at)?,
            queue_id: opt_str(obj, "queue_id", &at)?,
        })
    }
}

/// A row as stored.
struct Row {
    id: String,
    project_id: String,
    weave_ref: String,
    creator: Option<String>,
    created_at: (String, String),
    feedback_type: String,
    payload: Map<String, Value>,
    annotation_ref: Option<String>,
    runnable_ref: Option<String>,
    call_ref: Option<String>,
    trigger_ref: Option<String>,
    queue_id: Option<String>,
}

impl Row {
    /// `FeedbackCreateRes`.
    fn response(&self) -> Value {
        json!({
            "id": self.id,
            "created_at": self.created_at.1,
            "wb_user_id": LOCAL_USER_ID,
            "payload": self.payload,
        })
    }
}

/// `datetime.now(UTC)` as Python's `sqlite3` stores it (`isoformat(" ")`) and as pydantic
/// writes it in an answer (`…T…Z`); both leave out a zero fraction.
fn now() -> (String, String) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let micros = d.subsec_micros();
    let (y, m, day) = crate::timestamp::civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    let base = format!("{y:04}-{m:02}-{day:02}");
    let time = format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
    let frac = if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}")
    };
    (
        format!("{base} {time}{frac}+00:00"),
        format!("{base}T{time}{frac}Z"),
    )
}

const ANNOTATION: &str = "wandb.annotation";
const RUNNABLE: &str = "wandb.runnable";

/// "Invalid ref: …" as `ensure_ref_is_valid` refuses a ref of the wrong shape or kind.
fn ensure_ref(r: &str, kinds: &[RefKind]) -> Result<WeaveRef, Answer> {
    let parsed = WeaveRef::parse(r).map_err(|e| bad(format!("Invalid ref: {r}, {e}")))?;
    if !kinds.contains(&parsed.kind()) {
        let names: Vec<&str> = kinds
            .iter()
            .map(|k| match k {
                RefKind::Object => "InternalObjectRef",
                RefKind::Op => "InternalOpRef",
                RefKind::Call => "InternalCallRef",
                _ => "InternalTableRef",
            })
            .collect();
        return Err(bad(format!(
            "Invalid ref: {r}, expected ({})",
            names.join(", ")
        )));
    }
    Ok(parsed)
}

fn payload_error(t: &str, e: String) -> Answer {
    bad(format!("Invalid payload for feedback_type {t}: {e}"))
}

/// `validate_feedback_create_req` and `process_feedback_payload`, then the row.
fn prepare_row(req: &CreateReq) -> Result<Row, Answer> {
    let t = req.feedback_type.as_str();
    let payload_v = Value::Object(req.payload.clone());
    let field_rule = |model: &str, field: &str, max: Option<usize>| -> Result<(), Answer> {
        match req.payload.get(field) {
            None => Err(payload_error(
                t,
                pyrepr::validation_error(model, field, "missing", "Field required", &payload_v),
            )),
            Some(Value::String(s)) => {
                let n = s.chars().count();
                if let Some(max) = max {
                    if n < 1 {
                        return Err(payload_error(
                            t,
                            pyrepr::validation_error(
                                model,
                                field,
                                "string_too_short",
                                "String should have at least 1 character",
                                &Value::String(s.clone()),
                            ),
                        ));
                    }
                    if n > max {
                        return Err(payload_error(
                            t,
                            pyrepr::validation_error(
                                model,
                                field,
                                "string_too_long",
                                &format!("String should have at most {max} characters"),
                                &Value::String(s.clone()),
                            ),
                        ));
                    }
                }
                Ok(())
            }
            Some(v) => Err(payload_error(
                t,
                pyrepr::validation_error(
                    model,
                    field,
                    "string_type",
                    "Input should be a valid string",
                    v,
                ),
            )),
        }
    };
    match t {
        "wandb.reaction.1" => field_rule("FeedbackPayloadReactionReq", "emoji", None)?,
        "wandb.note.1" => field_rule(
            "FeedbackPayloadNoteReq",
            "note",
            Some(crate::validate::MAX_NOTE_CHARS),
        )?,
        _ => {}
    }
    let present = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    let missing = |model: &str, field: &str| {
        payload_error(
            t,
            pyrepr::validation_error(model, field, "missing", "Field required", &payload_v),
        )
    };
    if t.starts_with(ANNOTATION) {
        let Some(sub) = t.strip_prefix("wandb.annotation.") else {
            return Err(bad(format!("Invalid annotation feedback type: {t}")));
        };
        if !present(&req.annotation_ref) {
            return Err(bad("annotation_ref is required for annotation feedback"));
        }
        let r = ensure_ref(
            req.annotation_ref.as_deref().unwrap_or(""),
            &[RefKind::Object],
        )?;
        if r.name() != sub {
            return Err(bad(format!(
                "annotation_ref must point to an object with name {sub}"
            )));
        }
        if !req.payload.contains_key("value") {
            return Err(missing("AnnotationPayloadSchema", "value"));
        }
    } else if present(&req.annotation_ref) {
        return Err(bad(
            "annotation_ref is not allowed for non-annotation feedback",
        ));
    } else if t.starts_with(RUNNABLE) {
        let Some(sub) = t.strip_prefix("wandb.runnable.") else {
            return Err(bad(format!("Invalid runnable feedback type: {t}")));
        };
        if !present(&req.runnable_ref) {
            return Err(bad("runnable_ref is required for runnable feedback"));
        }
        let r = ensure_ref(
            req.runnable_ref.as_deref().unwrap_or(""),
            &[RefKind::Op, RefKind::Object],
        )?;
        if r.name() != sub {
            return Err(bad(format!(
                "runnable_ref must point to an object with name {sub}"
            )));
        }
        if r.kind() == RefKind::Op && !present(&req.call_ref) {
            return Err(bad("call_ref is required for runnable feedback on ops"));
        }
        if !req.payload.contains_key("output") {
            return Err(missing("RunnablePayloadSchema", "output"));
        }
    } else if present(&req.runnable_ref) {
        return Err(bad("runnable_ref is not allowed for non-runnable feedback"));
    } else if present(&req.call_ref) {
        return Err(bad("call_ref is not allowed for non-runnable feedback"));
    } else if present(&req.trigger_ref) {
        return Err(bad("trigger_ref is not allowed for non-runnable feedback"));
    }
    if let Some(a) = req.annotation_ref.as_deref().filter(|s| !s.is_empty()) {
        let r = ensure_ref(a, &[RefKind::Object])?;
        if r.project_id() != req.project_id {
            return Err(bad(format!(
                "Annotation ref {a} does not match project id {}",
                req.project_id
            )));
        }
        // The spec object would be read here; the store holds no objects.
        return Err(reason(
            404,
            format!(
                "Obj {}:{} not found",
                r.name(),
                r.version().unwrap_or("latest")
            ),
        ));
    }
    if let Some(r) = req.runnable_ref.as_deref().filter(|s| !s.is_empty()) {
        ensure_ref(r, &[RefKind::Op, RefKind::Object])?;
    }
    if let Some(r) = req.call_ref.as_deref().filter(|s| !s.is_empty()) {
        ensure_ref(r, &[RefKind::Call])?;
    }
    if let Some(r) = req.trigger_ref.as_deref().filter(|s| !s.is_empty()) {
        ensure_ref(r, &[RefKind::Object])?;
    }
    if let Some(q) = req.queue_id.as_deref().filter(|s| !s.is_empty()) {
        return Err(bad(format!("Queue {q} not found or has been deleted")));
    }
    let mut payload = req.payload.clone();
    if t == "wandb.reaction.1" {
        let em = payload
            .get("emoji")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if emoji::count(&em) != 1 {
            return Err(bad(
                "Value of emoji key in payload must be exactly one emoji",
            ));
        }
        let detoned = emoji::detone(&em);
        payload.insert("alias".into(), emoji::demojize(&em).into());
        payload.insert("detoned".into(), detoned.clone().into());
        payload.insert("detoned_alias".into(), emoji::demojize(&detoned).into());
    }
    if crate::pyjson::dumps_len(&Value::Object(payload.clone()))
        > crate::validate::MAX_PAYLOAD_CHARS
    {
        return Err(bad("Feedback payload too large"));
    }
    Ok(Row {
        id: req
            .id
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(crate::ids::new_uuid_v7),
        project_id: req.project_id.clone(),
        weave_ref: req.weave_ref.clone(),
        creator: req.creator.clone(),
        created_at: now(),
        feedback_type: req.feedback_type.clone(),
        payload,
        annotation_ref: req.annotation_ref.clone(),
        runnable_ref: req.runnable_ref.clone(),
        call_ref: req.call_ref.clone(),
        trigger_ref: req.trigger_ref.clone(),
        queue_id: req.queue_id.clone(),
    })
}

fn insert(conn: &Connection, r: &Row) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO feedback (id, project_id, weave_ref, wb_user_id, creator, feedback_type, \
         payload_dump, created_at, annotation_ref, runnable_ref, call_ref, trigger_ref, queue_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(rusqlite::params![
        r.id,
        r.project_id,
        r.weave_ref,
        LOCAL_USER_ID,
        r.creator,
        r.feedback_type,
        crate::pyjson::dumps(&Value::Object(r.payload.clone())),
        r.created_at.0,
        r.annotation_ref,
        r.runnable_ref,
        r.call_ref,
        r.trigger_ref,
        r.queue_id,
    ])?;
    Ok(())
}

fn query(conn: &Connection, obj: &Map<String, Value>) -> Result<Value, Answer> {
    check_keys(
        obj,
        &[
            "project_id",
            "fields",
            "query",
            "sort_by",
            "limit",
            "offset",
        ],
        &["project_id"],
    )?;
    let project_id = req_str(obj, "project_id", &[])?;
    let fields = match obj.get("fields") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|f| {
                    f.as_str().map(str::to_string).ok_or_else(|| {
                        unprocessable(
                            &["fields"],
                            "string_type",
                            "Input should be a valid string",
                            Some(f),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(v) => {
            return Err(unprocessable(
                &["fields"],
                "list_type",
                "Input should be a valid list",
                Some(v),
            ))
        }
    };
    let q = match obj.get("query") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_query(v, &["query"])?),
    };
    let mut sort = Vec::new();
    match obj.get("sort_by") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let o = item.as_object().ok_or_else(|| {
                    unprocessable(
                        &["sort_by"],
                        "model_type",
                        "Input should be a valid dictionary or instance of SortBy",
                        Some(item),
                    )
                })?;
                check_keys(o, &["field", "direction"], &["field", "direction"])?;
                let field = req_str(o, "field", &["sort_by"])?;
                let dir = req_str(o, "direction", &["sort_by"])?;
                if dir != "asc" && dir != "desc" {
                    return Err(unprocessable(
                        &["sort_by", "direction"],
                        "literal_error",
                        "Input should be 'asc' or 'desc'",
                        o.get("direction"),
                    ));
                }
                sort.push(sql::Sort {
                    field,
                    descending: dir == "desc",
                });
            }
        }
        Some(v) => {
            return Err(unprocessable(
                &["sort_by"],
                "list_type",
                "Input should be a valid list",
                Some(v),
            ))
        }
    }
    let limit = opt_int(obj, "limit")?;
    let offset = opt_int(obj, "offset")?;
    let sel = sql::select(
        &project_id,
        fields.as_deref(),
        q.as_ref().map(Query::expr),
        &sort,
        limit,
        offset,
    )?;
    let mut stmt = conn.prepare(&sel.sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(sel.params.0.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut m = Map::new();
        for (i, f) in sel.fields.iter().enumerate() {
            let key = f.strip_suffix("_dump").unwrap_or(f);
            let v = match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => n.into(),
                ValueRef::Real(x) => json!(x),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    Value::String(String::from_utf8_lossy(t).into_owned())
                }
            };
            let v = if key == "payload" {
                match v {
                    Value::String(s) => serde_json::from_str(&s).map_err(|_| internal())?,
                    _ => return Err(internal()),
                }
            } else {
                v
            };
            m.insert(key.to_string(), v);
        }
        out.push(Value::Object(m));
    }
    Ok(json!({ "result": out }))
}

fn purge(conn: &Connection, project_id: &str, q: &Operation) -> Result<(), Answer> {
    let mut p = sql::Params::default();
    let w = sql::where_clause(project_id, Some(q), &mut p)?;
    conn.execute(
        &format!("DELETE FROM feedback\nWHERE {w}"),
        rusqlite::params_from_iter(p.0.iter()),
    )?;
    Ok(())
}

const PURGE_FEEDBACK: &str = "Can only purge feedback by specifying one or more feedback ids";
const PURGE_GENERIC: &str = "Can only purge by specifying one or more ids";

/// The key an operand has in pydantic's `model_dump` of the query.
fn dump_key(o: &Operand) -> &'static str {
    match o {
        Operand::Literal(_) => "literal_",
        Operand::GetField(_) => "get_field_",
        Operand::Convert { .. } => "convert_",
        Operand::Operation(op) => match **op {
            Operation::And(_) => "and_",
            Operation::Or(_) => "or_",
            Operation::Not(_) => "not_",
            Operation::Eq(..) => "eq_",
            Operation::Gt(..) => "gt_",
            Operation::Gte(..) => "gte_",
            Operation::Lt(..) => "lt_",
            Operation::Lte(..) => "lte_",
            Operation::In(..) => "in_",
            Operation::Contains { .. } => "contains_",
        },
    }
}

fn literal_type(l: &Literal) -> &'static str {
    match l {
        Literal::Null => "<class 'NoneType'>",
        Literal::Bool(_) => "<class 'bool'>",
        Literal::Number(n) if n.is_f64() => "<class 'float'>",
        Literal::Number(_) => "<class 'int'>",
        Literal::String(_) => "<class 'str'>",
        Literal::Array(_) => "<class 'list'>",
        Literal::Object(_) => "<class 'dict'>",
    }
}

/// `validate_feedback_purge_req`: only `id = '…'`, or an `$or` of those.
fn validate_purge(op: &Operation) -> Result<(), Answer> {
    fn one(a: &Operand, b: &Operand, msg: &str) -> Result<(), Answer> {
        let field = match a {
            Operand::GetField(f) => f,
            other => {
                return Err(bad(format!(
                    "Expected key get_field_, got {}",
                    dump_key(other)
                )))
            }
        };
        if field != "id" {
            return Err(bad(msg));
        }
        match b {
            Operand::Literal(Literal::String(_)) => Ok(()),
            Operand::Literal(l) => Err(bad(format!(
                "Expected value of type <class 'str'>, got {}",
                literal_type(l)
            ))),
            other => Err(bad(format!(
                "Expected key literal_, got {}",
                dump_key(other)
            ))),
        }
    }
    match op {
        Operation::Eq(a, b) => one(a, b, PURGE_FEEDBACK),
        Operation::Or(items) => {
            for item in items {
                match item {
                    Operand::Operation(op) => match &**op {
                        Operation::Eq(a, b) => one(a, b, PURGE_GENERIC)?,
                        _ => return Err(bad(format!("Expected key eq_, got {}", dump_key(item)))),
                    },
                    other => return Err(bad(format!("Expected key eq_, got {}", dump_key(other)))),
                }
            }
            Ok(())
        }
        _ => Err(bad(PURGE_FEEDBACK)),
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

    #[test]
    fn timestamps_as_python_writes_them() {
        assert_eq!(crate::timestamp::civil_from_days(0), (1970, 1, 1));
        assert_eq!(crate::timestamp::civil_from_days(19_723), (2024, 1, 1));
        let (stored, answered) = now();
        assert!(stored.ends_with("+00:00") && answered.ends_with('Z'));
    }
}
