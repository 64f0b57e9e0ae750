//! Decoding `/feedback/query` answers straight into rows, in one pass, without a `Value` tree
//! of the answer.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Feedback, Feedbacks};
use crate::error::{Error, Result};
use crate::timestamp::Timestamp;

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
            .map(|(f, _)| f)
            .map_err(|message| Error::decode(format!("feedback row: {message}")))
    }

    /// The row, and its `created_at` exactly as the server sent it (paging compares with it).
    fn from_wire(row: WireRow) -> std::result::Result<(Feedback, String), String> {
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
}

impl Feedbacks {
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
                    let (row, created_at) =
                        Feedback::from_wire(row).map_err(serde::de::Error::custom)?;
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

#[cfg(test)]
mod tests {
    use super::super::test_rows::sample;
    use super::*;
    use serde_json::json;

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
}
