//! What a [`Feedbacks`](super::Feedbacks) holds: rows made in Rust, or a scanned answer
//! ([`Scanned`]) whose rows are built only when Rust code first asks for them.
//!
//! The scanned form exists for the C handle, which reads the values in place and never needs
//! the rows; a Rust caller that asks for them pays the build once (a `OnceLock`, so any number
//! of threads may ask at once and one builds).

use std::sync::OnceLock;

use super::scan::Scanned;
use super::Feedback;

/// The rows of a [`Feedbacks`](super::Feedbacks), built now or on first use.
pub(super) struct LazyRows {
    /// Always set when `scanned` is `None`.
    rows: OnceLock<Vec<Feedback>>,
    scanned: Option<Scanned>,
}

impl LazyRows {
    /// Rows already built.
    pub(super) fn built(rows: Vec<Feedback>) -> LazyRows {
        LazyRows {
            rows: OnceLock::from(rows),
            scanned: None,
        }
    }

    /// A scanned answer; its rows are built on first use.
    pub(super) fn scanned(scanned: Scanned) -> LazyRows {
        LazyRows {
            rows: OnceLock::new(),
            scanned: Some(scanned),
        }
    }

    /// The scanned answer, when this is the scanned form.
    #[cfg(any(feature = "capi", test))]
    pub(super) fn scanned_answer(&self) -> Option<&Scanned> {
        self.scanned.as_ref()
    }

    /// The number of rows, without building them.
    pub(super) fn len(&self) -> usize {
        match &self.scanned {
            Some(s) => s.len(),
            None => self.rows().len(),
        }
    }

    /// The last row's id (the key a walk goes on from), without building the rows.
    pub(super) fn last_id(&self) -> Option<String> {
        let Some(s) = &self.scanned else {
            return self.rows().last().map(|f| f.id.clone());
        };
        s.last_id().map(str::to_owned)
    }

    /// The rows, built on the first call of the scanned form.
    pub(super) fn rows(&self) -> &[Feedback] {
        self.rows.get_or_init(|| build(self.scanned.as_ref()))
    }

    /// Whether the rows are built (always, but for a scanned answer no Rust code asked for).
    #[cfg(test)]
    pub(super) fn is_built(&self) -> bool {
        self.rows.get().is_some()
    }

    /// The rows, moved out when already built.
    pub(super) fn into_rows(self) -> Vec<Feedback> {
        let LazyRows { rows, scanned } = self;
        rows.into_inner().unwrap_or_else(|| build(scanned.as_ref()))
    }
}

/// The rows of a scanned answer (`Scanned::build_rows`: the rows the reference decoder gives,
/// which the fuzz target `scan_equivalence` checks).
fn build(scanned: Option<&Scanned>) -> Vec<Feedback> {
    scanned.map(Scanned::build_rows).unwrap_or_default()
}
