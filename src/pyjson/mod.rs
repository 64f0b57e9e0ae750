//! Python's `json.dumps`, reproduced where its exact output matters to us.
//!
//! Two places depend on it: the server measures the payload size limit on
//! `json.dumps(payload)` (ASCII escaping, `", "`/`": "` separators), and the SDK's table shows
//! custom payloads as `json.dumps(payload, indent=2)`. `text` does the same from JSON text,
//! keeping integers beyond 64 bits exact.

use serde_json::Value;

pub mod text;

/// `json.dumps(value)` with default settings (the local store writes payloads with it, as
/// the server does).
#[cfg_attr(not(any(test, feature = "local-store")), allow(dead_code))]
pub fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write(value, None, 0, &mut out);
    out
}

/// `json.dumps(value, indent=2)`.
pub fn dumps_indent2(value: &Value) -> String {
    let mut out = String::new();
    write(value, Some(2), 0, &mut out);
    out
}

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
fn number(n: &serde_json::Number) -> String {
    if n.is_f64() {
        float_repr(n.as_f64().unwrap_or(0.0))
    } else {
        n.to_string()
    }
}

/// Python's `repr` of a finite float.
fn float_repr(f: f64) -> String {
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

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && (c as u32) >= 0x20 => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

fn write(value: &Value, indent: Option<usize>, level: usize, out: &mut String) {
    let (item_sep, newline) = match indent {
        Some(_) => (",", true),
        None => (", ", false),
    };
    let pad = |out: &mut String, level: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * level));
        }
    };
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => write_string(s, out),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Object(o) if o.is_empty() => out.push_str("{}"),
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                pad(out, level + 1);
                write(v, indent, level + 1, out);
            }
            if newline {
                pad(out, level);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, v)) in o.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                pad(out, level + 1);
                write_string(k, out);
                out.push_str(": ");
                write(v, indent, level + 1, out);
            }
            if newline {
                pad(out, level);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn default_dumps_matches_python() {
        let v = json!({"a": 1, "b": [true, null, 0.5], "é": "🎉\n"});
        // python3 -c 'import json; print(json.dumps({"a": 1, "b": [True, None, 0.5], "é": "🎉\n"}))'
        let want = r#"{"a": 1, "b": [true, null, 0.5], "\u00e9": "\ud83c\udf89\n"}"#;
        assert_eq!(dumps(&v), want);
        assert_eq!(dumps_len(&v), want.chars().count());
    }

    #[test]
    fn indent2_matches_python() {
        let v = json!({"score": 4, "tags": ["a", "b"], "empty": {}, "none": []});
        let want = "{\n  \"score\": 4,\n  \"tags\": [\n    \"a\",\n    \"b\"\n  ],\n  \"empty\": {},\n  \"none\": []\n}";
        assert_eq!(dumps_indent2(&v), want);
        assert_eq!(dumps_indent2(&json!({})), "{}");
    }

    #[test]
    fn floats_like_python_repr() {
        assert_eq!(dumps(&json!(1.0)), "1.0");
        assert_eq!(dumps(&json!(1e100)), "1e+100");
        assert_eq!(dumps(&json!(1e-7)), "1e-07");
        assert_eq!(dumps_len(&json!(1e100)), 6);
    }

    #[test]
    fn size_of_two_hundred_thousand_e_acute() {
        let v = json!({ "note": "é".repeat(200_000) });
        assert_eq!(dumps_len(&v), 2 + 6 + 2 + 2 + 6 * 200_000);
        assert_eq!(dumps_len(&v), dumps(&v).chars().count());
    }
}
