//! Rules checked on the client before anything is sent.
//!
//! Two sources: the SDK's own `add()` checks (`weave/trace/feedback.py`, with its exact
//! messages), and the server's validation rules that need no server state
//! (`weave/trace_server/feedback.py` in Weave), checked early so a bad
//! request costs no round trip and, for `replace`, cannot delete the row it meant to replace.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::pyjson;
use crate::refs::{check_strict_object_ref, RefKind, WeaveRef};

/// The server's payload limit, in characters of Python's `json.dumps` output.
pub const MAX_PAYLOAD_CHARS: usize = 1_048_576;
/// Longest note the server stores, in code points.
pub const MAX_NOTE_CHARS: usize = 1024;

/// Types of annotation feedback start with this (then `.<name>`).
pub const ANNOTATION: &str = "wandb.annotation";
/// Types of runnable (scorer) feedback start with this (then `.<name>`).
pub const RUNNABLE: &str = "wandb.runnable";
/// `wandb.runnable.`: a runnable type is this followed by the scorer's name.
pub const RUNNABLE_PREFIX: &str = "wandb.runnable.";

const RESERVED: &str = "Feedback type cannot start with \"wandb\", it is reserved for annotation feedback.Provide an annotation_ref <entity/project/object/name:digest> to add annotation feedback.";
const ANNOTATION_FORMAT: &str = "To add annotation feedback, feedback_type must conform to the format: 'wandb.annotation.<name>'.";
const ANNOTATION_REF_KIND: &str = "annotation_ref must be a valid object ref, eg weave:///<entity>/<project>/object/<name>:<digest>";

/// Checks an entity or project name as the SDK's `to_project_id` does: non-empty, no `/`.
pub fn project_part(what: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::InvalidArgument(format!("{what} must be non-empty")));
    }
    if value.contains('/') {
        return Err(Error::InvalidArgument(format!("{what} cannot contain '/'")));
    }
    Ok(())
}

/// The SDK's `add()` checks, then the server's annotation rules that need no lookup.
/// Returns the parsed annotation ref, if one was given.
pub fn generic_add(
    feedback_type: &str,
    annotation_ref: Option<&str>,
    payload: &Map<String, Value>,
    project_id: &str,
) -> Result<Option<WeaveRef>> {
    let annotation_ref = annotation_ref.filter(|r| !r.is_empty());
    if feedback_type.starts_with("wandb.") && annotation_ref.is_none() {
        return Err(Error::InvalidFeedback(RESERVED.into()));
    }
    let Some(aref) = annotation_ref else {
        return Ok(None);
    };
    let Some(name) = feedback_type.strip_prefix("wandb.annotation.") else {
        return Err(Error::InvalidFeedback(ANNOTATION_FORMAT.into()));
    };
    let parsed = WeaveRef::parse(aref)?;
    if !matches!(parsed.kind(), RefKind::Object | RefKind::Op) {
        return Err(Error::InvalidRef(ANNOTATION_REF_KIND.into()));
    }
    // From here on: rules the server enforces for annotations, checked before sending.
    check_strict_object_ref(&parsed)
        .map_err(|why| Error::InvalidRef(format!("annotation_ref {why}: {aref}")))?;
    if parsed.name() != name {
        return Err(Error::InvalidFeedback(format!(
            "annotation_ref must point to an object with name {name}"
        )));
    }
    if parsed.project_id() != project_id {
        return Err(Error::InvalidFeedback(format!(
            "annotation_ref {aref} is not in project {project_id}"
        )));
    }
    if !payload.contains_key("value") {
        return Err(Error::InvalidFeedback(format!(
            "Invalid payload for feedback_type {feedback_type}: value Field required"
        )));
    }
    Ok(Some(parsed))
}

/// The refs a runnable (scorer) result carries, and the annotation queue it came from; each
/// `None` when absent (an empty string counts as absent, as on the server).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Links {
    pub runnable_ref: Option<String>,
    pub call_ref: Option<String>,
    pub trigger_ref: Option<String>,
    pub queue_id: Option<String>,
}

/// The server's rules for runnable feedback (`wandb.runnable.<name>`), in the server's order
/// (`validate_feedback_create_req` in `weave/trace_server/feedback.py`), with its messages.
pub fn runnable(
    feedback_type: &str,
    runnable_ref: Option<&str>,
    call_ref: Option<&str>,
    payload: &Map<String, Value>,
) -> Result<()> {
    let Some(name) = feedback_type.strip_prefix(RUNNABLE_PREFIX) else {
        return Err(Error::InvalidFeedback(format!(
            "Invalid runnable feedback type: {feedback_type}"
        )));
    };
    let Some(r) = runnable_ref else {
        return Err(Error::InvalidFeedback(
            "runnable_ref is required for runnable feedback".into(),
        ));
    };
    let parsed = strict_ref("runnable_ref", r, &[RefKind::Op, RefKind::Object])?;
    if parsed.name() != name {
        return Err(Error::InvalidFeedback(format!(
            "runnable_ref must point to an object with name {name}"
        )));
    }
    if parsed.kind() == RefKind::Op && call_ref.is_none() {
        return Err(Error::InvalidFeedback(
            "call_ref is required for runnable feedback on ops".into(),
        ));
    }
    if !payload.contains_key("output") {
        return Err(Error::InvalidFeedback(format!(
            "Invalid payload for feedback_type {feedback_type}: output Field required"
        )));
    }
    Ok(())
}

/// Feedback that is neither runnable nor annotation feedback carries no runnable refs.
pub fn not_runnable(links: &Links) -> Result<()> {
    for (field, value) in [
        ("runnable_ref", &links.runnable_ref),
        ("call_ref", &links.call_ref),
        ("trigger_ref", &links.trigger_ref),
    ] {
        if value.is_some() {
            return Err(Error::InvalidFeedback(format!(
                "{field} is not allowed for non-runnable feedback"
            )));
        }
    }
    Ok(())
}

/// The shapes the server requires of the runnable refs, whatever the type: `runnable_ref` an
/// op or object version, `call_ref` a call, `trigger_ref` an object (or op) version.
pub fn linked_refs(links: &Links) -> Result<()> {
    if let Some(r) = &links.runnable_ref {
        strict_ref("runnable_ref", r, &[RefKind::Op, RefKind::Object])?;
    }
    if let Some(r) = &links.call_ref {
        strict_ref("call_ref", r, &[RefKind::Call])?;
    }
    if let Some(r) = &links.trigger_ref {
        // The server asks for an object ref; an op ref is one too (its class derives from it).
        strict_ref("trigger_ref", r, &[RefKind::Object, RefKind::Op])?;
    }
    Ok(())
}

/// A ref as the server parses it once stored (`ensure_ref_is_valid`): one of `kinds`, and for
/// objects and ops an explicit version and well-formed edge pairs.
fn strict_ref(field: &str, r: &str, kinds: &[RefKind]) -> Result<WeaveRef> {
    let parsed = WeaveRef::parse(r)?;
    if !kinds.contains(&parsed.kind()) {
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let article = if kinds[0] == RefKind::Call { "a" } else { "an" };
        return Err(Error::InvalidRef(format!(
            "{field} must be {article} {} ref: {r}",
            names.join(" or ")
        )));
    }
    if matches!(parsed.kind(), RefKind::Object | RefKind::Op) {
        check_strict_object_ref(&parsed)
            .map_err(|why| Error::InvalidRef(format!("{field} {why}: {r}")))?;
    }
    Ok(parsed)
}

/// Server rules for notes: 1 to 1024 characters (code points).
pub fn note(text: &str) -> Result<()> {
    let n = text.chars().count();
    if n == 0 {
        return Err(Error::InvalidFeedback(
            "a note must have at least 1 character".into(),
        ));
    }
    if n > MAX_NOTE_CHARS {
        return Err(Error::InvalidFeedback(format!(
            "a note must have at most {MAX_NOTE_CHARS} characters, this one has {n}"
        )));
    }
    Ok(())
}

/// A reaction must contain an emoji. The server counts emoji with Python's `emoji` package and
/// stays authoritative; we only refuse strings with no emoji code point at all (`"ok"`, `""`),
/// which the server is certain to reject.
pub fn reaction(emoji: &str) -> Result<()> {
    if !emoji.chars().any(is_emoji_code_point) {
        return Err(Error::InvalidFeedback(format!(
            "Value of emoji key in payload must be exactly one emoji, got {emoji:?}"
        )));
    }
    Ok(())
}

fn is_emoji_code_point(c: char) -> bool {
    matches!(c as u32,
        0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139 | 0x2194..=0x21AA
        | 0x231A..=0x23FF | 0x24C2 | 0x25AA..=0x25FE | 0x2600..=0x27BF | 0x2934 | 0x2935
        | 0x2B05..=0x2B55 | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x20E3 | 0x1F000..=0x1FAFF)
}

/// The server's payload size limit (1 MiB of Python `json.dumps` output, ASCII-escaped),
/// measured as the server measures it.
pub fn payload_size(payload: &Map<String, Value>) -> Result<()> {
    let n = pyjson::dumps_len_object(payload);
    if n > MAX_PAYLOAD_CHARS {
        return Err(Error::InvalidFeedback(format!(
            "Feedback payload too large: {n} characters as the server measures it, limit {MAX_PAYLOAD_CHARS}"
        )));
    }
    Ok(())
}

/// [`payload_size`] of a payload given as JSON text: `json.dumps` counted with its integers'
/// every digit, as the server counts them.
pub fn payload_text_size(text: &str) -> Result<()> {
    let n = pyjson::text::dumps_len(text).ok_or_else(|| {
        Error::InvalidArgument("payload is not JSON with numbers Python can read".into())
    })?;
    if n > MAX_PAYLOAD_CHARS {
        return Err(Error::InvalidFeedback(format!(
            "Feedback payload too large: {n} characters as the server measures it, limit {MAX_PAYLOAD_CHARS}"
        )));
    }
    Ok(())
}

/// Strings the server would reject anywhere in a request body (it rewrites every `weave:///`
/// string it finds to an internal ref): a `weave:///` value
/// with fewer than three path parts, even inside a payload.
pub fn embedded_refs(value: &Value) -> Result<()> {
    match value {
        Value::String(s) => embedded_str_ref(s),
        Value::Array(a) => a.iter().try_for_each(embedded_refs),
        Value::Object(o) => o.values().try_for_each(embedded_refs),
        _ => Ok(()),
    }
}

/// [`embedded_refs`] of one string.
pub fn embedded_str_ref(s: &str) -> Result<()> {
    if let Some(rest) = s.strip_prefix("weave:///") {
        if rest.split('/').count() < 3 {
            return Err(Error::InvalidFeedback(format!(
                "Invalid URI: {s} (strings starting with weave:/// must be full refs, even inside a payload)"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn reserved_prefix_with_the_sdk_message() {
        let e = generic_add("wandb.custom", None, &Map::new(), "e/p").unwrap_err();
        assert!(matches!(e, Error::InvalidFeedback(_)));
        assert!(e
            .to_string()
            .contains("reserved for annotation feedback.Provide"));
        let e = generic_add("wandb.note.1", Some(""), &Map::new(), "e/p").unwrap_err();
        assert!(e.to_string().contains("reserved"));
        assert!(generic_add("custom", None, &Map::new(), "e/p")
            .unwrap()
            .is_none());
    }

    #[test]
    fn annotation_rules() {
        let p = obj(json!({"value": 3}));
        let good = "weave:///e/p/object/rating:abc";
        assert!(
            generic_add("wandb.annotation.rating", Some(good), &p, "e/p")
                .unwrap()
                .is_some()
        );
        let cases: &[(&str, &str, Value, &str)] = &[
            (
                "helpfulness",
                good,
                json!({"value": 1}),
                "must conform to the format",
            ),
            (
                "wandb.annotation.rating",
                "weave:///e/p/call/x",
                json!({"value": 1}),
                "must be a valid object ref",
            ),
            (
                "wandb.annotation.rating",
                "not-a-ref",
                json!({"value": 1}),
                "Invalid URI: not-a-ref",
            ),
            (
                "wandb.annotation.rating",
                "weave:///e/p/object/rating",
                json!({"value": 1}),
                "must name a version",
            ),
            (
                "wandb.annotation.other",
                good,
                json!({"value": 1}),
                "object with name other",
            ),
            (
                "wandb.annotation.rating",
                "weave:///x/p/object/rating:abc",
                json!({"value": 1}),
                "not in project e/p",
            ),
            (
                "wandb.annotation.rating",
                good,
                json!({"v": 1}),
                "value Field required",
            ),
        ];
        for (t, r, payload, want) in cases {
            let e = generic_add(t, Some(r), &obj(payload.clone()), "e/p").unwrap_err();
            assert!(e.to_string().contains(want), "{t} {r}: {e}");
        }
    }

    #[test]
    fn notes_count_code_points() {
        assert!(note("").is_err());
        assert!(note("x").is_ok());
        assert!(note(&"é".repeat(1024)).is_ok());
        assert!(note(&"é".repeat(1025)).is_err());
    }

    #[test]
    fn reactions_need_an_emoji() {
        for ok in ["👍", "👍🏽", "ok👍", "❤️", "🇫🇷", "1️⃣", "©"] {
            assert!(reaction(ok).is_ok(), "{ok}");
        }
        for bad in ["", "ok", "+1", ":thumbs_up:"] {
            assert!(reaction(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn payload_limit_as_python_measures_it() {
        assert!(payload_size(&obj(json!({"note": "é".repeat(200_000)}))).is_err());
        assert!(payload_size(&obj(json!({"note": "e".repeat(1_000_000)}))).is_ok());
        // {"a": "…"} is 9 characters around the string.
        assert!(payload_size(&obj(json!({"a": "x".repeat(MAX_PAYLOAD_CHARS - 9)}))).is_ok());
        assert!(payload_size(&obj(json!({"a": "x".repeat(MAX_PAYLOAD_CHARS - 8)}))).is_err());
    }

    #[test]
    fn short_weave_strings_inside_payloads() {
        assert!(embedded_refs(&json!({"a": ["weave:///e/p"]})).is_err());
        assert!(embedded_refs(&json!({"a": "weave:///e/p/call/x"})).is_ok());
        assert!(embedded_refs(&json!({"a": "see weave:///x"})).is_ok());
    }

    #[test]
    fn project_parts() {
        assert!(project_part("entity", "").is_err());
        assert!(project_part("project", "a/b").is_err());
        assert!(project_part("project", "a b é").is_ok());
    }
}
