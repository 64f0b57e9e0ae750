//! Request bodies read as the server's pydantic request models read them: unknown keys
//! refused, required fields checked, lax integers, and the refs its adapter refuses.

use serde_json::{Map, Value};

use super::answer::{bad, unprocessable, Answer};
use crate::query::Query;

/// Refuses what the server's external-ref adapter refuses anywhere in a request.
pub(super) fn check_refs(v: &Value) -> Result<(), Answer> {
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
pub(super) fn check_keys(
    obj: &Map<String, Value>,
    allowed: &[&str],
    required: &[&str],
) -> Result<(), Answer> {
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

pub(super) fn req_str(obj: &Map<String, Value>, key: &str, at: &[&str]) -> Result<String, Answer> {
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
pub(super) fn opt_int(obj: &Map<String, Value>, key: &str) -> Result<Option<i64>, Answer> {
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

pub(super) fn parse_query(v: &Value, loc: &[&str]) -> Result<Query, Answer> {
    Query::from_value(v).map_err(|e| unprocessable(loc, "query_invalid", &e.to_string(), Some(v)))
}

/// A `FeedbackCreateReq`.
pub(super) struct CreateReq {
    pub(super) id: Option<String>,
    pub(super) project_id: String,
    pub(super) weave_ref: String,
    pub(super) creator: Option<String>,
    pub(super) feedback_type: String,
    pub(super) payload: Map<String, Value>,
    /// The payload's JSON text as sent (exact numbers), when the request's text is known.
    pub(super) payload_text: Option<String>,
    pub(super) annotation_ref: Option<String>,
    pub(super) runnable_ref: Option<String>,
    pub(super) call_ref: Option<String>,
    pub(super) trigger_ref: Option<String>,
    pub(super) queue_id: Option<String>,
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
    /// Takes the payload's text from `item`, the request's own JSON text.
    pub(super) fn with_text(mut self, item: Option<&str>) -> CreateReq {
        self.payload_text = item
            .and_then(|t| crate::pyjson::text::member(t, "payload"))
            .map(|raw| raw.get().to_string());
        self
    }

    pub(super) fn parse(obj: &Map<String, Value>, extra: &[&str]) -> Result<CreateReq, Answer> {
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
            payload_text: None,
            annotation_ref: opt_str(obj, "annotation_ref", &at)?,
            runnable_ref: opt_str(obj, "runnable_ref", &at)?,
            call_ref: opt_str(obj, "call_ref", &at)?,
            trigger_ref: opt_str(obj, "trigger_ref", &at)?,
            queue_id: opt_str(obj, "queue_id", &at)?,
        })
    }
}
