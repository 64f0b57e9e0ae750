//! Python's `json.dumps`, reproduced where its exact output matters to us.
//!
//! Two places depend on it: the server measures the payload size limit on
//! `json.dumps(payload)` (ASCII escaping, `", "`/`": "` separators), and the SDK's table shows
//! custom payloads as `json.dumps(payload, indent=2)`. `text` writes JSON text in those
//! layouts (keeping integers beyond 64 bits exact); this module counts the size of a `Value`
//! without writing it (the size check of every add).

use serde_json::Value;

pub mod text;

/// `len(json.dumps(value))` in characters, computed without building the string.
pub fn dumps_len(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(n) => number(n).len(),
        Value::String(s) => string_len(s),
        Value::Array(a) if a.is_empty() => 2,
        Value::Array(a) => 2 + a.iter().map(dumps_len).sum::<usize>() + 2 * (a.len() - 1),
        Value::Object(o) => dumps_len_object(o),
    }
}

/// [`dumps_len`] of an object, without wrapping it in a [`Value`].
pub fn dumps_len_object(o: &serde_json::Map<String, Value>) -> usize {
    if o.is_empty() {
        return 2;
    }
    2 + o
        .iter()
        .map(|(k, v)| string_len(k) + 2 + dumps_len(v))
        .sum::<usize>()
        + 2 * (o.len() - 1)
}

fn string_len(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c if c.is_ascii() => 1,
            c if (c as u32) > 0xFFFF => 12,
            _ => 6,
        })
        .sum::<usize>()
}

/// Python's float `repr` for the common cases (`1.0`, `0.5`, `1e+100`); integers verbatim.
pub(crate) fn number(n: &serde_json::Number) -> String {
    if n.is_f64() {
        float_repr(n.as_f64().unwrap_or(0.0))
    } else {
        n.to_string()
    }
}

/// Python's `repr` of a finite float.
pub(crate) fn float_repr(f: f64) -> String {
    let s = format!("{f:?}");
    // Rust prints 1e100 / 1e-7; Python prints 1e+100 / 1e-07.
    if let Some((mant, exp)) = s.split_once('e') {
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mant}e{sign}{digits:0>2}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `dumps_len` counts what `json.dumps` writes (`text::rewrite` in its layout).
    fn written(v: &Value) -> String {
        text::rewrite(&v.to_string(), &text::DUMPS).unwrap()
    }

    #[test]
    fn size_is_that_of_python_dumps() {
        let v = json!({"a": 1, "b": [true, null, 0.5], "é": "🎉\n"});
        // python3 -c 'import json; print(json.dumps({"a": 1, "b": [True, None, 0.5], "é": "🎉\n"}))'
        let want = r#"{"a": 1, "b": [true, null, 0.5], "\u00e9": "\ud83c\udf89\n"}"#;
        assert_eq!(written(&v), want);
        assert_eq!(dumps_len(&v), want.chars().count());
    }

    #[test]
    fn floats_like_python_repr() {
        assert_eq!(number(&serde_json::Number::from_f64(1.0).unwrap()), "1.0");
        assert_eq!(written(&json!(1e100)), "1e+100");
        assert_eq!(written(&json!(1e-7)), "1e-07");
        assert_eq!(dumps_len(&json!(1e100)), 6);
    }

    #[test]
    fn size_of_two_hundred_thousand_e_acute() {
        let v = json!({ "note": "é".repeat(200_000) });
        assert_eq!(dumps_len(&v), 2 + 6 + 2 + 2 + 6 * 200_000);
        assert_eq!(dumps_len(&v), written(&v).chars().count());
    }
}
