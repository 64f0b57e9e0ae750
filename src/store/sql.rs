//! The `$expr` query language, `fields` and `sort_by` turned into SQL as Weave's server does
//! (`_process_query_to_conditions` and `Select.prepare` in
//! [orm.py](https://github.com/wandb/weave/blob/master/weave/trace_server/orm.py)), so results
//! on SQLite are the same. Where the reference emits SQL that SQLite cannot run, this emits
//! what the construct means on Weave's hosted (ClickHouse) server instead:
//! - `$convert` (`toInt64OrNull` & co.): the `wf_to_*` functions registered on the connection;
//! - sorting by a payload path (`JSON_EXISTS`): existence first, then as a number, then as text,
//!   nulls last;
//! - an offset without a limit (`OFFSET` alone): `LIMIT -1 OFFSET n`.

use rusqlite::types::Value as Sql;
use serde_json::Value;

use crate::query::{ConvertTo, Literal, Operand, Operation};

/// The columns, as the server's table names them: the query names of
/// [`crate::fields::COLUMNS`], with `payload` stored as `payload_dump`.
fn columns() -> impl Iterator<Item = &'static str> {
    crate::fields::COLUMNS
        .iter()
        .map(|c| if *c == "payload" { "payload_dump" } else { c })
}

/// Why a query cannot be run: a refusal with the server's message (HTTP 400), or SQL the
/// reference server would fail on with a database error (HTTP 500).
#[derive(Debug)]
pub(crate) enum SqlError {
    /// `ValueError` on the server: 400 with this reason.
    Invalid(String),
    /// A database error on the server: 500.
    Internal,
}

/// Positional parameters of one statement.
#[derive(Default)]
pub(crate) struct Params(pub(crate) Vec<Sql>);

impl Params {
    pub(crate) fn add(&mut self, v: Sql) -> String {
        self.0.push(v);
        format!("?{}", self.0.len())
    }
}

/// How a field is read (`cast` of `_transform_external_field_to_internal_field`).
#[derive(Clone, Copy, PartialEq)]
enum Cast {
    None,
    Exists,
    Double,
    String,
}

/// `_transform_external_field_to_internal_field` for the feedback table.
fn field_sql(field: &str, cast: Cast, p: &mut Params) -> Result<String, SqlError> {
    let mut field = field.to_string();
    let mut json_path = None;
    if field == "payload" {
        field = "payload_dump".into();
    } else if let Some(rest) = field.strip_prefix("payload.") {
        json_path = Some(quote_json_path(rest));
        field = "payload_dump".into();
    }
    let unprefixed = field.clone();
    let (table_prefix, column) = match field.split_once('.') {
        Some((t, c)) => (Some(t.to_string()), c.to_string()),
        None => (None, field.clone()),
    };
    let known = columns().any(|c| c == column)
        || column == "*"
        || column.eq_ignore_ascii_case("count(*)")
        || columns().any(|c| unprefixed.to_lowercase().starts_with(&format!("{c}.")));
    if !known {
        return Err(SqlError::Invalid(format!("Unknown field: {unprefixed}")));
    }
    if table_prefix.is_some() {
        // `id.x` passes the server's check and then names a table that does not exist: a
        // database error there. Never put such text into SQL here.
        return Err(SqlError::Internal);
    }
    let mut sql = column;
    if let Some(path) = json_path {
        let pp = p.add(Sql::Text(path));
        sql = match cast {
            Cast::Exists => format!("(json_type({sql}, {pp}) IS NOT NULL)"),
            Cast::None => format!("json_extract({sql}, {pp})"),
            Cast::Double => format!("wf_to_double(json_extract({sql}, {pp}))"),
            Cast::String => format!("wf_to_string(json_extract({sql}, {pp}))"),
        };
    }
    Ok(sql)
}

/// `split_escaped_field_path` + `quote_json_path_parts`: `a.b\.c.0` → `$."a"."b.c"[0]`.
fn quote_json_path(path: &str) -> String {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut prev_backslash = false;
    for c in path.chars() {
        if c == '.' && !prev_backslash {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
        prev_backslash = c == '\\';
    }
    parts.push(cur);
    let mut out = String::from("$");
    for part in parts {
        let part = part.replace("\\.", ".");
        if is_python_int(&part) {
            out.push('[');
            out.push_str(&part);
            out.push(']');
        } else {
            out.push_str(".\"");
            out.push_str(&part);
            out.push('"');
        }
    }
    out
}

/// Whether Python's `int(s)` accepts `s` (whitespace around, a sign, digits, `_` between digits).
fn is_python_int(s: &str) -> bool {
    let t = s.trim();
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || c == '_')
        && !t.starts_with('_')
        && !t.ends_with('_')
        && !t.contains("__")
}

/// A literal bound as Python's `sqlite3` binds it (`True` as 1); arrays and objects, which
/// `sqlite3` cannot bind, as their compact JSON text.
fn literal_sql(l: &Literal) -> Sql {
    match l {
        Literal::Null => Sql::Null,
        Literal::Bool(b) => Sql::Integer(*b as i64),
        Literal::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Literal::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(literal_json(other).to_string()),
    }
}

fn literal_json(l: &Literal) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Number(n) => Value::Number(n.clone()),
        Literal::String(s) => Value::String(s.clone()),
        Literal::Array(a) => Value::Array(a.iter().map(literal_json).collect()),
        Literal::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), literal_json(v)))
                .collect(),
        ),
    }
}

fn operand(o: &Operand, p: &mut Params) -> Result<String, SqlError> {
    Ok(match o {
        Operand::Literal(l) => p.add(literal_sql(l)),
        Operand::GetField(f) => field_sql(f, Cast::None, p)?,
        Operand::Convert { input, to } => {
            let inner = operand(input, p)?;
            match to {
                ConvertTo::Int => format!("wf_to_int({inner})"),
                ConvertTo::Double => format!("wf_to_double({inner})"),
                ConvertTo::Bool => format!("wf_to_bool({inner})"),
                ConvertTo::String => format!("wf_to_string({inner})"),
                ConvertTo::Exists => format!("({inner} IS NOT NULL)"),
            }
        }
        Operand::Operation(op) => operation(op, p)?,
    })
}

/// `process_operation`: the same SQL text as the server's, operator by operator.
pub(crate) fn operation(op: &Operation, p: &mut Params) -> Result<String, SqlError> {
    let bin = |a: &Operand, b: &Operand, sym: &str, p: &mut Params| -> Result<String, SqlError> {
        let l = operand(a, p)?;
        let r = operand(b, p)?;
        Ok(format!("({l} {sym} {r})"))
    };
    Ok(match op {
        Operation::And(items) | Operation::Or(items) => {
            let (word, name) = match op {
                Operation::And(_) => ("AND", "AND"),
                _ => ("OR", "OR"),
            };
            match items.len() {
                0 => return Err(SqlError::Invalid(format!("Empty {name} operation"))),
                1 => operand(&items[0], p)?,
                _ => {
                    let parts = items
                        .iter()
                        .map(|o| operand(o, p))
                        .collect::<Result<Vec<_>, _>>()?;
                    format!("({})", parts.join(&format!(" {word} ")))
                }
            }
        }
        Operation::Not(x) => format!("(NOT ({}))", operand(x, p)?),
        Operation::Eq(a, b) => bin(a, b, "=", p)?,
        Operation::Gt(a, b) => bin(a, b, ">", p)?,
        Operation::Lt(a, b) => bin(a, b, "<", p)?,
        Operation::Gte(a, b) => bin(a, b, ">=", p)?,
        Operation::Lte(a, b) => bin(a, b, "<=", p)?,
        Operation::In(x, items) => {
            let l = operand(x, p)?;
            let r = items
                .iter()
                .map(|o| operand(o, p))
                .collect::<Result<Vec<_>, _>>()?;
            format!("({l} IN ({}))", r.join(","))
        }
        Operation::Contains {
            input,
            substr,
            case_insensitive,
        } => {
            let l = operand(input, p)?;
            let r = operand(substr, p)?;
            if *case_insensitive {
                format!("INSTR(LOWER({l}), LOWER({r})) > 0")
            } else {
                format!("INSTR({l}, {r}) > 0")
            }
        }
    })
}

/// `combine_conditions(conditions, "AND")`.
pub(crate) fn combine(conds: &[String]) -> String {
    match conds.len() {
        0 => String::new(),
        1 => conds[0].clone(),
        _ => format!(
            "({})",
            conds
                .iter()
                .map(|c| format!("({c})"))
                .collect::<Vec<_>>()
                .join(" AND ")
        ),
    }
}

/// One `sort_by` entry.
pub(crate) struct Sort {
    pub(crate) field: String,
    pub(crate) descending: bool,
}

/// A whole `SELECT`: the SQL, its parameters, and the result keys of its columns.
pub(crate) struct Select {
    pub(crate) sql: String,
    pub(crate) params: Params,
    /// Requested field names (`Select.prepare`'s `fieldnames`).
    pub(crate) fields: Vec<String>,
}

/// `Select.prepare` for `feedback_query`.
pub(crate) fn select(
    project_id: &str,
    fields: Option<&[String]>,
    query: Option<&Operation>,
    sort: &[Sort],
    limit: Option<i64>,
    offset: Option<i64>,
) -> Result<Select, SqlError> {
    let mut p = Params::default();
    let fields: Vec<String> = match fields {
        Some(f) if !f.is_empty() => f.to_vec(),
        _ => columns().map(str::to_string).collect(),
    };
    let cols = fields
        .iter()
        .map(|f| field_sql(f, Cast::None, &mut p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut sql = format!("SELECT {}\nFROM feedback", cols.join(", "));
    let where_ = where_clause(project_id, query, &mut p)?;
    if !where_.is_empty() {
        sql.push_str("\nWHERE ");
        sql.push_str(&where_);
    }
    if !sort.is_empty() {
        let mut parts = Vec::new();
        for s in sort {
            let dir = if s.descending { "desc" } else { "asc" };
            if s.field.starts_with("payload.") {
                parts.push(format!(
                    "{} desc",
                    field_sql(&s.field, Cast::Exists, &mut p)?
                ));
                parts.push(format!(
                    "{} {dir} NULLS LAST",
                    field_sql(&s.field, Cast::Double, &mut p)?
                ));
                parts.push(format!(
                    "{} {dir} NULLS LAST",
                    field_sql(&s.field, Cast::String, &mut p)?
                ));
            } else if s.field == "payload" {
                // Three identical terms on the server; the first decides.
                parts.push(format!(
                    "payload_dump desc, payload_dump {dir}, payload_dump {dir}"
                ));
            } else {
                parts.push(format!(
                    "{} {dir}",
                    field_sql(&s.field, Cast::None, &mut p)?
                ));
            }
        }
        sql.push_str("\nORDER BY ");
        sql.push_str(&parts.join(", "));
    }
    if let Some(l) = limit {
        if l < 0 {
            return Err(SqlError::Invalid("Limit must be non-negative".into()));
        }
    }
    if let Some(o) = offset {
        if o < 0 {
            return Err(SqlError::Invalid("Offset must be non-negative".into()));
        }
    }
    match (limit, offset) {
        (Some(l), _) => {
            sql.push_str(&format!("\nLIMIT {}", p.add(Sql::Integer(l))));
        }
        (None, Some(_)) => sql.push_str("\nLIMIT -1"),
        (None, None) => {}
    }
    if let Some(o) = offset {
        sql.push_str(&format!("\nOFFSET {}", p.add(Sql::Integer(o))));
    }
    Ok(Select {
        sql,
        params: p,
        fields,
    })
}

/// The `WHERE` condition of a select or purge on `project_id`.
pub(crate) fn where_clause(
    project_id: &str,
    query: Option<&Operation>,
    p: &mut Params,
) -> Result<String, SqlError> {
    let mut conds = Vec::new();
    if !project_id.is_empty() {
        conds.push(format!(
            "project_id = {}",
            p.add(Sql::Text(project_id.into()))
        ));
    }
    if let Some(q) = query {
        conds.push(operation(q, p)?);
    }
    Ok(combine(&conds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_as_the_server_quotes_them() {
        assert_eq!(quote_json_path("score"), "$.\"score\"");
        assert_eq!(quote_json_path("a.0.b"), "$.\"a\"[0].\"b\"");
        assert_eq!(quote_json_path("a\\.b.c"), "$.\"a.b\".\"c\"");
    }

    #[test]
    fn unknown_and_prefixed_fields() {
        let mut p = Params::default();
        assert!(
            matches!(field_sql("nope", Cast::None, &mut p), Err(SqlError::Invalid(m)) if m == "Unknown field: nope")
        );
        assert!(matches!(
            field_sql("id.x) OR (1=1", Cast::None, &mut p),
            Err(SqlError::Internal)
        ));
        assert_eq!(
            field_sql("payload", Cast::None, &mut p).unwrap(),
            "payload_dump"
        );
    }
}
