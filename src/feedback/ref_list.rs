//! `Refs`: the distinct refs of a result, as the SDK's `Refs` list.

use std::sync::Arc;

use crate::error::Result;
use crate::refs::{RefKind, WeaveRef};

/// Distinct ref strings, in first-seen order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Refs {
    refs: Arc<[String]>,
}

impl Refs {
    /// Wraps a list of ref strings.
    pub fn new(refs: Vec<String>) -> Refs {
        Refs { refs: refs.into() }
    }
    /// Number of refs.
    pub fn len(&self) -> usize {
        self.refs.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }
    /// Ref `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.refs.get(index).map(String::as_str)
    }
    /// Iterates over the ref strings.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.refs.iter().map(String::as_str)
    }
    /// Parses every ref; strings that are not valid `weave:///` refs give an error each.
    pub fn parsed(&self) -> Vec<Result<WeaveRef>> {
        self.refs.iter().map(|r| WeaveRef::parse(r)).collect()
    }
    /// Only the call refs (the SDK's `call_refs()`).
    pub fn call_refs(&self) -> Refs {
        Refs::new(
            self.refs
                .iter()
                .filter(|r| WeaveRef::parse(r).is_ok_and(|p| p.kind() == RefKind::Call))
                .cloned()
                .collect(),
        )
    }
}
