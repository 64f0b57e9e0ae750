//! `WeaveRef::parse` on arbitrary UTF-8, the canonical-URI round trip, and the edge-value
//! escape/unescape round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weave_feedback::refs::{escape_edge_value, unescape_edge_value};
use weave_feedback::{RefKind, WeaveRef};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    // As given, and with the scheme prepended so the fuzzer reaches the path grammar at once.
    check_ref(s);
    check_ref(&format!("weave:///{s}"));

    // escape → unescape gives the value back; escaped text uses only the unreserved set.
    let e = escape_edge_value(s);
    assert!(
        e.bytes().all(|b| b.is_ascii_alphanumeric()
            || matches!(b, b'_' | b'.' | b'-' | b'~' | b'%' | b'A'..=b'F')),
        "escape produced a reserved byte: {e:?}"
    );
    assert_eq!(unescape_edge_value(&e).as_deref(), Ok(s), "escaped: {e:?}");

    // Whatever unescapes must survive escape → unescape too.
    if let Ok(u) = unescape_edge_value(s) {
        assert_eq!(unescape_edge_value(&escape_edge_value(&u)).as_deref(), Ok(u.as_str()));
    }
});

fn check_ref(s: &str) {
    let Ok(r) = WeaveRef::parse(s) else {
        return;
    };
    // The original string is kept verbatim.
    assert_eq!(r.as_str(), s);
    assert_eq!(r.to_string(), s);
    assert_eq!(r.project_id(), format!("{}/{}", r.entity(), r.project()));
    assert!(!r.entity().is_empty() && !r.project().is_empty());
    match r.kind() {
        RefKind::Object | RefKind::Op => assert!(r.version().is_some()),
        RefKind::Call | RefKind::Table => assert!(r.version().is_none()),
    }
    if r.kind() == RefKind::Table {
        assert!(r.extra().is_empty());
    }

    // The canonical form parses back to the same parts, and is a fixed point.
    let c = r.canonical_uri();
    let r2 = WeaveRef::parse(&c)
        .unwrap_or_else(|e| panic!("canonical_uri {c:?} of {s:?} does not parse: {e}"));
    assert_eq!(r2.entity(), r.entity(), "{s:?} -> {c:?}");
    assert_eq!(r2.project(), r.project(), "{s:?} -> {c:?}");
    assert_eq!(r2.kind(), r.kind(), "{s:?} -> {c:?}");
    assert_eq!(r2.name(), r.name(), "{s:?} -> {c:?}");
    assert_eq!(r2.version(), r.version(), "{s:?} -> {c:?}");
    assert_eq!(r2.extra(), r.extra(), "{s:?} -> {c:?}");
    assert_eq!(r2.canonical_uri(), c, "canonical_uri not idempotent for {s:?}");
    if matches!(r.kind(), RefKind::Object | RefKind::Op) {
        assert!(r2.has_explicit_version(), "{c:?}");
    }
    // `parse` and `FromStr` agree.
    assert_eq!(s.parse::<WeaveRef>().ok().as_ref(), Some(&r));
}
