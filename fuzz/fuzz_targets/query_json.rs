//! `Query::from_json` on arbitrary UTF-8; every accepted query re-serialises stably and parses
//! back to an equal query.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weave_feedback::Query;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(q) = Query::from_json(s) else {
        return;
    };
    let j = q.to_json();
    assert_eq!(q.to_json(), j, "to_json is not stable");
    let q2 = Query::from_json(&j)
        .unwrap_or_else(|e| panic!("to_json output {j:?} of {s:?} does not parse: {e}"));
    assert_eq!(q2, q, "round trip changed the query: {s:?} -> {j:?}");
    assert_eq!(q2.to_json(), j, "to_json not a fixed point");
    // The value path and the text path agree.
    let v: serde_json::Value = serde_json::from_str(&j).expect("to_json is JSON");
    assert_eq!(v, q.to_value());
    assert_eq!(Query::from_value(&v).ok().as_ref(), Some(&q));
    assert_eq!(serde_json::to_string(&q).ok().as_deref(), Some(j.as_str()));
});
