//! Text that leaves the transport: the API key and its Basic token scrubbed in any letter
//! case, and server text cut to a few KiB.

use crate::config::ApiKey;
use crate::error::Error;
use crate::failure::Failure;

/// Server text kept in one error message, in bytes; longer text is cut and marked.
pub(crate) const MAX_SERVER_TEXT: usize = 4096;
/// What replaces the API key and its Basic token in messages.
pub(crate) const REDACTED: &str = "<redacted>";

/// Removes the API key and its Basic token from text, matching them in any letter case.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scrubber {
    /// The key and `base64("api:" + key)`, longest first.
    secrets: Vec<String>,
}

impl Scrubber {
    /// Scrubs `key` (none: nothing to scrub).
    pub(crate) fn new(key: Option<&ApiKey>) -> Scrubber {
        let mut secrets: Vec<String> = key
            .filter(|k| !k.expose().is_empty())
            .map(|k| vec![k.expose().to_string(), k.basic_token()])
            .unwrap_or_default();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Scrubber { secrets }
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for s in &self.secrets {
            text = replace_ignore_ascii_case(&text, s, REDACTED);
        }
        text
    }

    /// Scrubbed `text` cut to [`MAX_SERVER_TEXT`] bytes, marked `… [cut: N bytes in all]`.
    /// A secret that straddles the cut is removed too.
    pub(crate) fn cut(&self, text: &str) -> String {
        if text.len() <= MAX_SERVER_TEXT {
            return self.scrub(text);
        }
        let longest = self.secrets.first().map_or(0, String::len);
        let head = self.scrub(prefix(text, MAX_SERVER_TEXT + longest));
        format!(
            "{}… [cut: {} bytes in all]",
            prefix(&head, MAX_SERVER_TEXT),
            text.len()
        )
    }

    /// `f` with every message in it scrubbed.
    pub(crate) fn failure(&self, f: Failure) -> Failure {
        if self.secrets.is_empty() {
            return f;
        }
        match f {
            Failure::Status {
                status,
                message,
                retry_after,
                route_missing,
            } => Failure::Status {
                status,
                message: self.scrub(&message),
                retry_after,
                route_missing,
            },
            Failure::Timeout(message) => Failure::Timeout(self.scrub(&message)),
            Failure::Transport { message, sent } => Failure::Transport {
                message: self.scrub(&message),
                sent,
            },
            Failure::Fatal(e) => Failure::Fatal(self.error(e)),
        }
    }

    /// `e` with its message scrubbed (the kinds the transport produces).
    pub(crate) fn error(&self, e: Error) -> Error {
        match e {
            Error::InvalidArgument(m) => Error::InvalidArgument(self.scrub(&m)),
            Error::Decode {
                message,
                feedback_ids,
            } => Error::Decode {
                message: self.scrub(&message),
                feedback_ids,
            },
            Error::Transport {
                attempts,
                last_status,
                message,
                feedback_ids,
            } => Error::Transport {
                attempts,
                last_status,
                message: self.scrub(&message),
                feedback_ids,
            },
            other => other,
        }
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Replaces every match of `needle` in `haystack`, ASCII letters compared in any case.
fn replace_ignore_ascii_case(haystack: &str, needle: &str, with: &str) -> String {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return haystack.to_string();
    }
    let mut out = String::with_capacity(haystack.len());
    let mut copied = 0;
    let mut i = 0;
    while i + n.len() <= h.len() {
        if h[i..i + n.len()].eq_ignore_ascii_case(n) {
            // `needle` is UTF-8 and non-ASCII bytes compare exactly, so a match starts and
            // ends on character boundaries.
            out.push_str(&haystack[copied..i]);
            out.push_str(with);
            i += n.len();
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&haystack[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_and_marked() {
        let s = Scrubber::new(None);
        assert_eq!(s.cut("short"), "short");
        let exact = "x".repeat(MAX_SERVER_TEXT);
        assert_eq!(s.cut(&exact), exact);
        let long = "é".repeat(MAX_SERVER_TEXT); // 2 bytes each: the cut lands mid-character
        let cut = s.cut(&long);
        assert!(cut.len() < MAX_SERVER_TEXT + 64, "{}", cut.len());
        assert!(
            cut.ends_with(&format!("… [cut: {} bytes in all]", 2 * MAX_SERVER_TEXT)),
            "{cut}"
        );
        assert!(cut.starts_with("éé"));
    }

    #[test]
    fn key_and_token_are_scrubbed_in_any_case() {
        let key = "Sekrit-Key-0123456789";
        let token = ApiKey::new(key).basic_token();
        let s = Scrubber::new(Some(&ApiKey::new(key)));
        let text = format!(
            "key {key} upper {} basic Basic {token} lower basic {} end",
            key.to_uppercase(),
            token.to_lowercase()
        );
        let out = s.scrub(&text);
        assert_eq!(
            out,
            "key <redacted> upper <redacted> basic Basic <redacted> lower basic <redacted> end"
        );
        // Non-ASCII around a match survives intact.
        assert_eq!(s.scrub(&format!("é{key}é")), "é<redacted>é");
        // No key: nothing changes.
        assert_eq!(Scrubber::new(None).scrub(&text), text);
    }

    #[test]
    fn a_secret_straddling_the_cut_is_removed() {
        let key = "straddling-key-abcdefghijklmnop";
        let s = Scrubber::new(Some(&ApiKey::new(key)));
        for shift in 0..key.len() {
            let text = format!(
                "{}{key}{}",
                "x".repeat(MAX_SERVER_TEXT - shift),
                "y".repeat(100)
            );
            let cut = s.cut(&text);
            for n in 4..=key.len() {
                // No prefix of the key longer than a few bytes is left.
                assert!(!cut.contains(&key[..n]), "shift {shift}: {cut}");
            }
            assert!(cut.contains("[cut: "), "{cut}");
        }
    }
}
