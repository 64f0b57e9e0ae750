//! JSON text rewritten in another layout with its numbers as Python reads them, never through
//! an `f64` for integers: `12345678901234567890123` keeps every digit, as it does in Python
//! (where `json.loads` makes it an `int`), while `serde_json::Value` would round it.
//!
//! Numbers follow Python's `json.loads` then `json.dumps`: an integer literal is written as is
//! (`-0` as `0`), any other number as the float's `repr` (`1E2` → `100.0`, `1e22` → `1e+22`).
//! The input is JSON that `serde_json` has already accepted (a number that no `f64` holds, such
//! as `1e400`, is refused there); anything else gives `None`, never a panic. Duplicate keys are
//! written as they come (Python keeps the last).

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// A layout: separators, indentation, whether non-ASCII text is escaped, how floats look.
pub struct Style {
    item_sep: &'static str,
    key_sep: &'static str,
    indent: Option<usize>,
    ascii: bool,
    float: fn(f64) -> String,
}

/// `json.dumps(v)`: what Weave's server stores and measures the 1 MiB limit on.
pub const DUMPS: Style = Style {
    item_sep: ", ",
    key_sep: ": ",
    indent: None,
    ascii: true,
    float: super::float_repr,
};
/// `json.dumps(v, indent=2)`: the SDK's table cell of a custom payload.
pub const DUMPS_INDENT2: Style = Style {
    item_sep: ",",
    key_sep: ": ",
    indent: Some(2),
    ascii: true,
    float: super::float_repr,
};
/// Compact UTF-8, as Weave's server answers (pydantic's `model_dump_json`, whose floats differ
/// from Python's `repr`: `1e-7`, `0.00001`, `1e+22`). The local store answers with it.
#[cfg_attr(not(any(test, feature = "local-store")), allow(dead_code))]
pub const COMPACT: Style = Style {
    item_sep: ",",
    key_sep: ":",
    indent: None,
    ascii: false,
    float: pydantic_float,
};

/// A float as pydantic-core writes it, which is how serde_json writes it.
#[cfg_attr(not(any(test, feature = "local-store")), allow(dead_code))]
fn pydantic_float(f: f64) -> String {
    serde_json::to_string(&f).unwrap_or_default()
}

/// `text` in `style`; `None` when it is not JSON this module reads.
pub fn rewrite(text: &str, style: &Style) -> Option<String> {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    Writer {
        src: text.as_bytes(),
        text,
        at: 0,
        style,
        out: &mut out,
    }
    .document()?;
    Some(out)
}

/// `len(json.dumps(v))` in characters, for the payload size limit.
pub fn dumps_len(text: &str) -> Option<usize> {
    let mut count = CharCount(0);
    Writer {
        src: text.as_bytes(),
        text,
        at: 0,
        style: &DUMPS,
        out: &mut count,
    }
    .document()?;
    Some(count.0)
}

/// The value of the last member `key` of the JSON object `text`, as its text; `None` when
/// `text` is not an object or has no such member.
pub fn member<'a>(text: &'a str, key: &str) -> Option<&'a RawValue> {
    let entries: Vec<(std::borrow::Cow<'a, str>, &'a RawValue)> = entries(text)?;
    entries
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The members of the JSON object `text` in order, values as their text.
pub fn entries(text: &str) -> Option<Vec<(std::borrow::Cow<'_, str>, &RawValue)>> {
    struct Entries;
    impl<'de> serde::de::Visitor<'de> for Entries {
        type Value = Vec<(std::borrow::Cow<'de, str>, &'de RawValue)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(k) = map.next_key()? {
                out.push((k, map.next_value()?));
            }
            Ok(out)
        }
    }
    let mut d = serde_json::Deserializer::from_str(text);
    let v = serde::Deserializer::deserialize_map(&mut d, Entries).ok()?;
    d.end().ok()?;
    Some(v)
}

/// The JSON object `text` updated with `extra` as Python's `dict.update` does (a key already
/// there keeps its place and takes the new value, new keys go at the end), compact; every
/// other value stays exactly as written. `None` when `text` is not an object.
pub fn update(text: &str, extra: &Map<String, Value>) -> Option<String> {
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Member<'a> {
        Text(&'a RawValue),
        Value(&'a Value),
    }
    let mut members: Vec<(std::borrow::Cow<'_, str>, Member<'_>)> = Vec::new();
    for (k, v) in entries(text)? {
        let v = extra.get(k.as_ref()).map_or(Member::Text(v), Member::Value);
        match members.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => members.push((k, v)),
        }
    }
    for (k, v) in extra {
        if !members.iter().any(|(key, _)| key == k) {
            members.push((std::borrow::Cow::Borrowed(k), Member::Value(v)));
        }
    }
    let mut out = Vec::with_capacity(text.len() + 64);
    serde::Serializer::collect_map(&mut serde_json::Serializer::new(&mut out), members).ok()?;
    String::from_utf8(out).ok()
}

/// Where rewritten text goes: a string, or a count of its characters.
trait Sink {
    fn put(&mut self, s: &str);
}
impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}
struct CharCount(usize);
impl Sink for CharCount {
    fn put(&mut self, s: &str) {
        self.0 += s.chars().count();
    }
}

/// serde_json's nesting limit: deeper input never reaches here.
const MAX_DEPTH: usize = 128;

struct Writer<'a, S: Sink> {
    src: &'a [u8],
    text: &'a str,
    at: usize,
    style: &'a Style,
    out: &'a mut S,
}

impl<S: Sink> Writer<'_, S> {
    fn document(&mut self) -> Option<()> {
        self.value(0)?;
        self.skip_ws();
        (self.at == self.src.len()).then_some(())
    }

    fn skip_ws(&mut self) {
        while matches!(self.src.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.skip_ws();
        let hit = self.src.get(self.at) == Some(&b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn newline(&mut self, level: usize) {
        if let Some(n) = self.style.indent {
            self.out.put("\n");
            for _ in 0..n * level {
                self.out.put(" ");
            }
        }
    }

    fn value(&mut self, level: usize) -> Option<()> {
        if level > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        match *self.src.get(self.at)? {
            b'{' => self.container(level, b'}', true),
            b'[' => self.container(level, b']', false),
            b'"' => self.string(),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number(),
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.at + word.len();
        (self.text.get(self.at..end)? == word).then_some(())?;
        self.at = end;
        self.out.put(word);
        Some(())
    }

    /// An object (members `"key": value`) or an array, `{` or `[` at `self.at`.
    fn container(&mut self, level: usize, close: u8, object: bool) -> Option<()> {
        self.at += 1;
        if self.eat(close) {
            self.out.put(if object { "{}" } else { "[]" });
            return Some(());
        }
        self.out.put(if object { "{" } else { "[" });
        let mut first = true;
        loop {
            if !first {
                self.out.put(self.style.item_sep);
            }
            first = false;
            self.newline(level + 1);
            if object {
                self.skip_ws();
                self.string()?;
                self.eat(b':').then_some(())?;
                self.out.put(self.style.key_sep);
            }
            self.value(level + 1)?;
            if self.eat(close) {
                break;
            }
            self.eat(b',').then_some(())?;
        }
        self.newline(level);
        self.out.put(if object { "}" } else { "]" });
        Some(())
    }

    /// A string at `self.at`: copied when it needs no change, else decoded and escaped again.
    fn string(&mut self) -> Option<()> {
        let start = self.at;
        (self.src.get(start) == Some(&b'"')).then_some(())?;
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            match *self.src.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        self.at = i + 1;
        let token = self.text.get(start..self.at)?;
        if !escaped && (!self.style.ascii || token.is_ascii()) {
            self.out.put(token);
            return Some(());
        }
        let s: String = serde_json::from_str(token).ok()?;
        let mut buf = String::with_capacity(s.len() + 2);
        buf.push('"');
        for c in s.chars() {
            match c {
                '"' => buf.push_str("\\\""),
                '\\' => buf.push_str("\\\\"),
                '\n' => buf.push_str("\\n"),
                '\r' => buf.push_str("\\r"),
                '\t' => buf.push_str("\\t"),
                '\u{8}' => buf.push_str("\\b"),
                '\u{c}' => buf.push_str("\\f"),
                c if (c as u32) < 0x20 || (self.style.ascii && !c.is_ascii()) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        let _ = write!(buf, "\\u{unit:04x}");
                    }
                }
                c => buf.push(c),
            }
        }
        buf.push('"');
        self.out.put(&buf);
        Some(())
    }

    /// A number: an integer literal as written (Python's `int`), anything else as the
    /// float's `repr`.
    fn number(&mut self) -> Option<()> {
        let start = self.at;
        let mut integer = true;
        while let Some(&b) = self.src.get(self.at) {
            match b {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => integer = false,
                _ => break,
            }
            self.at += 1;
        }
        let token = self.text.get(start..self.at)?;
        if integer {
            let digits = token.strip_prefix('-').unwrap_or(token);
            let ok = !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && (digits == "0" || !digits.starts_with('0'));
            ok.then_some(())?;
            self.out.put(if digits == "0" { "0" } else { token });
        } else {
            let f: f64 = token.parse().ok().filter(|f: &f64| f.is_finite())?;
            self.out.put(&(self.style.float)(f));
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: &str = r#"{"a": 12345678901234567890123, "b": [-98765432109876543210, {"c": 1e22}], "d": -0, "e": 1E2, "f": "é\n🎉", "g": {}, "h": []}"#;

    #[test]
    fn integers_keep_every_digit_floats_as_python() {
        // python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])))' "$BIG"
        let want = r#"{"a": 12345678901234567890123, "b": [-98765432109876543210, {"c": 1e+22}], "d": 0, "e": 100.0, "f": "\u00e9\n\ud83c\udf89", "g": {}, "h": []}"#;
        assert_eq!(rewrite(BIG, &DUMPS).unwrap(), want);
        assert_eq!(dumps_len(BIG), Some(want.chars().count()));
        assert_eq!(
            rewrite(BIG, &COMPACT).unwrap(),
            r#"{"a":12345678901234567890123,"b":[-98765432109876543210,{"c":1e+22}],"d":0,"e":100.0,"f":"é\n🎉","g":{},"h":[]}"#
        );
    }

    #[test]
    fn compact_floats_as_pydantic() {
        // pydantic_core.to_json([1e22, -1e-7, 1e16, 1e15, 1e-5, 0.0001, 100.0, -0.0, 5e-324])
        let want = "[1e+22,-1e-7,1e+16,1000000000000000.0,0.00001,0.0001,100.0,-0.0,5e-324]";
        let input = "[1e22, -1e-7, 1e16, 1e15, 1e-5, 0.0001, 100, -0.0, 5e-324]";
        // (100 is an integer: written as is; 100.0 below.)
        assert_eq!(
            rewrite(input, &COMPACT).unwrap(),
            want.replace("100.0", "100")
        );
        assert_eq!(rewrite("1E2", &COMPACT).unwrap(), "100.0");
    }

    #[test]
    fn indent2_as_python() {
        let want = "{\n  \"a\": 12345678901234567890123,\n  \"b\": [\n    -98765432109876543210,\n    {\n      \"c\": 1e+22\n    }\n  ],\n  \"d\": 0,\n  \"e\": 100.0,\n  \"f\": \"\\u00e9\\n\\ud83c\\udf89\",\n  \"g\": {},\n  \"h\": []\n}";
        assert_eq!(rewrite(BIG, &DUMPS_INDENT2).unwrap(), want);
    }

    #[test]
    fn not_json_is_none_not_a_panic() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1e400",
            "tru",
            "\"abc",
            "[1] x",
            "{\"a\":1,}",
            "-",
            "1.2.3",
        ] {
            assert_eq!(rewrite(bad, &COMPACT), None, "{bad}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(rewrite(&deep, &COMPACT), None);
    }

    #[test]
    fn update_as_dict_update() {
        let extra = serde_json::json!({"b": "new", "z": 1});
        let extra = extra.as_object().unwrap();
        assert_eq!(
            update(
                r#"{"a": 12345678901234567890123, "b": 0, "c": [1e22]}"#,
                extra
            )
            .unwrap(),
            r#"{"a":12345678901234567890123,"b":"new","c":[1e22],"z":1}"#
        );
        assert_eq!(update("[]", extra), None);
    }

    #[test]
    fn members_as_text() {
        let text = r#"{"payload": {"n": 12345678901234567890123}, "x": 1, "payload": {"n": 1}}"#;
        assert_eq!(member(text, "payload").unwrap().get(), r#"{"n": 1}"#);
        assert_eq!(member(text, "x").unwrap().get(), "1");
        assert!(member(text, "y").is_none());
        assert!(member("[1]", "x").is_none());
        assert_eq!(entries(BIG).unwrap()[0].1.get(), "12345678901234567890123");
    }
}
