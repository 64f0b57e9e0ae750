//! A new row: `validate_feedback_create_req` and `process_feedback_payload` as the server runs
//! them (payload rules, refs, the emoji aliases), then the insert.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::answer::{bad, internal, reason, Answer};
use super::request::CreateReq;
use super::{emoji, pyrepr, LOCAL_USER_ID};
use crate::pyjson::text;
use crate::refs::{check_strict_object_ref, RefKind, WeaveRef};

/// A row as stored.
pub(super) struct Row {
    id: String,
    project_id: String,
    weave_ref: String,
    creator: Option<String>,
    created_at: (String, String),
    feedback_type: String,
    /// The payload's text, compact, with integers exactly as sent.
    payload: String,
    /// The payload as stored: `json.dumps`.
    payload_dump: String,
    annotation_ref: Option<String>,
    runnable_ref: Option<String>,
    call_ref: Option<String>,
    trigger_ref: Option<String>,
    queue_id: Option<String>,
}

impl Row {
    /// `FeedbackCreateRes`, as JSON text (the payload exact).
    pub(super) fn response(&self) -> String {
        let head = json!({
            "id": self.id,
            "created_at": self.created_at.1,
            "wb_user_id": LOCAL_USER_ID,
        })
        .to_string();
        format!("{},\"payload\":{}}}", &head[..head.len() - 1], self.payload)
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
    // Stored refs are parsed strictly: `name:version` and edge/value pairs.
    if matches!(parsed.kind(), RefKind::Object | RefKind::Op) {
        check_strict_object_ref(&parsed).map_err(|why| bad(format!("Invalid ref: {r}, {why}")))?;
    }
    Ok(parsed)
}

fn payload_error(t: &str, e: String) -> Answer {
    bad(format!("Invalid payload for feedback_type {t}: {e}"))
}

/// `validate_feedback_create_req` and `process_feedback_payload`, then the row.
pub(super) fn prepare_row(req: &CreateReq) -> Result<Row, Answer> {
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
        // An op ref is an object ref to the server (its class derives from the object's).
        ensure_ref(r, &[RefKind::Object, RefKind::Op])?;
    }
    if let Some(q) = req.queue_id.as_deref().filter(|s| !s.is_empty()) {
        return Err(bad(format!("Queue {q} not found or has been deleted")));
    }
    // The payload as sent, exact; from the map only when its text is unknown.
    let mut payload = match &req.payload_text {
        Some(text) => text.clone(),
        None => Value::Object(req.payload.clone()).to_string(),
    };
    if t == "wandb.reaction.1" {
        let em = req
            .payload
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
        let mut added = Map::new();
        added.insert("alias".into(), emoji::demojize(&em).into());
        added.insert("detoned".into(), detoned.clone().into());
        added.insert("detoned_alias".into(), emoji::demojize(&detoned).into());
        payload = text::update(&payload, &added).ok_or_else(internal)?;
    }
    let size = text::dumps_len(&payload).ok_or_else(internal)?;
    if size > crate::validate::MAX_PAYLOAD_CHARS {
        return Err(bad("Feedback payload too large"));
    }
    let payload_dump = text::rewrite(&payload, &text::DUMPS).ok_or_else(internal)?;
    // Compact, as the server answers with it.
    let payload = text::rewrite(&payload, &text::COMPACT).ok_or_else(internal)?;
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
        payload_dump,
        annotation_ref: req.annotation_ref.clone(),
        runnable_ref: req.runnable_ref.clone(),
        call_ref: req.call_ref.clone(),
        trigger_ref: req.trigger_ref.clone(),
        queue_id: req.queue_id.clone(),
    })
}

pub(super) fn insert(conn: &Connection, r: &Row) -> rusqlite::Result<()> {
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
        r.payload_dump,
        r.created_at.0,
        r.annotation_ref,
        r.runnable_ref,
        r.call_ref,
        r.trigger_ref,
        r.queue_id,
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_python_writes_them() {
        assert_eq!(crate::timestamp::civil_from_days(0), (1970, 1, 1));
        assert_eq!(crate::timestamp::civil_from_days(19_723), (2024, 1, 1));
        let (stored, answered) = now();
        assert!(stored.ends_with("+00:00") && answered.ends_with('Z'));
    }
}
