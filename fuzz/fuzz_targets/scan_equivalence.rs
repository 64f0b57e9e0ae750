//! The fast path for query answers against the reference decoder on the same bytes: whenever
//! the scan takes an answer, the reference reads it too, with the same rows (every field, the
//! parsed payload, the JSON text), the same last `created_at`, and every value a C getter
//! reads is the reference's. Declining is always allowed (the reference then reads it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use weave_feedback::feedback::{scan_check, ScanOutcome};

fuzz_target!(|data: &[u8]| {
    if let ScanOutcome::Mismatch(what) = scan_check(data) {
        panic!("the scan and the reference differ: {what}");
    }
});
