//! Field names a feedback query may name in `fields` (a projection) and `sort_by`, checked as
//! Weave's server checks them, and [`SortBy`].
//!
//! The server resolves a name with `_transform_external_field_to_internal_field` in
//! [orm.py](https://github.com/wandb/weave/blob/master/weave/trace_server/orm.py) and answers
//! 400 `Unknown field: <name>` to anything else. Checking here gives the same refusal before a
//! request is sent.

use serde_json::{json, Value};

use crate::error::{Error, Result};

/// The feedback table's columns, as queries name them (`payload` is the parsed payload).
pub const COLUMNS: [&str; 13] = [
    "id",
    "project_id",
    "weave_ref",
    "wb_user_id",
    "creator",
    "created_at",
    "feedback_type",
    "payload",
    "annotation_ref",
    "runnable_ref",
    "call_ref",
    "trigger_ref",
    "queue_id",
];

/// Checks a name for `fields` or `sort_by`: one of [`COLUMNS`], `payload_dump` (the server's
/// name of `payload`), or a path into the payload, `payload.<key>[.<key>…]` (a `\.` inside a
/// key is a literal dot, a number is a list index).
///
/// Stricter than the server in three places, all names it accepts but cannot use: `*` and
/// `count(*)` (rows that are not feedback rows), `<table>.<column>` and `<column>.<x>` for a
/// column other than `payload` (SQL that fails, HTTP 500), and `payload.` with an empty path.
pub fn check_field(name: &str) -> Result<()> {
    let known = COLUMNS.contains(&name)
        || name == "payload_dump"
        || name.strip_prefix("payload.").is_some_and(|p| !p.is_empty());
    if known {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "Unknown field: {name} (a column such as created_at, or payload.<path>)"
        )))
    }
}

/// Which way a [`SortBy`] orders rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

impl SortDirection {
    /// `"asc"` or `"desc"`, as the server spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SortDirection::Asc => "asc",
            SortDirection::Desc => "desc",
        }
    }
}

/// One sort key of a feedback query: a column, or a payload path such as `payload.score`.
///
/// A payload path sorts as Weave's server sorts it: rows that have the path first (whatever the
/// direction), then by the value as a number, then as text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SortBy {
    /// A column or `payload.<path>` (see [`check_field`]).
    pub field: String,
    /// The direction.
    pub direction: SortDirection,
}

impl SortBy {
    /// Sorts by `field`, smallest first.
    pub fn asc(field: impl Into<String>) -> SortBy {
        SortBy {
            field: field.into(),
            direction: SortDirection::Asc,
        }
    }

    /// Sorts by `field`, largest first.
    pub fn desc(field: impl Into<String>) -> SortBy {
        SortBy {
            field: field.into(),
            direction: SortDirection::Desc,
        }
    }

    /// `{"field": …, "direction": …}`, as the request carries it.
    pub fn to_value(&self) -> Value {
        json!({"field": self.field, "direction": self.direction.as_str()})
    }

    /// Parses a JSON array of `{"field": string, "direction": "asc"|"desc"}` (the request's
    /// form; other keys are refused, as the server's model refuses them). Field names are
    /// checked with [`check_field`].
    pub fn list_from_json(text: &str) -> Result<Vec<SortBy>> {
        let bad = |why: String| Error::InvalidArgument(format!("sort_by: {why}"));
        let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let items = v
            .as_array()
            .ok_or_else(|| bad("must be a JSON array".into()))?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let o = item
                .as_object()
                .ok_or_else(|| bad(format!("item {i} must be an object")))?;
            if let Some(k) = o.keys().find(|k| *k != "field" && *k != "direction") {
                return Err(bad(format!("item {i}: unknown key {k:?}")));
            }
            let field = o
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(format!("item {i} needs a string \"field\"")))?;
            let direction = match o.get("direction").and_then(Value::as_str) {
                Some("asc") => SortDirection::Asc,
                Some("desc") => SortDirection::Desc,
                _ => {
                    return Err(bad(format!(
                        "item {i}: \"direction\" must be \"asc\" or \"desc\""
                    )))
                }
            };
            check_field(field)?;
            out.push(SortBy {
                field: field.to_string(),
                direction,
            });
        }
        Ok(out)
    }
}

/// Parses a JSON array of field names (the C API's form), each checked with [`check_field`].
pub fn fields_from_json(text: &str) -> Result<Vec<String>> {
    let bad = |why: &str| Error::InvalidArgument(format!("fields: {why}"));
    let v: Value = serde_json::from_str(text).map_err(|_| bad("not JSON"))?;
    let items = v.as_array().ok_or_else(|| bad("must be a JSON array"))?;
    items
        .iter()
        .map(|f| {
            let f = f
                .as_str()
                .ok_or_else(|| bad("every item must be a string"))?;
            check_field(f)?;
            Ok(f.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_as_the_server_checks_them() {
        for ok in [
            "id",
            "created_at",
            "payload",
            "payload_dump",
            "payload.score",
        ] {
            check_field(ok).unwrap();
        }
        check_field("payload.a\\.b.0").unwrap();
        for bad in [
            "nope",
            "ID",
            "",
            "payload.",
            "feedback.id",
            "id.x",
            "*",
            "count(*)",
        ] {
            let e = check_field(bad).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidArgument(m) if m.starts_with(&format!("Unknown field: {bad} "))),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn sort_lists_parse_strictly() {
        let s = SortBy::list_from_json(
            r#"[{"field":"payload.score","direction":"desc"},{"field":"id","direction":"asc"}]"#,
        )
        .unwrap();
        assert_eq!(s, [SortBy::desc("payload.score"), SortBy::asc("id")]);
        assert_eq!(
            s[0].to_value(),
            json!({"field":"payload.score","direction":"desc"})
        );
        for bad in [
            "{}",
            "[1]",
            r#"[{"field":"id"}]"#,
            r#"[{"field":"id","direction":"ASC"}]"#,
            r#"[{"field":"id","direction":"asc","x":1}]"#,
            r#"[{"field":"nope","direction":"asc"}]"#,
        ] {
            assert!(
                matches!(SortBy::list_from_json(bad), Err(Error::InvalidArgument(_))),
                "{bad}"
            );
        }
        assert_eq!(
            fields_from_json(r#"["id","payload.score"]"#).unwrap(),
            ["id", "payload.score"]
        );
        assert!(fields_from_json(r#"["id",3]"#).is_err());
        assert!(fields_from_json(r#"["nope"]"#).is_err());
    }
}
