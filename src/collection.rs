//! A query as a collection: `len`, `get` (negative indices count from the end) and `iter`, as
//! the SDK's `FeedbackQuery.__len__`, `__getitem__` and `__iter__`. Each calls `execute()`,
//! so the first use fetches and later ones read the cache; a failed fetch is returned as the
//! error (nothing panics).

use crate::error::{Error, Result};
use crate::feedback::{Feedback, Feedbacks};
use crate::feedback_query::FeedbackQuery;
use crate::ref_feedback_query::RefFeedbackQuery;

impl FeedbackQuery {
    /// The rows, cached (fetching them on first use).
    fn fetched(&mut self) -> Result<&Feedbacks> {
        if self.cache.is_none() {
            self.refresh()?;
        }
        self.cache
            .as_ref()
            .ok_or_else(|| Error::Internal("refresh() left no cache".into()))
    }

    /// Number of rows (fetching them on first use).
    pub fn len(&mut self) -> Result<usize> {
        Ok(self.fetched()?.len())
    }

    /// Whether there are no rows (fetching them on first use).
    pub fn is_empty(&mut self) -> Result<bool> {
        Ok(self.fetched()?.is_empty())
    }

    /// Row `index`, counting from the end when negative (`-1` is the last row), as Python
    /// indexes; `None` out of range (Python raises `IndexError`). Fetches on first use.
    pub fn get(&mut self, index: isize) -> Result<Option<&Feedback>> {
        let rows = self.fetched()?;
        let i = if index < 0 {
            rows.len().checked_sub(index.unsigned_abs())
        } else {
            Some(index.unsigned_abs())
        };
        Ok(i.and_then(|i| rows.get(i)))
    }

    /// The rows in order (fetching them on first use).
    pub fn iter(&mut self) -> Result<std::slice::Iter<'_, Feedback>> {
        Ok(self.fetched()?.as_slice().iter())
    }
}

impl RefFeedbackQuery {
    /// Number of rows on the ref (fetching them on first use).
    pub fn len(&mut self) -> Result<usize> {
        self.as_feedback_query_mut().len()
    }

    /// Whether the ref has no rows (fetching them on first use).
    pub fn is_empty(&mut self) -> Result<bool> {
        self.as_feedback_query_mut().is_empty()
    }

    /// Row `index`, negative from the end; see [`FeedbackQuery::get`].
    pub fn get(&mut self, index: isize) -> Result<Option<&Feedback>> {
        self.as_feedback_query_mut().get(index)
    }

    /// The rows in order (fetching them on first use).
    pub fn iter(&mut self) -> Result<std::slice::Iter<'_, Feedback>> {
        self.as_feedback_query_mut().iter()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::ClientBuilder;
    use crate::error::ErrorKind;

    #[test]
    fn a_failed_fetch_is_an_error_and_leaves_nothing_cached() {
        // Port 9 (discard) is closed; no retries, so the failure comes at once.
        let c = ClientBuilder::new()
            .base_url("http://127.0.0.1:9")
            .max_retries(0)
            .build()
            .unwrap();
        let mut q = c.feedback_query("acme", "chatbot").unwrap().with_limit(1);
        assert_eq!(q.len().unwrap_err().kind(), ErrorKind::Transport);
        assert_eq!(q.get(-1).unwrap_err().kind(), ErrorKind::Transport);
        assert!(q.iter().is_err());
        assert!(q.cached().is_none());
    }
}
