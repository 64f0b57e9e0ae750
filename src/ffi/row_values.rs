//! Where a `weave_feedbacks` list's strings are: the query's answer itself, when it was
//! scanned (`feedback::scan` NUL-terminates its strings in place), or, for rows made in Rust,
//! every string copied once, when the handle is made, into one text buffer per list.

use std::ffi::c_char;
use std::ptr;

use crate::feedback::scan::{WireField, WIRE_FIELDS};
use crate::feedback::{Feedback, Feedbacks};

/// Where a list's strings are, and its rows (for the JSON, the table and the refs).
pub(super) struct Values {
    /// The copied strings, when the rows were not scanned.
    copied: Option<Copied>,
    /// The rows; a scanned answer inside is what a scanned list's getters read.
    pub(super) feedbacks: Feedbacks,
}

/// Every row's strings, NUL-terminated, one after the other, and where each row's are.
struct Copied {
    text: Box<[u8]>,
    /// Per row, where each field (by [`WireField`]) starts in `text`, or [`ABSENT`].
    at: Box<[[usize; WIRE_FIELDS]]>,
}

/// The offset of an absent value.
const ABSENT: usize = usize::MAX;

/// Appends `s` and a NUL to `text` (each NUL inside becomes U+FFFD, as in `c_string`);
/// returns where it starts.
fn push_text(text: &mut Vec<u8>, s: &str) -> usize {
    let at = text.len();
    if s.contains('\0') {
        text.extend_from_slice(s.replace('\0', "\u{FFFD}").as_bytes());
    } else {
        text.extend_from_slice(s.as_bytes());
    }
    text.push(0);
    at
}

impl Copied {
    fn new(feedbacks: &Feedbacks) -> Copied {
        // Rows are mostly short strings: a guess that is rarely exceeded, so rarely regrown.
        let mut text: Vec<u8> = Vec::with_capacity(feedbacks.len() * 384);
        let at = feedbacks.iter().map(|f| row_text(&mut text, f)).collect();
        Copied {
            text: text.into_boxed_slice(),
            at,
        }
    }
}

/// Writes one row's strings into `text`; returns their offsets.
fn row_text(text: &mut Vec<u8>, f: &Feedback) -> [usize; WIRE_FIELDS] {
    let mut at = [ABSENT; WIRE_FIELDS];
    let mut put = |field: WireField, s: Option<&str>| {
        if let Some(s) = s {
            at[field as usize] = push_text(text, s);
        }
    };
    put(WireField::Id, Some(&f.id));
    put(WireField::ProjectId, Some(&f.project_id));
    put(WireField::WeaveRef, Some(&f.weave_ref));
    put(WireField::FeedbackType, Some(&f.feedback_type));
    put(WireField::Creator, f.creator.as_deref());
    put(WireField::WbUserId, f.wb_user_id.as_deref());
    put(WireField::CreatedAt, Some(f.created_at_rfc3339()));
    put(WireField::AnnotationRef, f.annotation_ref.as_deref());
    put(WireField::RunnableRef, f.runnable_ref.as_deref());
    put(WireField::CallRef, f.call_ref.as_deref());
    put(WireField::TriggerRef, f.trigger_ref.as_deref());
    put(WireField::QueueId, f.queue_id.as_deref());
    // The payload's text as the server sent it (JSON text never holds a raw NUL).
    at[WireField::Payload as usize] = text.len();
    text.extend_from_slice(f.payload_json().as_bytes());
    text.push(0);
    at
}

impl Values {
    /// A scanned answer is read in place; other rows are copied once, here.
    pub(super) fn new(feedbacks: Feedbacks) -> Values {
        let copied = feedbacks
            .scanned()
            .is_none()
            .then(|| Copied::new(&feedbacks));
        Values { copied, feedbacks }
    }

    /// Whether the getters read a scanned answer in place.
    #[cfg(test)]
    pub(super) fn is_scanned(&self) -> bool {
        self.copied.is_none()
    }

    /// Field `field` of row `index` (< the list's length), NULL when absent; a row without
    /// a payload reads `{}`, in both forms.
    pub(super) fn get(&self, index: usize, field: WireField) -> *const c_char {
        match (&self.copied, self.feedbacks.scanned()) {
            (Some(c), _) => match c.at[index][field as usize] {
                ABSENT => ptr::null(),
                at => c.text[at..].as_ptr().cast(),
            },
            (None, Some(scanned)) => scanned
                .rows()
                .get(index)
                .map_or(ptr::null(), |row| scanned.c_str(row, field)),
            (None, None) => ptr::null(),
        }
    }
}
