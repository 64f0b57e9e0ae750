//! `Feedbacks::from_query_response` on arbitrary bytes (every output of an accepted response
//! must work and be valid JSON), and `Timestamp::parse` with its RFC 3339 round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use weave_feedback::timestamp::Timestamp;
use weave_feedback::Feedbacks;

/// 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: `to_rfc3339` writes a four-digit year, so
/// only instants in [MIN, END) can be written back in a form `parse` accepts.
const MIN_SECS: i64 = -62_167_219_200;
const END_SECS: i64 = 253_402_300_800;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(t) = Timestamp::parse(s) {
            check_timestamp(&t, s);
        }
    }
    for show_refs in [false, true] {
        if let Ok(f) = Feedbacks::from_query_response(data, show_refs) {
            check_feedbacks(&f);
        }
    }
});

fn check_feedbacks(f: &Feedbacks) {
    let j = f.to_json();
    let v: Value = serde_json::from_str(&j).unwrap_or_else(|e| panic!("to_json {j:?}: {e}"));
    let rows = v.as_array().expect("to_json is an array");
    assert_eq!(rows.len(), f.len());
    let table = f.format_table();
    // Header, rule, one line per row (more where a cell holds a line break).
    assert!(table.matches('\n').count() >= 2 + f.len());
    let refs = f.refs();
    assert!(refs.len() <= f.len());
    assert_eq!(refs.is_empty(), f.is_empty());
    let _ = refs.parsed();
    let _ = refs.call_refs();
    let _ = f.to_string();
    for (i, row) in f.iter().enumerate() {
        let rj = row.to_json();
        let rv: Value = serde_json::from_str(&rj).unwrap_or_else(|e| panic!("row {rj:?}: {e}"));
        assert_eq!(rv, rows[i]);
        assert_eq!(rv["created_at"].as_str(), Some(row.created_at_rfc3339()));
        let _: Value = serde_json::from_str(&row.payload_json()).expect("payload_json is JSON");
        check_timestamp(&row.created_at, row.created_at_rfc3339());
    }
    // Exporting and decoding again is lossless whenever every created_at is writable.
    let writable = f
        .iter()
        .all(|r| (MIN_SECS..END_SECS).contains(&r.created_at.unix_seconds()));
    if writable {
        let again = Feedbacks::from_query_response(format!("{{\"result\":{j}}}").as_bytes(), f.show_refs())
            .unwrap_or_else(|e| panic!("re-decoding to_json {j:?}: {e}"));
        assert_eq!(again.to_json(), j);
        assert_eq!(again.format_table(), table);
    }
}

fn check_timestamp(t: &Timestamp, src: &str) {
    let text = t.to_rfc3339();
    assert!(text.ends_with('Z'), "{text:?}");
    let _ = t.to_table_cell();
    if !(MIN_SECS..END_SECS).contains(&t.unix_seconds()) {
        return; // see MIN_SECS: the year cannot be written in four digits
    }
    let t2 = Timestamp::parse(&text)
        .unwrap_or_else(|| panic!("to_rfc3339 {text:?} of {src:?} does not parse"));
    assert_eq!(t2.unix_seconds(), t.unix_seconds(), "{src:?} -> {text:?}");
    let frac = fraction_of(t);
    if frac.bytes().any(|c| c != b'0') {
        // A fraction with a non-zero digit is kept digit for digit: exact equality.
        assert_eq!(&t2, t, "{src:?} -> {text:?}");
    } else {
        // An all-zero fraction is dropped, and nothing else is lost.
        assert_eq!(fraction_of(&t2), "", "{src:?} -> {text:?}");
        assert!(!text.contains('.'), "{text:?}");
        if !frac.is_empty() {
            let with = format!("{}.{frac}Z", &text[..text.len() - 1]);
            assert_eq!(Timestamp::parse(&with).as_ref(), Some(t), "{src:?} -> {with:?}");
        }
    }
    assert_eq!(t2.to_rfc3339(), text, "to_rfc3339 not a fixed point");
    assert_eq!(t2.to_table_cell(), t.to_table_cell(), "{src:?}");
}

/// The fraction digits a `Timestamp` keeps (private; read from its `Debug` form).
fn fraction_of(t: &Timestamp) -> String {
    let d = format!("{t:?}");
    let start = d.find("fraction: \"").expect("Debug shows the fraction") + "fraction: \"".len();
    let end = start + d[start..].find('"').expect("closing quote");
    d[start..end].to_string()
}
