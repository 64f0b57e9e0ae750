//! Decoding `/feedback/query` answers straight into rows, in one pass, without a `Value` tree
//! of the answer.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::scan::Scanned;
use super::{Feedback, Feedbacks};
use crate::error::{Error, Result};
use crate::timestamp::Timestamp;

/// A row as sent. `created_at` is borrowed from the answer when it has no escapes (always, from
/// Weave): only the last row's text is kept, so copying every row's was wasted. The payload is
/// borrowed as its text, kept as sent (exact numbers) and parsed from there.
#[derive(Deserialize)]
pub(super) struct WireRow<'a> {
    pub(super) id: String,
    pub(super) project_id: String,
    pub(super) weave_ref: String,
    #[serde(default)]
    pub(super) creator: Option<String>,
    pub(super) feedback_type: String,
    #[serde(default, borrow)]
    pub(super) payload: Option<&'a RawValue>,
    #[serde(default)]
    pub(super) annotation_ref: Option<String>,
    #[serde(default)]
    pub(super) runnable_ref: Option<String>,
    #[serde(default)]
    pub(super) call_ref: Option<String>,
    #[serde(default)]
    pub(super) trigger_ref: Option<String>,
    #[serde(default)]
    pub(super) queue_id: Option<String>,
    #[serde(default)]
    pub(super) wb_user_id: Option<String>,
    #[serde(borrow)]
    pub(super) created_at: Cow<'a, str>,
}

impl Feedback {
    /// Builds a row from one element of a query response. A `Value` holds no integer beyond
    /// 64 bits, so the payload text is the payload map written out.
    pub fn from_value(mut v: Value) -> Result<Feedback> {
        let err = |e: &dyn std::fmt::Display| Error::decode(format!("feedback row: {e}"));
        let payload = match v.get_mut("payload").map(Value::take) {
            None | Some(Value::Null) => None,
            Some(p) => Some(serde_json::value::to_raw_value(&p).map_err(|e| err(&e))?),
        };
        let mut row = WireRow::deserialize(&v).map_err(|e| err(&e))?;
        row.payload = payload.as_deref();
        Feedback::from_wire(row)
            .map(|(f, _)| f)
            .map_err(|m| err(&m))
    }

    /// The row, and its `created_at` exactly as the server sent it (paging compares with it).
    pub(super) fn from_wire(
        row: WireRow<'_>,
    ) -> std::result::Result<(Feedback, Cow<'_, str>), String> {
        let created_at = Timestamp::parse(&row.created_at)
            .ok_or_else(|| format!("unreadable created_at {:?}", row.created_at))?;
        let (payload, payload_text) = match row.payload {
            Some(raw) => (
                serde_json::from_str(raw.get()).map_err(|e| format!("payload: {e}"))?,
                Some(raw.to_owned()),
            ),
            None => (Map::new(), None),
        };
        let feedback = Feedback {
            id: row.id,
            project_id: row.project_id,
            weave_ref: row.weave_ref,
            creator: row.creator,
            feedback_type: row.feedback_type,
            payload,
            annotation_ref: row.annotation_ref,
            runnable_ref: row.runnable_ref,
            call_ref: row.call_ref,
            trigger_ref: row.trigger_ref,
            queue_id: row.queue_id,
            wb_user_id: row.wb_user_id,
            created_at,
            payload_text,
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
        check_memory(body.len())?;
        decode_page(body, show_refs)
    }

    /// [`Feedbacks::from_query_page`] for the C handle: an answer the scanner takes is kept
    /// as scanned (the handle reads its values in place; rows are built only if Rust code asks
    /// for them); any other goes to the reference decoder. Takes the body to keep it without
    /// a copy. Same rows, same errors, same memory check.
    pub(crate) fn from_query_page_scanned(
        body: Vec<u8>,
        show_refs: bool,
    ) -> Result<(Feedbacks, Option<String>)> {
        // The check stays for the scanned form too: a Rust caller may still build its rows.
        check_memory(body.len())?;
        match Scanned::scan(body) {
            Ok(scanned) => {
                let last_created_at = scanned.last_created_at().map(str::to_owned);
                Ok((Feedbacks::from_scanned(scanned, show_refs), last_created_at))
            }
            Err(body) => decode_page(&body, show_refs),
        }
    }
}

/// Refuses an answer of `len` bytes when the memory to decode it could not be reserved now.
fn check_memory(len: usize) -> Result<()> {
    reserve_probe(len.saturating_mul(DECODE_FACTOR)).map_err(|()| {
        Error::decode(format!(
            "an answer of {len} bytes needs about {DECODE_FACTOR} times that in memory to \
             decode, and that much could not be reserved; use pages() to walk the rows"
        ))
    })
}

/// The reference decoder: the rows of a whole answer and the last `created_at` as sent.
fn decode_page(body: &[u8], show_refs: bool) -> Result<(Feedbacks, Option<String>)> {
    // One UTF-8 check of the whole answer is far cheaper than serde_json's check of every
    // string on its own; text that fails it goes to `from_slice` for the same error.
    let seed = AnswerSeed {
        capacity: body.len() / TYPICAL_ROW_BYTES,
    };
    let answer = match std::str::from_utf8(body) {
        Ok(text) => read_answer(&mut serde_json::Deserializer::from_str(text), seed),
        Err(_) => read_answer(&mut serde_json::Deserializer::from_slice(body), seed),
    }
    .map_err(|e| Error::decode(format!("query response: {e}")))?;
    Ok((
        Feedbacks::new(answer.rows, show_refs),
        answer.last_created_at,
    ))
}

/// Peak memory of decoding rows, as a multiple of the answer's size (rows with realistic
/// payloads measure below this).
const DECODE_FACTOR: usize = 3;

/// Whether `bytes` could be allocated now; the memory is released at once.
fn reserve_probe(bytes: usize) -> std::result::Result<(), ()> {
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(bytes).map_err(|_| ())
}

/// `seed` over the whole input, then only whitespace (as `serde_json::from_str` checks).
fn read_answer<'de, R: serde_json::de::Read<'de>>(
    d: &mut serde_json::Deserializer<R>,
    seed: AnswerSeed,
) -> serde_json::Result<Answer> {
    let answer = serde::de::DeserializeSeed::deserialize(seed, &mut *d)?;
    d.end()?;
    Ok(answer)
}

/// The size of a typical row in an answer (a note with all 13 keys measures about 410 bytes):
/// the row list is sized from the answer's length, so it is not regrown and copied as it fills.
const TYPICAL_ROW_BYTES: usize = 400;

/// The `/feedback/query` answer, `{"result": [...]}`; other keys are skipped.
struct Answer {
    rows: Vec<Feedback>,
    /// The last row's `created_at` as sent.
    last_created_at: Option<String>,
}

/// Reads an [`Answer`]; `capacity` is the number of rows expected.
struct AnswerSeed {
    capacity: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for AnswerSeed {
    type Value = Answer;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Answer, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for AnswerSeed {
    type Value = Answer;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("struct QueryResponse")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Answer, A::Error> {
        let mut answer = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key != "result" {
                map.next_value::<serde::de::IgnoredAny>()?;
            } else if answer.is_some() {
                return Err(serde::de::Error::duplicate_field("result"));
            } else {
                answer = Some(map.next_value_seed(RowsSeed {
                    capacity: self.capacity,
                })?);
            }
        }
        answer.ok_or_else(|| serde::de::Error::missing_field("result"))
    }
}

/// Rows decoded one by one as the parser reaches them, without a `Value` tree of the answer.
struct RowsSeed {
    capacity: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for RowsSeed {
    type Value = Answer;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Answer, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RowsSeed {
    type Value = Answer;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of feedback rows")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Answer, A::Error> {
        let mut rows = Vec::with_capacity(self.capacity);
        let mut last_created_at = None;
        while let Some(row) = seq.next_element::<WireRow<'de>>()? {
            let (row, created_at) = Feedback::from_wire(row).map_err(serde::de::Error::custom)?;
            rows.push(row);
            last_created_at = Some(created_at);
        }
        // The rows live as long as the result: drop the slack of a guess that was too high.
        rows.shrink_to_fit();
        Ok(Answer {
            rows,
            last_created_at: last_created_at.map(Cow::into_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_rows::{answers, sample};
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

    /// Whichever form the C layer's path gives (scanned when the scanner takes the answer,
    /// decoded when it declines), the rows, the paging keys and the
    /// length are the reference decoder's, and a scanned answer's rows are built only on use.
    #[test]
    fn the_c_layers_path_gives_the_reference_rows() {
        for (i, body) in answers().into_iter().enumerate() {
            let (reference, reference_last) = Feedbacks::from_query_page(&body, true).unwrap();
            let accepted = Scanned::scan(body.clone()).is_ok();
            // The first is the shape Weave's server sends: the fast path must take it.
            assert!(accepted || i > 0, "the scan declined a Weave-shaped answer");
            let (fs, last) = Feedbacks::from_query_page_scanned(body.clone(), true).unwrap();
            assert_eq!(fs.scanned().is_some(), accepted);
            assert_eq!(fs.len(), reference.len());
            assert_eq!(fs.is_empty(), reference.is_empty());
            assert_eq!(fs.last_id(), reference.last_id());
            assert_eq!(
                fs.last_id(),
                reference.as_slice().last().map(|f| f.id.clone())
            );
            assert_eq!(last, reference_last);
            assert_eq!(
                fs.rows_built(),
                !accepted,
                "len and the paging keys do not build scanned rows"
            );
            assert_eq!(fs, reference);
            assert!(fs.rows_built());
            assert_eq!(fs.to_json(), reference.to_json());
            assert_eq!(fs.format_table(), reference.format_table());
            assert_eq!(format!("{fs:?}"), format!("{reference:?}"));
            // A clone shares the built rows; the last holder moves them out.
            let shared = fs.clone();
            assert_eq!(shared.clone().into_rows(), reference.as_slice());
            drop(fs);
            assert_eq!(shared.into_rows(), reference.into_rows());
        }
    }

    /// An answer the reference decoder refuses is refused the same way on the C layer's path
    /// (the scanner declines it, and the reference decoder gives the error).
    #[test]
    fn the_c_layers_path_refuses_what_the_reference_refuses() {
        let mut bad_time = answers()[0].clone();
        let at = bad_time.windows(4).position(|w| w == b"2025").unwrap();
        bad_time[at..at + 4].copy_from_slice(b"20x5");
        let mut truncated = answers()[0].clone();
        truncated.truncate(truncated.len() - 2);
        let bad: [&[u8]; 6] = [
            b"{\"result\": 3}",
            b"{}",
            b"{\"result\":[{\"id\":1}]}",
            b"{\"result\":[]} x",
            &bad_time,
            &truncated,
        ];
        for body in bad {
            let reference = Feedbacks::from_query_page(body, false).unwrap_err();
            assert!(Scanned::scan(body.to_vec()).is_err());
            let err = Feedbacks::from_query_page_scanned(body.to_vec(), false).unwrap_err();
            assert_eq!(err.to_string(), reference.to_string());
        }
    }
}
