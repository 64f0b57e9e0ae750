//! The scan against the reference decoder on the shapes servers send, and on the shapes it
//! must decline.

use super::*;

/// A row as Weave's SQLite server writes it, with `extra` spliced in before the last key.
fn row(id: &str, created_at: &str, payload: &str, extra: &str) -> String {
    format!(
        r#"{{"id":"{id}","project_id":"e/p","weave_ref":"weave:///e/p/call/1","wb_user_id":"u","creator":null,"created_at":"{created_at}","feedback_type":"wandb.note.1","payload":{payload},"annotation_ref":null,"runnable_ref":null,"call_ref":null,"trigger_ref":null,{extra}"queue_id":null}}"#
    )
}

fn answer(rows: &[String]) -> String {
    format!(r#"{{"result":[{}]}}"#, rows.join(","))
}

/// The scan takes `body`, and reads what the reference reads, C view included.
fn assert_taken(body: &str) {
    assert_eq!(scan_check(body.as_bytes()), ScanOutcome::Taken, "{body}");
}

fn assert_declined(body: &str) {
    assert_eq!(scan_check(body.as_bytes()), ScanOutcome::Declined, "{body}");
}

#[test]
fn takes_what_servers_send() {
    let rows: Vec<String> = (0..5)
        .map(|i| {
            row(
                &format!("01a23aad-3488-7977-9a6f-18{i}e89c05239"),
                &format!("2026-12-03 06:52:39.56394{i}+00:00"),
                &format!(r#"{{"note":"batch 0 item {i}"}}"#),
                "",
            )
        })
        .collect();
    assert_taken(&answer(&rows));
    assert_taken(r#"{"result":[]}"#);
    assert_taken(" { \"result\" : [ ] , \"more\" : {\"a\": [1, 2.5, -0, true, false, null]} } \n");
}

#[test]
fn takes_every_utc_shape_of_created_at() {
    for at in [
        "2025-03-14T09:26:53.589000Z",
        "2025-03-14T09:26:53.000000Z",
        "2025-03-14 09:26:53",
        "2025-03-14t09:26:53.5z",
        "2024-02-29T23:59:59.123456789-00:00",
        "0000-02-29 00:00:00+0000",
        "9999-12-31 23:59:59+00",
    ] {
        assert_taken(&answer(&[row("a", at, "{}", "")]));
    }
}

#[test]
fn takes_payloads_and_unknown_keys_of_any_shape() {
    for payload in [
        r#"{"note":"she said \"hi\"\n\u00e9 \ud83d\ude00 🎉"}"#,
        r#"{"emoji":"👍","detoned":"👍","alias":":thumbs_up:","detoned_alias":":thumbs_up:"}"#,
        r#"{"score":0.95,"n":12345678901234567890123,"e":1e-05,"big":-1.5E+280,"l":[[]],"o":{}}"#,
        r#"{ "spaced" : [ 1 , { } ] }"#,
        "null",
    ] {
        assert_taken(&answer(&[row("a", "2025-03-14T09:26:53Z", payload, "")]));
    }
    let extra = r#""future":{"deep":[1,{"x":"y\\z"}]},"also":"\u00e9","#;
    assert_taken(&answer(&[row("a", "2025-03-14T09:26:53Z", "{}", extra)]));
    // Optional keys may be missing altogether.
    assert_taken(
        r#"{"result":[{"id":"a","project_id":"e/p","weave_ref":"r","feedback_type":"t","created_at":"2025-03-14T09:26:53Z"}]}"#,
    );
}

#[test]
fn declines_what_it_cannot_show_it_reads_as_the_reference() {
    let at = "2025-03-14T09:26:53Z";
    for (why, body) in [
        ("escape in a row's string", answer(&[row("a\\u0041", at, "{}", "")])),
        ("offset", answer(&[row("a", "2025-03-14T09:26:53+02:00", "{}", "")])),
        ("leap second", answer(&[row("a", "2016-12-31T23:59:60Z", "{}", "")])),
        ("bad day", answer(&[row("a", "2025-02-29T09:26:53Z", "{}", "")])),
        ("padded", answer(&[row("a", " 2025-03-14T09:26:53Z", "{}", "")])),
        ("duplicate key", answer(&[row("a", at, "{}", r#""id":"b","#)])),
        ("duplicate null key", answer(&[row("a", at, "{}", r#""creator":null,"#)])),
        ("payload not an object", answer(&[row("a", at, "[1]", "")])),
        ("number out of range", answer(&[row("a", at, r#"{"x":1e400}"#, "")])),
        ("long integer", answer(&[row("a", at, &format!(r#"{{"x":{}}}"#, "9".repeat(400)), "")])),
        ("serde_json's raw value key", answer(&[row("a", at, r#"{"x":{"$serde_json::private::RawValue":"1"}}"#, "")])),
        ("an escaped key", answer(&[row("a", at, r#"{"x":{"\u0024serde_json::private::RawValue":"1"}}"#, "")])),
        ("lone surrogate", answer(&[row("a", at, r#"{"x":"\ud800"}"#, "")])),
        ("lone low surrogate", answer(&[row("a", at, r#"{"x":"\udc00\ud800"}"#, "")])),
        ("high then not low", answer(&[row("a", at, r#"{"x":"\ud800\u0041"}"#, "")])),
        ("bad escape", answer(&[row("a", at, r#"{"x":"\q"}"#, "")])),
        ("leading zero", answer(&[row("a", at, r#"{"x":01}"#, "")])),
        ("bare point", answer(&[row("a", at, r#"{"x":1.}"#, "")])),
        ("deep", answer(&[row("a", at, &format!("{}{}", "[".repeat(120), "]".repeat(120)), "")])),
        ("trailing comma", answer(&[row("a", at, "{}", "")]).replace("]}", ",]}")),
        ("garbage after", answer(&[]) + "x"),
        ("duplicate result", r#"{"result":[],"result":[]}"#.to_owned()),
        ("no result", r#"{"other":1}"#.to_owned()),
        ("row as a list", r#"{"result":[["a","e/p","r",null,"t",{},null,null,null,null,null,null,"2025-03-14T09:26:53Z"]]}"#.to_owned()),
        ("missing id", answer(&[row("a", at, "{}", "")]).replace(r#""id":"a","#, "")),
        ("id null", answer(&[row("a", at, "{}", "")]).replace(r#""id":"a""#, r#""id":null"#)),
        ("control character", answer(&[row("a\t", at, "{}", "")])),
    ] {
        assert_eq!(scan_check(body.as_bytes()), ScanOutcome::Declined, "{why}: {body}");
    }
    assert_declined("\u{feff}{\"result\":[]}");
}

#[test]
fn keys_in_another_order_or_spaced_are_read_all_the_same() {
    let a = row("a", "2025-03-14T09:26:53Z", r#"{"n":1}"#, "");
    let b = r#"{ "created_at" : "2025-03-14T09:26:54Z" , "id" : "b", "feedback_type":"t",
        "project_id":"e/p", "payload" : null, "weave_ref":"r", "creator": "c" }"#;
    assert_taken(&answer(&[a.clone(), b.to_owned(), a.clone(), a]));
}

#[test]
fn the_fuzz_seeds_are_read_as_the_reference_reads_them() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/scan_equivalence");
    let mut taken = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let outcome = scan_check(&std::fs::read(&path).unwrap());
        assert!(
            !matches!(outcome, ScanOutcome::Mismatch(_)),
            "{path:?}: {outcome:?}"
        );
        if outcome == ScanOutcome::Taken {
            taken.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    taken.sort();
    for name in [
        "payload_escaped",
        "payload_shapes",
        "reaction",
        "real_answer_3_rows",
        "spaced",
        "ts_0",
        "ts_1",
        "ts_2",
    ] {
        assert!(
            taken.iter().any(|t| t == name),
            "{name} declined; taken: {taken:?}"
        );
    }
}

#[test]
fn utf8_is_checked_in_every_string_it_reads() {
    let at = "2025-03-14T09:26:53Z";
    // Two-, three- and four-byte characters in a row's own string and in the payload.
    let taken = answer(&[row(
        "é€🎉",
        at,
        r#"{"note":"é€🎉 and more text after it"}"#,
        "",
    )]);
    assert_taken(&taken);
    let body = answer(&[row("ID", at, r#"{"note":"NOTE"}"#, r#""extra":"EXTRA","#)]);
    for bad in [
        &[0xC0, 0x80][..],
        &[0xED, 0xA0, 0x80],
        &[0x80],
        &[0xE2, 0x82],
        &[0xF4, 0x90, 0x80, 0x80],
        &[0xFF],
    ] {
        for spot in ["ID", "NOTE", "EXTRA", "note", "extra"] {
            let at = body.find(spot).unwrap();
            let mut bytes = body.as_bytes().to_vec();
            bytes.splice(at..at + 1, bad.iter().copied());
            assert_eq!(
                scan_check(&bytes),
                ScanOutcome::Declined,
                "{bad:x?} in {spot}"
            );
        }
    }
}

/// The row the reference would refuse (never made by the scan): it still has every value.
#[test]
fn a_row_the_reference_would_refuse_keeps_its_values() {
    let text = b"id\0p\0r\0t\0[1]\0late\0".to_vec();
    let at = |start: u32, len: u32| Span { start, len };
    let mut spans = [Span::ABSENT; WIRE_FIELDS];
    spans[WireField::Id as usize] = at(0, 2);
    spans[WireField::ProjectId as usize] = at(3, 1);
    spans[WireField::WeaveRef as usize] = at(5, 1);
    spans[WireField::FeedbackType as usize] = at(7, 1);
    spans[WireField::Payload as usize] = at(9, 3);
    spans[WireField::CreatedAt as usize] = at(13, 4);
    let mut created_at_rfc3339 = [0u8; 32];
    created_at_rfc3339[..20].copy_from_slice(b"2025-03-14T09:26:53Z");
    let scanned = Scanned {
        text,
        rows: vec![ScannedRow {
            spans,
            created_at_rfc3339,
        }],
    };
    let rows = scanned.build_rows();
    assert_eq!(rows.len(), 1);
    let f = &rows[0];
    assert_eq!((f.id.as_str(), f.weave_ref.as_str()), ("id", "r"));
    assert_eq!(f.payload_json(), "[1]");
    assert!(f.payload.is_empty());
    assert_eq!(f.created_at_rfc3339(), "2025-03-14T09:26:53Z");
}

/// The README tells C users what a list holds: the answer and about 150 bytes per row (this,
/// and the handle's 16-byte row).
#[test]
fn a_scanned_row_takes_136_bytes() {
    assert_eq!(std::mem::size_of::<ScannedRow>(), 136);
}
