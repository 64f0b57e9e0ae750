//! `/feedback/query`: the request checked, its `$expr` turned into SQL, the rows read back.

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::answer::{internal, unprocessable, Answer};
use super::request::{check_keys, opt_int, parse_query, req_str};
use super::sql;
use crate::pyjson::text;
use crate::query::Query;

/// An answer row: its cells in order.
struct Row(Vec<(String, Cell)>);

impl serde::Serialize for Row {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// `{"result": rows}`.
#[derive(serde::Serialize)]
struct QueryAnswer {
    result: Vec<Row>,
}

/// One value of an answer row: a `Value`, or a payload's JSON text (exact numbers).
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Cell {
    Value(Value),
    Text(Box<RawValue>),
}

/// Answers a query as JSON text, `{"result": [...]}`, payloads compact with integers exact.
pub(super) fn query(conn: &Connection, obj: &Map<String, Value>) -> Result<String, Answer> {
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
        let mut m: Vec<(String, Cell)> = Vec::with_capacity(sel.fields.len());
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
                    Value::String(s) => Cell::Text(
                        text::rewrite(&s, &text::COMPACT)
                            .and_then(|t| RawValue::from_string(t).ok())
                            .ok_or_else(internal)?,
                    ),
                    _ => return Err(internal()),
                }
            } else {
                Cell::Value(v)
            };
            // A projection may name a column twice; the answer has it once, as a map would.
            match m.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = v,
                None => m.push((key.to_string(), v)),
            }
        }
        out.push(m);
    }
    let rows: Vec<Row> = out.into_iter().map(Row).collect();
    serde_json::to_string(&QueryAnswer { result: rows }).map_err(|_| internal())
}
