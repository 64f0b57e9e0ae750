//! `/feedback/query`: the request checked, its `$expr` turned into SQL, the rows read back.

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::answer::{internal, unprocessable, Answer};
use super::request::{check_keys, opt_int, parse_query, req_str};
use super::sql;
use crate::query::Query;

pub(super) fn query(conn: &Connection, obj: &Map<String, Value>) -> Result<Value, Answer> {
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
