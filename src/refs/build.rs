//! Refs from their parts: the inverse of [`WeaveRef::parse`], as the SDK's `ObjectRef`, `OpRef`,
//! `CallRef` and `TableRef` build their `.uri` (`weave/trace/refs.py`).
//!
//! Entity, project, name, version, call id and digest go into the string as they are (the SDK
//! escapes none of them), so each is checked to be non-empty and free of the separators that
//! would make the string parse back differently (`/` everywhere, `:` in names, versions and
//! digests). Extra path parts may hold anything: they are percent-escaped as the SDK's
//! `extra_value_quoter` escapes them.

use super::{RefKind, WeaveRef};
use crate::error::{Error, Result};

fn bad(what: &str, why: &str) -> Error {
    Error::InvalidArgument(format!("{what} {why}"))
}

/// A part written into the ref as it is: non-empty, and none of `forbidden`.
fn check_part(what: &str, value: &str, forbidden: &[char]) -> Result<()> {
    if value.is_empty() {
        return Err(bad(what, "must be non-empty"));
    }
    if let Some(c) = forbidden.iter().find(|c| value.contains(**c)) {
        return Err(bad(what, &format!("cannot contain '{c}'")));
    }
    Ok(())
}

fn check_project(entity: &str, project: &str) -> Result<()> {
    check_part("entity", entity, &['/'])?;
    check_part("project", project, &['/'])
}

impl WeaveRef {
    /// Builds from checked parts; the string is the canonical form, as the SDK's `.uri`.
    fn from_parts(
        entity: &str,
        project: &str,
        kind: RefKind,
        name: &str,
        version: Option<&str>,
        extra: Vec<String>,
    ) -> WeaveRef {
        let mut r = WeaveRef {
            uri: String::new(),
            entity: entity.to_string(),
            project: project.to_string(),
            kind,
            name: name.to_string(),
            version: version.map(str::to_string),
            extra,
        };
        r.uri = r.canonical_uri();
        r
    }

    /// A call ref, `weave:///<entity>/<project>/call/<id>` (the SDK's `CallRef(...).uri`).
    /// Refused (`InvalidArgument`): an empty part, or a `/` in any of them.
    pub fn call(entity: &str, project: &str, id: &str) -> Result<WeaveRef> {
        check_project(entity, project)?;
        check_part("call id", id, &['/'])?;
        Ok(Self::from_parts(
            entity,
            project,
            RefKind::Call,
            id,
            None,
            Vec::new(),
        ))
    }

    /// An object version ref, `weave:///<entity>/<project>/object/<name>:<version>` (the SDK's
    /// `ObjectRef(...).uri`). Refused (`InvalidArgument`): an empty part, a `/` in any of them,
    /// a `:` in the name or version.
    pub fn object(entity: &str, project: &str, name: &str, version: &str) -> Result<WeaveRef> {
        Self::versioned(RefKind::Object, entity, project, name, version)
    }

    /// An op version ref, `weave:///<entity>/<project>/op/<name>:<version>` (the SDK's
    /// `OpRef(...).uri`), with the rules of [`WeaveRef::object`].
    pub fn op(entity: &str, project: &str, name: &str, version: &str) -> Result<WeaveRef> {
        Self::versioned(RefKind::Op, entity, project, name, version)
    }

    fn versioned(
        kind: RefKind,
        entity: &str,
        project: &str,
        name: &str,
        version: &str,
    ) -> Result<WeaveRef> {
        check_project(entity, project)?;
        check_part("name", name, &['/', ':'])?;
        check_part("version", version, &['/', ':'])?;
        Ok(Self::from_parts(
            entity,
            project,
            kind,
            name,
            Some(version),
            Vec::new(),
        ))
    }

    /// A table ref, `weave:///<entity>/<project>/table/<digest>` (the SDK's `TableRef(...).uri`).
    /// Refused (`InvalidArgument`): an empty part, a `/` in any of them, a `:` in the digest.
    pub fn table(entity: &str, project: &str, digest: &str) -> Result<WeaveRef> {
        check_project(entity, project)?;
        check_part("digest", digest, &['/', ':'])?;
        Ok(Self::from_parts(
            entity,
            project,
            RefKind::Table,
            digest,
            None,
            Vec::new(),
        ))
    }

    /// This ref with more path parts after the name or call id (the SDK's `with_extra`): each
    /// part is percent-escaped, so any text is allowed. The result's string is the canonical
    /// form (`object/foo` becomes `object/foo:latest/...`, as the SDK's `.uri`). A table ref
    /// takes no extra parts (`InvalidArgument`), as in the SDK.
    pub fn with_extra<I, S>(&self, parts: I) -> Result<WeaveRef>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        if self.kind == RefKind::Table {
            return Err(Error::InvalidArgument(format!(
                "a table ref takes no extra path parts: {}",
                self.uri
            )));
        }
        let mut extra = self.extra.clone();
        extra.extend(parts.into_iter().map(|p| p.as_ref().to_string()));
        Ok(Self::from_parts(
            &self.entity,
            &self.project,
            self.kind,
            &self.name,
            self.version.as_deref(),
            extra,
        ))
    }

    /// `with_extra(["key", key])`: a dict key inside the object (the SDK's `with_key`).
    pub fn with_key(&self, key: &str) -> Result<WeaveRef> {
        self.with_extra(["key", key])
    }

    /// `with_extra(["attr", attr])`: an attribute (the SDK's `with_attr`).
    pub fn with_attr(&self, attr: &str) -> Result<WeaveRef> {
        self.with_extra(["attr", attr])
    }

    /// `with_extra(["index", index])`: a list element (the SDK's `with_index`).
    pub fn with_index(&self, index: i64) -> Result<WeaveRef> {
        self.with_extra(["index", &index.to_string()])
    }

    /// `with_extra(["id", digest])`: a table row (the SDK's `with_item`).
    pub fn with_item(&self, row_digest: &str) -> Result<WeaveRef> {
        self.with_extra(["id", row_digest])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_as_the_sdk_writes_it() {
        let c = WeaveRef::call("acme", "chatbot", "0192f3a4").unwrap();
        assert_eq!(c.as_str(), "weave:///acme/chatbot/call/0192f3a4");
        let o = WeaveRef::object("acme", "chatbot", "rubric", "v3").unwrap();
        assert_eq!(o.as_str(), "weave:///acme/chatbot/object/rubric:v3");
        let o = o.with_attr("rows").unwrap().with_item("d/1").unwrap();
        assert_eq!(
            o.as_str(),
            "weave:///acme/chatbot/object/rubric:v3/attr/rows/id/d%2F1"
        );
        assert_eq!(o.extra(), ["attr", "rows", "id", "d/1"]);
        let p = WeaveRef::op("acme", "chatbot", "judge", "abc").unwrap();
        assert_eq!(
            p.with_key("a b").unwrap().with_index(-2).unwrap().as_str(),
            "weave:///acme/chatbot/op/judge:abc/key/a%20b/index/-2"
        );
        let t = WeaveRef::table("acme", "chatbot", "Kp2").unwrap();
        assert_eq!(t.as_str(), "weave:///acme/chatbot/table/Kp2");
        assert!(matches!(t.with_key("x"), Err(Error::InvalidArgument(_))));
        let c = c.with_extra(["", "%"]).unwrap();
        assert_eq!(c.as_str(), "weave:///acme/chatbot/call/0192f3a4//%25");
    }

    #[test]
    fn parsed_refs_extend_from_their_canonical_form() {
        let r = WeaveRef::parse("weave:///e/p/object/foo").unwrap();
        assert_eq!(
            r.with_key("k").unwrap().as_str(),
            "weave:///e/p/object/foo:latest/key/k"
        );
    }

    #[test]
    fn parts_that_would_not_parse_back_are_refused() {
        let cases: Vec<(Result<WeaveRef>, &str)> = vec![
            (WeaveRef::call("", "p", "x"), "entity must be non-empty"),
            (WeaveRef::call("e/x", "p", "x"), "entity cannot contain '/'"),
            (WeaveRef::call("e", "", "x"), "project must be non-empty"),
            (WeaveRef::call("e", "p", ""), "call id must be non-empty"),
            (
                WeaveRef::call("e", "p", "a/b"),
                "call id cannot contain '/'",
            ),
            (
                WeaveRef::object("e", "p", "a:b", "v"),
                "name cannot contain ':'",
            ),
            (
                WeaveRef::op("e", "p", "a/b", "v"),
                "name cannot contain '/'",
            ),
            (
                WeaveRef::object("e", "p", "a", ""),
                "version must be non-empty",
            ),
            (
                WeaveRef::object("e", "p", "a", "v:1"),
                "version cannot contain ':'",
            ),
            (
                WeaveRef::table("e", "p", "d:1"),
                "digest cannot contain ':'",
            ),
        ];
        for (got, want) in cases {
            let e = got.unwrap_err();
            assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
            assert!(e.to_string().contains(want), "{e} (want {want})");
        }
    }
}
