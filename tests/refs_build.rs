//! Refs from parts: the builders are the inverse of `WeaveRef::parse` (checked over many
//! generated inputs, characters that need escaping included), and they write exactly what the
//! Python SDK's `ObjectRef`/`OpRef`/`CallRef`/`TableRef` `.uri` writes; parsing decodes extra
//! parts exactly as the SDK's `Ref.parse_uri` does, malformed `%` escapes included (both
//! checked against weave 0.52.35 itself, run in the test venv).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use weave_feedback::{Error, RefKind, WeaveRef};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Text of 0..max characters, weighted towards those that need escaping or separate parts.
    fn text(&mut self, max: usize) -> String {
        const ALPHABET: &[&str] = &[
            "a", "Z", "0", "_", ".", "-", "~", "/", ":", "%", "%2F", "%zz", "%4", " ", "+", "?",
            "#", "&", "=", "é", "👍", "\u{FFFD}", "\u{0}", "\\", "\"", "'", "%25", "%C3%A9", "@",
        ];
        let n = self.below(max + 1);
        (0..n)
            .map(|_| ALPHABET[self.below(ALPHABET.len())])
            .collect()
    }
    /// A part written as it is: no separators, sometimes empty (then the builder refuses it).
    fn part(&mut self, forbidden: &[char]) -> String {
        let t = self.text(6);
        if self.below(8) == 0 {
            return t; // may hold a separator or be empty: exercises the refusals
        }
        let t: String = t.chars().filter(|c| !forbidden.contains(c)).collect();
        if t.is_empty() {
            "x".into()
        } else {
            t
        }
    }
}

struct Case {
    kind: RefKind,
    entity: String,
    project: String,
    name: String,
    version: Option<String>,
    extra: Vec<String>,
}

fn cases(n: usize) -> Vec<Case> {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let kind = [RefKind::Call, RefKind::Object, RefKind::Op, RefKind::Table][i % 4];
            let (name_forbidden, has_version): (&[char], bool) = match kind {
                RefKind::Call => (&['/'], false),
                RefKind::Table => (&['/', ':'], false),
                _ => (&['/', ':'], true),
            };
            let extra = if kind == RefKind::Table {
                Vec::new()
            } else {
                (0..g.below(5)).map(|_| g.text(5)).collect()
            };
            Case {
                kind,
                entity: g.part(&['/']),
                project: g.part(&['/']),
                name: g.part(name_forbidden),
                version: has_version.then(|| g.part(&['/', ':'])),
                extra,
            }
        })
        .collect()
}

fn build(c: &Case) -> Result<WeaveRef, Error> {
    let base = match c.kind {
        RefKind::Call => WeaveRef::call(&c.entity, &c.project, &c.name),
        RefKind::Object => WeaveRef::object(
            &c.entity,
            &c.project,
            &c.name,
            c.version.as_deref().unwrap(),
        ),
        RefKind::Op => WeaveRef::op(
            &c.entity,
            &c.project,
            &c.name,
            c.version.as_deref().unwrap(),
        ),
        RefKind::Table => WeaveRef::table(&c.entity, &c.project, &c.name),
    }?;
    if c.extra.is_empty() {
        Ok(base)
    } else {
        base.with_extra(&c.extra)
    }
}

/// Whether the parts can make a ref that parses back to them.
fn buildable(c: &Case) -> bool {
    let ok = |s: &str, forbidden: &[char]| !s.is_empty() && !s.contains(forbidden);
    ok(&c.entity, &['/'])
        && ok(&c.project, &['/'])
        && match c.kind {
            RefKind::Call => ok(&c.name, &['/']),
            RefKind::Table => ok(&c.name, &['/', ':']),
            _ => ok(&c.name, &['/', ':']) && ok(c.version.as_deref().unwrap(), &['/', ':']),
        }
}

#[test]
fn built_refs_parse_back_to_their_parts() {
    let (mut built, mut refused) = (0, 0);
    for c in cases(20_000) {
        match build(&c) {
            Ok(r) => {
                assert!(buildable(&c), "built from parts it should refuse: {r}");
                let p = WeaveRef::parse(r.as_str())
                    .unwrap_or_else(|e| panic!("{:?} does not parse: {e}", r.as_str()));
                assert_eq!(p, r, "{}", r.as_str());
                assert_eq!(
                    (p.entity(), p.project(), p.kind(), p.name()),
                    (
                        c.entity.as_str(),
                        c.project.as_str(),
                        c.kind,
                        c.name.as_str()
                    )
                );
                assert_eq!(p.version(), c.version.as_deref());
                assert_eq!(p.extra(), c.extra.as_slice(), "{}", r.as_str());
                assert!(!c.kind.eq(&RefKind::Object) || p.has_explicit_version());
                assert_eq!(p.canonical_uri(), r.as_str());
                built += 1;
            }
            Err(e) => {
                assert!(!buildable(&c), "refused buildable parts: {e}");
                assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
                refused += 1;
            }
        }
    }
    // The generator must exercise both sides.
    assert!(
        built > 15_000 && refused > 500,
        "built {built}, refused {refused}"
    );
}

/// Runs `script` in the test venv's Python with `input` on stdin; returns its JSON output.
fn python(script: &str, input: &Value) -> Value {
    let mut child = Command::new(common::python_path())
        .arg("-c")
        .arg(script)
        .env("WANDB_MODE", "disabled")
        .env("WEAVE_DISABLED", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

#[test]
fn built_refs_are_what_the_sdk_writes() {
    let cases: Vec<Case> = cases(3_000).into_iter().filter(buildable).collect();
    let input: Vec<Value> = cases
        .iter()
        .map(|c| {
            json!({"kind": c.kind.as_str(), "entity": c.entity, "project": c.project,
                   "name": c.name, "version": c.version, "extra": c.extra})
        })
        .collect();
    let sdk = python(
        r#"
import json, sys
from weave.trace.refs import CallRef, ObjectRef, OpRef, TableRef
out = []
for c in json.load(sys.stdin):
    k, e, p, n, x = c["kind"], c["entity"], c["project"], c["name"], tuple(c["extra"])
    if k == "call":
        r = CallRef(entity=e, project=p, id=n, _extra=x)
    elif k == "table":
        r = TableRef(entity=e, project=p, _digest=n)
    else:
        r = (ObjectRef if k == "object" else OpRef)(entity=e, project=p, name=n, _digest=c["version"], _extra=x)
    out.append(str(r.uri))
print(json.dumps(out))
"#,
        &Value::from(input),
    );
    let sdk = sdk.as_array().unwrap();
    assert_eq!(sdk.len(), cases.len());
    for (c, want) in cases.iter().zip(sdk) {
        assert_eq!(build(c).unwrap().as_str(), want.as_str().unwrap());
    }
}

#[test]
fn extra_parts_decode_as_the_sdk_decodes_them() {
    // Raw (unescaped) extra parts with malformed escapes, escapes that are not UTF-8, and
    // escapes next to raw non-ASCII text.
    let mut g = Gen(42);
    const PIECES: &[&str] = &[
        "%",
        "%z",
        "%4",
        "%41",
        "%e9",
        "%C3",
        "%A9",
        "%C3%A9",
        "%FF",
        "%E2%82",
        "%ED%A0%80",
        "%F0%9F%91%8D",
        "%F4%90%80%80",
        "%C0%80",
        "a",
        "é",
        "👍",
        "+",
        "%%",
        "%2",
        "%2f",
    ];
    let uris: Vec<String> = (0..2_000)
        .map(|i| {
            let parts: Vec<String> = (0..1 + g.below(3))
                .map(|_| {
                    (0..1 + g.below(4))
                        .map(|_| PIECES[g.below(PIECES.len())])
                        .collect()
                })
                .collect();
            let kind = ["object/o:v", "op/j:abc", "call/x"][i % 3];
            format!("weave:///e/p/{kind}/{}", parts.join("/"))
        })
        .collect();
    let sdk = python(
        r#"
import json, sys
from weave.trace.refs import Ref
print(json.dumps([list(Ref.parse_uri(u).extra) for u in json.load(sys.stdin)]))
"#,
        &json!(uris),
    );
    for (uri, want) in uris.iter().zip(sdk.as_array().unwrap()) {
        let r = WeaveRef::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
        assert_eq!(r.as_str(), uri);
        let want: Vec<&str> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(r.extra(), want.as_slice(), "{uri}");
    }
}
