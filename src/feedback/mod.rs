//! Feedback rows as the server returns them, the `Feedbacks` collection, `Refs`, and the
//! SDK's plain-text table.
//!
//! Results are immutable and shared (`Arc`), so a query's cache, a caller's copy and a C handle
//! can all point at one allocation, and any number of threads may read it.

use std::collections::HashSet;
use std::ops::Index;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::pyjson;
use crate::refs::WeaveRef;
use crate::timestamp::Timestamp;

/// The reaction feedback type.
pub const REACTION_TYPE: &str = "wandb.reaction.1";
/// The note feedback type.
pub const NOTE_TYPE: &str = "wandb.note.1";

/// One feedback row, with the 13 keys of Weave's `Feedback` model. Unknown keys from newer
/// servers are ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    /// Row id (UUIDv7).
    pub id: String,
    /// `entity/project`.
    pub project_id: String,
    /// The ref the feedback is attached to, as stored.
    pub weave_ref: String,
    /// Free display name of whoever gave the feedback.
    pub creator: Option<String>,
    /// `wandb.reaction.1`, `wandb.note.1`, `wandb.annotation.<name>`, or a custom type.
    pub feedback_type: String,
    /// The stored payload (reactions include the server's `alias`/`detoned` keys).
    pub payload: Map<String, Value>,
    /// Annotation spec ref, for `wandb.annotation.*`.
    pub annotation_ref: Option<String>,
    /// Scorer ref, for `wandb.runnable.*`.
    pub runnable_ref: Option<String>,
    /// Call ref, for `wandb.runnable.*`.
    pub call_ref: Option<String>,
    /// Trigger ref, for `wandb.runnable.*`.
    pub trigger_ref: Option<String>,
    /// Annotation queue id.
    pub queue_id: Option<String>,
    /// The W&B user the server authenticated.
    pub wb_user_id: Option<String>,
    /// When the server stored the row.
    pub created_at: Timestamp,
}

#[derive(Deserialize)]
struct WireRow {
    id: String,
    project_id: String,
    weave_ref: String,
    #[serde(default)]
    creator: Option<String>,
    feedback_type: String,
    #[serde(default)]
    payload: Option<Map<String, Value>>,
    #[serde(default)]
    annotation_ref: Option<String>,
    #[serde(default)]
    runnable_ref: Option<String>,
    #[serde(default)]
    call_ref: Option<String>,
    #[serde(default)]
    trigger_ref: Option<String>,
    #[serde(default)]
    queue_id: Option<String>,
    #[serde(default)]
    wb_user_id: Option<String>,
    created_at: String,
}

impl Feedback {
    /// Builds a row from one element of a query response.
    pub fn from_value(v: Value) -> Result<Feedback> {
        let row: WireRow =
            serde_json::from_value(v).map_err(|e| Error::decode(format!("feedback row: {e}")))?;
        Feedback::from_wire(row)
            .map_err(|message| Error::decode(format!("feedback row: {message}")))
    }

    fn from_wire(row: WireRow) -> std::result::Result<Feedback, String> {
        Feedback::from_wire_keeping_created_at(row).map(|(f, _)| f)
    }

    /// The row, and its `created_at` exactly as the server sent it (paging compares with it).
    fn from_wire_keeping_created_at(
        row: WireRow,
    ) -> std::result::Result<(Feedback, String), String> {
        let created_at = Timestamp::parse(&row.created_at)
            .ok_or_else(|| format!("unreadable created_at {:?}", row.created_at))?;
        let feedback = Feedback {
            id: row.id,
            project_id: row.project_id,
            weave_ref: row.weave_ref,
            creator: row.creator,
            feedback_type: row.feedback_type,
            payload: row.payload.unwrap_or_default(),
            annotation_ref: row.annotation_ref,
            runnable_ref: row.runnable_ref,
            call_ref: row.call_ref,
            trigger_ref: row.trigger_ref,
            queue_id: row.queue_id,
            wb_user_id: row.wb_user_id,
            created_at,
        };
        Ok((feedback, row.created_at))
    }

    /// `created_at` as RFC 3339 UTC (`2026-11-27T05:03:26.854361Z`).
    pub fn created_at_rfc3339(&self) -> &str {
        self.created_at.as_rfc3339()
    }

    /// The row as JSON with the wire key names, nulls included.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        let opt = |o: &Option<String>| o.clone().map_or(Value::Null, Value::String);
        m.insert("id".into(), self.id.clone().into());
        m.insert("project_id".into(), self.project_id.clone().into());
        m.insert("weave_ref".into(), self.weave_ref.clone().into());
        m.insert("creator".into(), opt(&self.creator));
        m.insert("feedback_type".into(), self.feedback_type.clone().into());
        m.insert("payload".into(), Value::Object(self.payload.clone()));
        m.insert("annotation_ref".into(), opt(&self.annotation_ref));
        m.insert("runnable_ref".into(), opt(&self.runnable_ref));
        m.insert("call_ref".into(), opt(&self.call_ref));
        m.insert("trigger_ref".into(), opt(&self.trigger_ref));
        m.insert("queue_id".into(), opt(&self.queue_id));
        m.insert("wb_user_id".into(), opt(&self.wb_user_id));
        m.insert("created_at".into(), self.created_at.to_rfc3339().into());
        Value::Object(m)
    }

    /// [`Feedback::to_value`] as compact JSON text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The payload as compact JSON text.
    pub fn payload_json(&self) -> String {
        Value::Object(self.payload.clone()).to_string()
    }

    fn type_cell(&self) -> String {
        match self.feedback_type.as_str() {
            REACTION_TYPE => "reaction".into(),
            NOTE_TYPE => "note".into(),
            other => other.into(),
        }
    }

    fn feedback_cell(&self) -> String {
        let key = match self.feedback_type.as_str() {
            REACTION_TYPE => Some("emoji"),
            NOTE_TYPE => Some("note"),
            _ => None,
        };
        // A reaction or note row without its key would crash Python; we fall back to JSON.
        match key.and_then(|k| self.payload.get(k)) {
            Some(Value::String(s)) => s.clone(),
            _ => pyjson::dumps_indent2(&Value::Object(self.payload.clone())),
        }
    }

    fn creator_cell(&self) -> String {
        let uid = self.wb_user_id.as_deref().unwrap_or("None");
        match &self.creator {
            Some(c) => format!("{c} ({uid})"),
            None => uid.to_string(),
        }
    }
}

/// An immutable, shareable list of feedback rows (server order: `created_at` ascending).
#[derive(Clone, Debug, PartialEq)]
pub struct Feedbacks {
    rows: Arc<Vec<Feedback>>,
    show_refs: bool,
}

impl Feedbacks {
    /// Wraps rows; `show_refs` adds the Ref column to the table.
    pub fn new(rows: Vec<Feedback>, show_refs: bool) -> Feedbacks {
        Feedbacks {
            rows: Arc::new(rows),
            show_refs,
        }
    }

    /// Decodes a `/feedback/query` response body (`{"result": [...]}`) straight into rows, in
    /// one pass; unknown keys are ignored, anything else malformed is a [`Error::Decode`].
    ///
    /// Decoding needs up to about three times the body's size; when that much memory cannot
    /// be reserved the answer is refused with [`Error::Decode`] rather than risking an
    /// allocation failure that would abort the process.
    pub fn from_query_response(body: &[u8], show_refs: bool) -> Result<Feedbacks> {
        Feedbacks::from_query_page(body, show_refs).map(|(rows, _)| rows)
    }

    /// [`Feedbacks::from_query_response`], also giving the last row's `created_at` exactly as
    /// the server sent it (the key the next page starts after).
    pub(crate) fn from_query_page(
        body: &[u8],
        show_refs: bool,
    ) -> Result<(Feedbacks, Option<String>)> {
        reserve_probe(body.len().saturating_mul(DECODE_FACTOR)).map_err(|()| {
            Error::decode(format!(
                "an answer of {} bytes needs about {DECODE_FACTOR} times that in memory to \
                 decode, and that much could not be reserved; use pages() to walk the rows",
                body.len()
            ))
        })?;
        let res: QueryResponse = serde_json::from_slice(body)
            .map_err(|e| Error::decode(format!("query response: {e}")))?;
        Ok((
            Feedbacks::new(res.result.rows, show_refs),
            res.result.last_created_at,
        ))
    }

    /// The rows, without a copy when this is their only holder.
    pub(crate) fn into_rows(self) -> Vec<Feedback> {
        Arc::try_unwrap(self.rows).unwrap_or_else(|shared| shared.as_ref().clone())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    /// Row `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<&Feedback> {
        self.rows.get(index)
    }
    /// Iterates over the rows in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Feedback> {
        self.rows.iter()
    }
    /// The rows as a slice.
    pub fn as_slice(&self) -> &[Feedback] {
        &self.rows
    }
    /// Whether the table shows the Ref column.
    pub fn show_refs(&self) -> bool {
        self.show_refs
    }

    /// The distinct `weave_ref` values in first-seen order.
    pub fn refs(&self) -> Refs {
        let mut seen = HashSet::new();
        Refs::new(
            self.rows
                .iter()
                .filter(|f| seen.insert(f.weave_ref.as_str()))
                .map(|f| f.weave_ref.clone())
                .collect(),
        )
    }

    /// All rows as a JSON array (see [`Feedback::to_value`]).
    pub fn to_json(&self) -> String {
        Value::Array(self.rows.iter().map(Feedback::to_value).collect()).to_string()
    }

    /// The SDK's plain-text table (its `WEAVE_DISPLAY_VIEWER=print` form): Type, Feedback, Created, ID, Creator,
    /// with Ref first when `show_refs` is set. Widths count code points, as Python does.
    pub fn format_table(&self) -> String {
        let mut headers = vec!["Type", "Feedback", "Created", "ID", "Creator"];
        if self.show_refs {
            headers.insert(0, "Ref");
        }
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|f| {
                let mut r = vec![
                    f.type_cell(),
                    f.feedback_cell(),
                    f.created_at.to_table_cell(),
                    f.id.clone(),
                    f.creator_cell(),
                ];
                if self.show_refs {
                    r.insert(0, f.weave_ref.clone());
                }
                r
            })
            .collect();
        let type_col = usize::from(self.show_refs);
        let widths: Vec<usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([h.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<String>, center: Option<usize>| -> String {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| pad(c, widths[i], center == Some(i)))
                .collect::<Vec<_>>()
                .join(" │ ")
        };
        let mut out = line(
            headers.iter().map(|h| h.to_string()).collect(),
            Some(type_col),
        );
        out.push('\n');
        out.push_str(&"─".repeat(widths.iter().sum::<usize>() + 3 * (widths.len() - 1)));
        out.push('\n');
        for r in rows {
            out.push_str(&line(r, Some(type_col)));
            out.push('\n');
        }
        out
    }
}

/// Peak memory of decoding rows, as a multiple of the answer's size (rows with realistic
/// payloads measure below this).
const DECODE_FACTOR: usize = 3;

/// Whether `bytes` could be allocated now; the memory is released at once.
fn reserve_probe(bytes: usize) -> std::result::Result<(), ()> {
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(bytes).map_err(|_| ())
}

/// The `/feedback/query` answer.
#[derive(Deserialize)]
struct QueryResponse {
    result: Rows,
}

/// Rows decoded one by one as the parser reaches them, without a `Value` tree of the answer.
struct Rows {
    rows: Vec<Feedback>,
    /// The last row's `created_at` as sent.
    last_created_at: Option<String>,
}

impl<'de> Deserialize<'de> for Rows {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Rows, D::Error> {
        struct RowsVisitor;
        impl<'de> serde::de::Visitor<'de> for RowsVisitor {
            type Value = Rows;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of feedback rows")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Rows, A::Error> {
                let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                let mut last_created_at = None;
                while let Some(row) = seq.next_element::<WireRow>()? {
                    let (row, created_at) = Feedback::from_wire_keeping_created_at(row)
                        .map_err(serde::de::Error::custom)?;
                    rows.push(row);
                    last_created_at = Some(created_at);
                }
                // The rows live as long as the result: drop the growth slack.
                rows.shrink_to_fit();
                Ok(Rows {
                    rows,
                    last_created_at,
                })
            }
        }
        d.deserialize_seq(RowsVisitor)
    }
}

/// Python's `str.ljust` / `str.center` on code points.
fn pad(s: &str, width: usize, center: bool) -> String {
    let len = s.chars().count();
    if len >= width {
        return s.to_string();
    }
    let total = width - len;
    let left = if center {
        // CPython's center(): left = total/2 + (total & width & 1).
        total / 2 + (total & width & 1)
    } else {
        0
    };
    format!("{}{s}{}", " ".repeat(left), " ".repeat(total - left))
}

impl Index<usize> for Feedbacks {
    type Output = Feedback;
    fn index(&self, i: usize) -> &Feedback {
        &self.rows[i]
    }
}

impl<'a> IntoIterator for &'a Feedbacks {
    type Item = &'a Feedback;
    type IntoIter = std::slice::Iter<'a, Feedback>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

impl std::fmt::Display for Feedbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format_table())
    }
}

/// Distinct ref strings, in first-seen order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Refs {
    refs: Arc<[String]>,
}

impl Refs {
    /// Wraps a list of ref strings.
    pub fn new(refs: Vec<String>) -> Refs {
        Refs { refs: refs.into() }
    }
    /// Number of refs.
    pub fn len(&self) -> usize {
        self.refs.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }
    /// Ref `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.refs.get(index).map(String::as_str)
    }
    /// Iterates over the ref strings.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.refs.iter().map(String::as_str)
    }
    /// Parses every ref; strings that are not valid `weave:///` refs give an error each.
    pub fn parsed(&self) -> Vec<Result<WeaveRef>> {
        self.refs.iter().map(|r| WeaveRef::parse(r)).collect()
    }
    /// Only the call refs (the SDK's `call_refs()`).
    pub fn call_refs(&self) -> Refs {
        Refs::new(
            self.refs
                .iter()
                .filter(|r| {
                    WeaveRef::parse(r).is_ok_and(|p| p.kind() == crate::refs::RefKind::Call)
                })
                .cloned()
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(
        id: &str,
        r: &str,
        t: &str,
        payload: Value,
        creator: Option<&str>,
        at: &str,
    ) -> Feedback {
        Feedback::from_value(json!({
            "id": id, "project_id": "acme/chatbot", "weave_ref": r, "creator": creator,
            "feedback_type": t, "payload": payload, "annotation_ref": null, "runnable_ref": null,
            "call_ref": null, "trigger_ref": null, "queue_id": null, "wb_user_id": "VXNlcjo0MjQy",
            "created_at": at, "some_future_column": [1, 2, 3]
        }))
        .unwrap()
    }

    fn sample() -> Vec<Feedback> {
        vec![
            row(
                "0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f",
                "weave:///a/b/call/1",
                "wandb.reaction.1",
                json!({"emoji": "🎉", "alias": ":party_popper:"}),
                Some("Dana"),
                "2025-03-14T09:26:53.589000",
            ),
            row(
                "0192f3b1-2bcd-7e0f-8123-456789abcdef",
                "weave:///a/b/call/1",
                "wandb.note.1",
                json!({"note": "nice"}),
                None,
                "2025-03-14 09:27:10+00:00",
            ),
        ]
    }

    #[test]
    fn table_matches_the_sdk_plain_text_viewer() {
        let want = concat!(
            "  Type   │ Feedback │ Created                    │ ID                                   │ Creator            \n",
            "─────────────────────────────────────────────────────────────────────────────────────────────────────────────\n",
            "reaction │ 🎉        │ 2025-03-14 09:26:53.589000 │ 0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f │ Dana (VXNlcjo0MjQy)\n",
            "  note   │ nice     │ 2025-03-14 09:27:10        │ 0192f3b1-2bcd-7e0f-8123-456789abcdef │ VXNlcjo0MjQy       \n",
        );
        assert_eq!(Feedbacks::new(sample(), false).format_table(), want);
    }

    #[test]
    fn custom_payload_is_indented_ascii_json_and_refs_column() {
        let f = row(
            "x",
            "weave:///a/b/call/2",
            "helpfulness",
            json!({"score": 4, "who": "é"}),
            None,
            "2025-03-14T09:30:00Z",
        );
        let t = Feedbacks::new(vec![f], true).format_table();
        assert!(
            t.starts_with("Ref                 │     Type    │ Feedback"),
            "{t}"
        );
        assert!(
            t.contains("{\n  \"score\": 4,\n  \"who\": \"\\u00e9\"\n}"),
            "{t}"
        );
    }

    #[test]
    fn reaction_without_emoji_falls_back_to_json() {
        let f = row(
            "x",
            "r",
            "wandb.reaction.1",
            json!({}),
            None,
            "2025-03-14T09:30:00Z",
        );
        assert!(Feedbacks::new(vec![f], false)
            .format_table()
            .contains(" {} "));
    }

    #[test]
    fn refs_are_unique_in_first_seen_order() {
        let mut rows = sample();
        rows.insert(
            1,
            row(
                "y",
                "weave:///a/b/call/0",
                "t",
                json!({}),
                None,
                "2025-03-14T09:30:00Z",
            ),
        );
        let refs = Feedbacks::new(rows, false).refs();
        assert_eq!(
            refs.iter().collect::<Vec<_>>(),
            ["weave:///a/b/call/1", "weave:///a/b/call/0"]
        );
        assert_eq!(refs.call_refs().len(), 2);
    }

    #[test]
    fn json_export_has_wire_keys_in_order_and_rfc3339() {
        let fs = Feedbacks::new(sample(), false);
        let v: Value = serde_json::from_str(&fs.to_json()).unwrap();
        let first = v[0].as_object().unwrap();
        assert_eq!(
            first.keys().collect::<Vec<_>>(),
            [
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
                "created_at"
            ]
        );
        assert_eq!(first["created_at"], "2025-03-14T09:26:53.589000Z");
        assert_eq!(v[1]["created_at"], "2025-03-14T09:27:10Z");
        assert_eq!(v[1]["creator"], Value::Null);
    }

    #[test]
    fn bad_rows_are_decode_errors() {
        let err = Feedback::from_value(json!({"id": 1})).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }));
        let err = Feedbacks::from_query_response(b"{\"result\": 3}", false).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }));
    }

    #[test]
    fn query_response_decodes_rows_in_one_pass() {
        let body = serde_json::to_vec(&json!({
            "result": [sample()[0].to_value(), sample()[1].to_value()],
            "future_key": {"ignored": true}
        }))
        .unwrap();
        let fs = Feedbacks::from_query_response(&body, true).unwrap();
        assert_eq!(fs.as_slice(), sample().as_slice());
        assert!(fs.show_refs());
        let mut bad = sample()[1].to_value();
        bad["created_at"] = "yesterday".into();
        let body = serde_json::to_vec(&json!({ "result": [sample()[0].to_value(), bad] })).unwrap();
        let err = Feedbacks::from_query_response(&body, false).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { message, .. } if message.contains("yesterday")),
            "{err}"
        );
    }

    #[test]
    fn memory_that_cannot_be_reserved_is_an_error_not_an_abort() {
        assert!(reserve_probe(1 << 20).is_ok());
        assert!(reserve_probe(usize::MAX).is_err());
    }

    #[test]
    fn center_matches_cpython() {
        assert_eq!(pad("note", 8, true), "  note  ");
        assert_eq!(pad("Type", 8, true), "  Type  ");
        assert_eq!(pad("abc", 6, true), " abc  ");
        assert_eq!(pad("ab", 5, true), "  ab ");
    }
}
