//! `weave:///` refs: parsing exactly as the Python SDK accepts them, with typed results.
//!
//! The caller's original string is kept and is what gets sent: the server matches feedback to
//! refs by exact string equality, so re-serialising (`object/foo` → `object/foo:latest`) would
//! silently split one target's feedback in two.
//!
//! Extra path parts are decoded as the SDK decodes them (Python's `urllib.parse.unquote`): a `%`
//! that starts no valid escape stays as it is, and escapes that are not UTF-8 become U+FFFD. The
//! SDK stores and matches such refs by their original string, and so does this crate.
//!
//! One deliberate difference from the SDK: an empty entity or project is refused here (the SDK
//! accepts the string and fails on the first request instead).
//!
//! `build` makes refs from their parts, as the SDK's `ObjectRef(...).uri` and friends do.

mod build;

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

const SCHEME: &str = "weave:///";

/// What a ref points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// An object version (`object/<name>:<version>`), optionally a path inside it.
    Object,
    /// An op version (`op/<name>:<version>`).
    Op,
    /// A call (`call/<id>`).
    Call,
    /// A table (`table/<digest>`).
    Table,
}

impl RefKind {
    /// The kind's path segment (`object`, `op`, `call`, `table`).
    pub fn as_str(self) -> &'static str {
        match self {
            RefKind::Object => "object",
            RefKind::Op => "op",
            RefKind::Call => "call",
            RefKind::Table => "table",
        }
    }
}

/// A parsed `weave:///` ref. Cheap to clone; displays as the original string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WeaveRef {
    uri: String,
    entity: String,
    project: String,
    kind: RefKind,
    name: String,
    version: Option<String>,
    extra: Vec<String>,
}

impl WeaveRef {
    /// Parses a ref the way the SDK's `Ref.parse_uri` (`weave/trace/refs.py`) does.
    pub fn parse(uri: &str) -> Result<WeaveRef> {
        let invalid = || Error::InvalidRef(format!("Invalid URI: {uri}"));
        let rest = uri.strip_prefix(SCHEME).ok_or_else(invalid)?;
        let segs: Vec<&str> = rest.split('/').collect();
        if segs.len() < 3 {
            return Err(invalid());
        }
        let (entity, project, kind) = (segs[0], segs[1], segs[2]);
        if entity.is_empty() {
            return Err(Error::InvalidRef(format!(
                "entity must be non-empty: {uri}"
            )));
        }
        if project.is_empty() {
            return Err(Error::InvalidRef(format!(
                "project must be non-empty: {uri}"
            )));
        }
        let kind = match kind {
            "object" => RefKind::Object,
            "op" => RefKind::Op,
            "call" => RefKind::Call,
            "table" => RefKind::Table,
            other => {
                return Err(Error::InvalidRef(format!(
                    "Unknown ref kind: {other} (in {uri})"
                )))
            }
        };
        let first = *segs.get(3).ok_or_else(|| {
            Error::InvalidRef(format!(
                "missing {} after '{}/': {uri}",
                if kind == RefKind::Call { "id" } else { "name" },
                kind.as_str()
            ))
        })?;
        let (name, version, extra) = match kind {
            RefKind::Table => {
                if first.contains(':') {
                    return Err(Error::InvalidRef(format!(
                        "digest cannot contain ':': {uri}"
                    )));
                }
                (first.to_string(), None, Vec::new())
            }
            RefKind::Call => (first.to_string(), None, decode_extra(&segs[4..])),
            RefKind::Object | RefKind::Op => {
                let (name, version) = match first.rsplit_once(':') {
                    Some((n, v)) => (n, v),
                    None => (first, "latest"),
                };
                if name.contains(':') {
                    return Err(Error::InvalidRef(format!("name cannot contain ':': {uri}")));
                }
                (
                    name.to_string(),
                    Some(version.to_string()),
                    decode_extra(&segs[4..]),
                )
            }
        };
        Ok(WeaveRef {
            uri: uri.to_string(),
            entity: entity.to_string(),
            project: project.to_string(),
            kind,
            name,
            version,
            extra,
        })
    }

    /// The original string, exactly as given.
    pub fn as_str(&self) -> &str {
        &self.uri
    }
    /// The entity (first path segment).
    pub fn entity(&self) -> &str {
        &self.entity
    }
    /// The project (second path segment).
    pub fn project(&self) -> &str {
        &self.project
    }
    /// `entity/project`, the id every request carries.
    pub fn project_id(&self) -> String {
        format!("{}/{}", self.entity, self.project)
    }
    /// What the ref points at.
    pub fn kind(&self) -> RefKind {
        self.kind
    }
    /// Object or op name, call id, or table digest.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The version of an object or op ref (`latest` when the ref names none); `None` otherwise.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    /// Whether an object or op ref spelled its version out (`name:version`).
    pub fn has_explicit_version(&self) -> bool {
        let body = self.uri[SCHEME.len()..].splitn(4, '/').nth(3).unwrap_or("");
        body.split('/').next().unwrap_or("").contains(':')
    }
    /// Decoded path parts after the name or call id (`["attr", "rows", "id", "…"]`).
    pub fn extra(&self) -> &[String] {
        &self.extra
    }
    /// The SDK's canonical form (`.uri`): `object/foo` becomes `object/foo:latest`. Never sent
    /// in place of the original string.
    pub fn canonical_uri(&self) -> String {
        let mut s = format!(
            "{SCHEME}{}/{}/{}/",
            self.entity,
            self.project,
            self.kind.as_str()
        );
        match &self.version {
            Some(v) => s.push_str(&format!("{}:{v}", self.name)),
            None => s.push_str(&self.name),
        }
        if !self.extra.is_empty() {
            s.push('/');
            let parts: Vec<String> = self.extra.iter().map(|e| escape_edge_value(e)).collect();
            s.push_str(&parts.join("/"));
        }
        s
    }
}

impl FromStr for WeaveRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<WeaveRef> {
        WeaveRef::parse(s)
    }
}

impl fmt::Display for WeaveRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri)
    }
}

/// Checks the rules the server applies to `annotation_ref`-style fields once it parses them
/// strictly:
/// an object or op ref with an explicit version and well-formed edge pairs.
pub(crate) fn check_strict_object_ref(r: &WeaveRef) -> std::result::Result<(), String> {
    if !matches!(r.kind, RefKind::Object | RefKind::Op) {
        return Err("must be an object ref".into());
    }
    if !r.has_explicit_version() {
        return Err("must name a version (name:digest)".into());
    }
    // The server reads `name:version/` (one empty part) as no extra parts; any other empty
    // part counts.
    let extra: &[String] = if r.extra == [""] { &[] } else { &r.extra };
    if !extra.len().is_multiple_of(2) {
        return Err("extra path parts must be edge/value pairs".into());
    }
    for (i, pair) in extra.chunks(2).enumerate() {
        match pair[0].as_str() {
            "key" | "attr" | "id" => {}
            "index" if is_python_int(&pair[1]) => {}
            "index" => return Err(format!("invalid list index at pair {i}: {:?}", pair[1])),
            other => return Err(format!("invalid edge name at pair {i}: {other:?}")),
        }
    }
    Ok(())
}

/// Whether Python's `int(text)` accepts `text` (ASCII digits): surrounding whitespace, a sign,
/// digits with single `_` between them, any length.
fn is_python_int(text: &str) -> bool {
    let t = text.trim();
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    !t.is_empty()
        && t.split('_')
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
}

fn decode_extra(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| unquote_edge_value(p)).collect()
}

/// Percent-encodes an edge value as the SDK does: every UTF-8 byte except `A-Za-z0-9_.-~`.
pub fn escape_edge_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes an edge value as the SDK does (Python's `urllib.parse.unquote`): `%XX` escapes
/// become bytes, a `%` not followed by two hex digits stays as it is, and bytes that are not
/// UTF-8 become U+FFFD (one per maximal invalid sequence, as Python's `errors="replace"`).
pub fn unquote_edge_value(value: &str) -> String {
    if !value.contains('%') {
        return value.to_string();
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = || {
            let h = bytes.get(i + 1..i + 3)?;
            let d = |c: u8| (c as char).to_digit(16);
            Some((d(h[0])? * 16 + d(h[1])?) as u8)
        };
        match (bytes[i], hex()) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    // Unescaped text is UTF-8 already; only escaped bytes can be invalid, and a raw character
    // never continues an escaped sequence (it starts with a lead byte), so decoding the whole
    // buffer replaces exactly what Python replaces escape run by escape run.
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes `%XX` escapes strictly: a malformed escape or a result that is not UTF-8 is an
/// error (refs themselves are decoded leniently, with [`unquote_edge_value`]).
pub fn unescape_edge_value(value: &str) -> std::result::Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                .ok_or_else(|| format!("bad percent escape at byte {i} of {value:?}"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("escapes in {value:?} do not decode to UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";

    #[test]
    fn call_ref() {
        let r = WeaveRef::parse(CALL).unwrap();
        assert_eq!(r.kind(), RefKind::Call);
        assert_eq!(r.name(), "0192f3a4-5b6c-7d8e-9f01-23456789abcd");
        assert_eq!(r.project_id(), "acme/chatbot");
        assert_eq!(r.as_str(), CALL);
        assert_eq!(r.to_string(), CALL);
        assert_eq!(r.canonical_uri(), CALL);
    }

    #[test]
    fn object_without_version_keeps_original_string() {
        let s = "weave:///acme/chatbot/object/rubric";
        let r: WeaveRef = s.parse().unwrap();
        assert_eq!(r.version(), Some("latest"));
        assert!(!r.has_explicit_version());
        assert_eq!(r.as_str(), s);
        assert_eq!(
            r.canonical_uri(),
            "weave:///acme/chatbot/object/rubric:latest"
        );
    }

    #[test]
    fn op_and_table_and_extra() {
        let r = WeaveRef::parse("weave:///acme/chatbot/op/grade_answer:v2").unwrap();
        assert_eq!(
            (r.kind(), r.name(), r.version()),
            (RefKind::Op, "grade_answer", Some("v2"))
        );
        let r = WeaveRef::parse("weave:///acme/chatbot/object/cfg:abc/key/a%2Fb/index/0").unwrap();
        assert_eq!(r.extra(), ["key", "a/b", "index", "0"]);
        assert_eq!(
            r.canonical_uri(),
            "weave:///acme/chatbot/object/cfg:abc/key/a%2Fb/index/0"
        );
        let r = WeaveRef::parse("weave:///acme/chatbot/table/Kp2/ignored/parts").unwrap();
        assert_eq!((r.kind(), r.name()), (RefKind::Table, "Kp2"));
        let r = WeaveRef::parse("weave:///acme/chatbot/object/n:v/").unwrap();
        assert_eq!(r.extra(), [""]);
        let r = WeaveRef::parse("weave:///acme/chatbot/call/").unwrap();
        assert_eq!(r.name(), "");
        let r = WeaveRef::parse("weave:///acme/chatbot/object/:abc").unwrap();
        assert_eq!((r.name(), r.version()), ("", Some("abc")));
    }

    #[test]
    fn invalid_refs_and_messages() {
        let cases = [
            (
                "weave://acme/chatbot/call/x",
                "Invalid URI: weave://acme/chatbot/call/x",
            ),
            ("WEAVE:///acme/chatbot/call/x", "Invalid URI"),
            ("weave:///acme/chatbot", "Invalid URI"),
            ("weave:///acme/chatbot/call", "missing id"),
            (
                "weave:///acme/chatbot/object/a:b:c",
                "name cannot contain ':'",
            ),
            (
                "weave:///acme/chatbot/table/ab:cd",
                "digest cannot contain ':'",
            ),
            (
                "weave:///acme/chatbot/artifact/x",
                "Unknown ref kind: artifact",
            ),
            ("weave:////chatbot/call/x", "entity must be non-empty"),
            ("weave:///acme//call/x", "project must be non-empty"),
            ("weave-trace-internal:///UHJvag==/call/x", "Invalid URI"),
            ("", "Invalid URI"),
        ];
        for (input, want) in cases {
            let err = WeaveRef::parse(input).unwrap_err();
            assert!(matches!(err, Error::InvalidRef(_)), "{input}");
            assert!(err.to_string().contains(want), "{input}: {err}");
        }
    }

    #[test]
    fn malformed_escapes_are_kept_as_the_sdk_keeps_them() {
        for (uri, extra) in [
            ("weave:///e/p/object/o:v/key/%zz", "%zz"),
            ("weave:///e/p/object/o:v/key/%4", "%4"),
            ("weave:///e/p/object/o:v/key/100%", "100%"),
            ("weave:///e/p/object/o:v/key/%FF", "\u{FFFD}"),
            ("weave:///e/p/object/o:v/key/%E2%82%41", "\u{FFFD}A"),
        ] {
            let r = WeaveRef::parse(uri).unwrap();
            assert_eq!(r.as_str(), uri);
            assert_eq!(r.extra(), ["key", extra], "{uri}");
        }
        let r = WeaveRef::parse("weave:///e/p/call/x/key/%zz").unwrap();
        assert_eq!(r.canonical_uri(), "weave:///e/p/call/x/key/%25zz");
    }

    #[test]
    fn escaping_round_trips() {
        let v = "a/b: c+%é~";
        let e = escape_edge_value(v);
        assert_eq!(e, "a%2Fb%3A%20c%2B%25%C3%A9~");
        assert_eq!(unescape_edge_value(&e).unwrap(), v);
        assert_eq!(unescape_edge_value("a+b").unwrap(), "a+b");
    }

    #[test]
    fn strict_rules_for_annotation_refs() {
        let ok = WeaveRef::parse("weave:///e/p/object/spec:abc").unwrap();
        assert!(check_strict_object_ref(&ok).is_ok());
        for ok in [
            "weave:///e/p/object/spec:abc/",
            "weave:///e/p/op/spec:abc/key/%zz",
            "weave:///e/p/object/spec:abc/index/%20+1_000",
            "weave:///e/p/object/spec:abc/index/-99999999999999999999999",
        ] {
            let r = WeaveRef::parse(ok).unwrap();
            assert!(check_strict_object_ref(&r).is_ok(), "{ok}");
        }
        for bad in [
            "weave:///e/p/object/spec",
            "weave:///e/p/call/x",
            "weave:///e/p/object/spec:abc/oops",
            "weave:///e/p/object/spec:abc/edge/x",
            "weave:///e/p/object/spec:abc/index/x",
            "weave:///e/p/object/spec:abc/key/x/",
            "weave:///e/p/object/spec:abc/index/1__0",
            "weave:///e/p/object/spec:abc/index/_1",
            "weave:///e/p/object/spec:abc/index/-",
        ] {
            let r = WeaveRef::parse(bad).unwrap();
            assert!(check_strict_object_ref(&r).is_err(), "{bad}");
        }
    }
}
