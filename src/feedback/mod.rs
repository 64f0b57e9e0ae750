//! Feedback rows as the server returns them: the row type ([`Feedback`], `row.rs`), the
//! `Feedbacks` collection (here), decoding query answers (`decode.rs`), the SDK's plain-text
//! table (`table.rs`) and `Refs` (`ref_list.rs`).
//!
//! Results are immutable and shared (`Arc`), so a query's cache, a caller's copy and a C handle
//! can all point at one allocation, and any number of threads may read it.

use std::collections::HashSet;
use std::ops::Index;
use std::sync::Arc;

mod decode;
mod ref_list;
mod row;
// Not wired in yet: the fast path lands with its users.
#[allow(dead_code)]
pub(crate) mod scan;
#[doc(hidden)]
pub use scan::{scan_check, scan_count, ScanOutcome};
mod table;
#[cfg(test)]
mod test_rows;

pub use ref_list::Refs;
pub use row::Feedback;

/// The reaction feedback type.
pub const REACTION_TYPE: &str = "wandb.reaction.1";
/// The note feedback type.
pub const NOTE_TYPE: &str = "wandb.note.1";

/// An immutable, shareable list of feedback rows (server order: `created_at` ascending).
#[derive(Clone, Debug, PartialEq)]
pub struct Feedbacks {
    rows: Arc<Vec<Feedback>>,
    show_refs: bool,
}

impl Feedbacks {
    /// Wraps rows; `show_refs` adds the Ref column to the table.
    pub fn new(rows: Vec<Feedback>, show_refs: bool) -> Feedbacks {
        Feedbacks {
            rows: Arc::new(rows),
            show_refs,
        }
    }

    /// The rows, without a copy when this is their only holder.
    pub(crate) fn into_rows(self) -> Vec<Feedback> {
        Arc::try_unwrap(self.rows).unwrap_or_else(|shared| shared.as_ref().clone())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    /// Row `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<&Feedback> {
        self.rows.get(index)
    }
    /// Iterates over the rows in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Feedback> {
        self.rows.iter()
    }
    /// The rows as a slice.
    pub fn as_slice(&self) -> &[Feedback] {
        &self.rows
    }
    /// Whether the table shows the Ref column.
    pub fn show_refs(&self) -> bool {
        self.show_refs
    }

    /// The distinct `weave_ref` values in first-seen order.
    pub fn refs(&self) -> Refs {
        let mut seen = HashSet::new();
        Refs::new(
            self.rows
                .iter()
                .filter(|f| seen.insert(f.weave_ref.as_str()))
                .map(|f| f.weave_ref.clone())
                .collect(),
        )
    }

    /// All rows as a JSON array (see [`Feedback::to_json`]: payloads exactly as sent).
    pub fn to_json(&self) -> String {
        let text: usize = self.rows.iter().map(|f| f.payload_json().len()).sum();
        let mut out = Vec::with_capacity(2 + text + 320 * self.rows.len());
        out.push(b'[');
        for (i, f) in self.rows.iter().enumerate() {
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
        &self.rows[i]
    }
}

impl<'a> IntoIterator for &'a Feedbacks {
    type Item = &'a Feedback;
    type IntoIter = std::slice::Iter<'a, Feedback>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
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
