//! Error answers shaped as the server's: `{"reason": …}` for its own refusals, pydantic's
//! `{"detail": […]}` for a body that does not fit the request model.

use serde_json::{json, Value};

use super::sql;

/// An error answer: status and JSON body.
pub(super) struct Answer(pub(super) u16, pub(super) Value);

pub(super) fn reason(status: u16, msg: impl Into<String>) -> Answer {
    Answer(status, json!({ "reason": msg.into() }))
}
pub(super) fn bad(msg: impl Into<String>) -> Answer {
    reason(400, msg)
}
pub(super) fn internal() -> Answer {
    reason(500, "Internal server error")
}
pub(super) fn unprocessable(loc: &[&str], kind: &str, msg: &str, input: Option<&Value>) -> Answer {
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
