//! The scan checked against the reference decoder (for the fuzz target and the tests), and a
//! counter for `examples/decode`.

use super::{Scanned, FIELD_ORDER};

/// What the scan made of an answer, checked against the reference decoder.
#[doc(hidden)]
#[derive(Debug, PartialEq, Eq)]
pub enum ScanOutcome {
    /// The scan declined (the reference decoder reads the answer, or refuses it).
    Declined,
    /// The scan took the answer, and everything it gives equals the reference's.
    Taken,
    /// The scan took the answer and something differs: what.
    Mismatch(String),
}

/// For the `scan_equivalence` fuzz target and the tests: scans `data` and, when the scan
/// takes it, compares every row (each field, the parsed payload, the JSON text), the last
/// `created_at`, and each value as the C getters read it, with the reference decoder's.
#[doc(hidden)]
pub fn scan_check(data: &[u8]) -> ScanOutcome {
    let Ok(scanned) = Scanned::scan(data.to_vec()) else {
        return ScanOutcome::Declined;
    };
    let (want, want_last) = match crate::feedback::Feedbacks::from_query_page(data, false) {
        Ok((rows, last)) => (rows, last),
        Err(e) => return ScanOutcome::Mismatch(format!("the reference refuses it: {e}")),
    };
    let got = scanned.build_rows();
    if got.as_slice() != want.as_slice() {
        return ScanOutcome::Mismatch(format!("rows {got:?} != {:?}", want.as_slice()));
    }
    if scanned.last_created_at() != want_last.as_deref() {
        return ScanOutcome::Mismatch(format!("last created_at {:?}", scanned.last_created_at()));
    }
    for ((g, w), row) in got.iter().zip(want.iter()).zip(scanned.rows()) {
        if g.payload != w.payload || g.to_json() != w.to_json() {
            return ScanOutcome::Mismatch(format!("payload {:?} != {:?}", g.payload, w.payload));
        }
        // In the order of `FIELD_ORDER`.
        let expect = [
            Some(w.id.as_str()),
            Some(&w.project_id),
            Some(&w.weave_ref),
            w.wb_user_id.as_deref(),
            w.creator.as_deref(),
            Some(w.created_at_rfc3339()),
            Some(&w.feedback_type),
            Some(w.payload_json()),
            w.annotation_ref.as_deref(),
            w.runnable_ref.as_deref(),
            w.call_ref.as_deref(),
            w.trigger_ref.as_deref(),
            w.queue_id.as_deref(),
        ];
        for (field, want) in FIELD_ORDER.into_iter().zip(expect) {
            let seen = scanned.c_view(row, field);
            if seen != want.map(str::as_bytes) {
                return ScanOutcome::Mismatch(format!(
                    "{field:?}: C reads {seen:?}, want {want:?}"
                ));
            }
        }
    }
    ScanOutcome::Taken
}

/// For `examples/decode`: scans `body`, giving the number of rows, or `None` if declined.
#[doc(hidden)]
pub fn scan_count(body: Vec<u8>) -> Option<usize> {
    Scanned::scan(body).ok().map(|s| s.len())
}
