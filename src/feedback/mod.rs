//! Feedback rows as the server returns them: the row type ([`Feedback`], `row.rs`), the
//! `Feedbacks` collection (here; what it holds, `lazy_rows.rs`), decoding query answers
//! (`decode.rs`, and the fast path for the C handle, `scan/`), the SDK's plain-text table
//! (`table.rs`) and `Refs` (`ref_list.rs`).
//!
//! Results are immutable and shared (`Arc`), so a query's cache, a caller's copy and a C handle
//! can all point at one allocation, and any number of threads may read it.

use std::collections::HashSet;
use std::fmt;
use std::ops::Index;
use std::sync::Arc;

mod decode;
mod lazy_rows;
mod ref_list;
mod row;
pub(crate) mod scan;
#[doc(hidden)]
pub use scan::{scan_check, scan_count, ScanOutcome};
mod table;
#[cfg(test)]
pub(crate) mod test_rows;

use lazy_rows::LazyRows;
pub use ref_list::Refs;
pub use row::Feedback;
use scan::Scanned;

/// The reaction feedback type.
pub const REACTION_TYPE: &str = "wandb.reaction.1";
/// The note feedback type.
pub const NOTE_TYPE: &str = "wandb.note.1";

/// An immutable, shareable list of feedback rows (server order: `created_at` ascending).
#[derive(Clone)]
pub struct Feedbacks {
    rows: Arc<LazyRows>,
    show_refs: bool,
}

impl Feedbacks {
    /// Wraps rows; `show_refs` adds the Ref column to the table.
    pub fn new(rows: Vec<Feedback>, show_refs: bool) -> Feedbacks {
        Feedbacks {
            rows: Arc::new(LazyRows::built(rows)),
            show_refs,
        }
    }

    /// A scanned answer, for the C handle: its rows are built only if Rust code asks for them.
    pub(crate) fn from_scanned(scanned: Scanned, show_refs: bool) -> Feedbacks {
        Feedbacks {
            rows: Arc::new(LazyRows::scanned(scanned)),
            show_refs,
        }
    }

    /// The scanned answer, when these rows came from one (the C handle reads it in place).
    #[cfg(any(feature = "capi", test))]
    pub(crate) fn scanned(&self) -> Option<&Scanned> {
        self.rows.scanned_answer()
    }

    /// Whether the rows are built (see `LazyRows::is_built`).
    #[cfg(test)]
    pub(crate) fn rows_built(&self) -> bool {
        self.rows.is_built()
    }

    /// The last row's id (the key a walk goes on from), without building a scanned answer's
    /// rows.
    pub(crate) fn last_id(&self) -> Option<String> {
        self.rows.last_id()
    }

    /// The rows, without a copy when this is their only holder and they are built.
    pub(crate) fn into_rows(self) -> Vec<Feedback> {
        Arc::try_unwrap(self.rows)
            .map(LazyRows::into_rows)
            .unwrap_or_else(|shared| shared.rows().to_vec())
    }

    /// Number of rows (a scanned answer's rows are not built for it).
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<&Feedback> {
        self.as_slice().get(index)
    }
    /// Iterates over the rows in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Feedback> {
        self.as_slice().iter()
    }
    /// The rows as a slice.
    pub fn as_slice(&self) -> &[Feedback] {
        self.rows.rows()
    }
    /// Whether the table shows the Ref column.
    pub fn show_refs(&self) -> bool {
        self.show_refs
    }

    /// The distinct `weave_ref` values in first-seen order.
    pub fn refs(&self) -> Refs {
        let mut seen = HashSet::new();
        Refs::new(
            self.iter()
                .filter(|f| seen.insert(f.weave_ref.as_str()))
                .map(|f| f.weave_ref.clone())
                .collect(),
        )
    }

    /// All rows as a JSON array (see [`Feedback::to_json`]: payloads exactly as sent).
    pub fn to_json(&self) -> String {
        let rows = self.as_slice();
        let text: usize = rows.iter().map(|f| f.payload_json().len()).sum();
        let mut out = Vec::with_capacity(2 + text + 320 * rows.len());
        out.push(b'[');
        for (i, f) in rows.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            f.write_json(&mut out);
        }
        out.push(b']');
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Index<usize> for Feedbacks {
    type Output = Feedback;
    fn index(&self, i: usize) -> &Feedback {
        &self.as_slice()[i]
    }
}

/// Equal rows and the same `show_refs`, whichever form holds the rows.
impl PartialEq for Feedbacks {
    fn eq(&self, other: &Feedbacks) -> bool {
        self.show_refs == other.show_refs && self.as_slice() == other.as_slice()
    }
}

/// The rows, whichever form holds them.
impl fmt::Debug for Feedbacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feedbacks")
            .field("rows", &self.as_slice())
            .field("show_refs", &self.show_refs)
            .finish()
    }
}

impl<'a> IntoIterator for &'a Feedbacks {
    type Item = &'a Feedback;
    type IntoIter = std::slice::Iter<'a, Feedback>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::test_rows::{row, sample};
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_are_unique_in_first_seen_order() {
        let mut rows = sample();
        rows.insert(
            1,
            row(
                "y",
                "weave:///a/b/call/0",
                "t",
                json!({}),
                None,
                "2025-03-14T09:30:00Z",
            ),
        );
        let refs = Feedbacks::new(rows, false).refs();
        assert_eq!(
            refs.iter().collect::<Vec<_>>(),
            ["weave:///a/b/call/1", "weave:///a/b/call/0"]
        );
        assert_eq!(refs.call_refs().len(), 2);
    }
}
