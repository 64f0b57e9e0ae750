//! Weave's reaction rules, as its server computes them with Python's `emoji` package (2.16.0):
//! `emoji_count`, `demojize`, and Weave's `detone_emojis`
//! ([emoji_util.py](https://github.com/wandb/weave/blob/master/weave/trace_server/emoji_util.py)).
//!
//! The tokenizer is a port of `emoji.tokenizer.tokenize` and `filter_tokens`, including their
//! quirks: the search walks as deep as the emoji table allows and matches only if it stops on
//! an emoji (no backtracking), and stray variation selectors (U+FE0E, U+FE0F) are dropped.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::OnceLock;

use super::emoji_data::{ALIAS, COMPONENT, DETONED, EMOJI_START, TEXT_DEFLATE, TEXT_LEN};

const ZWJ: char = '\u{200d}';

/// The table's text, inflated on first use. It is stored compressed (33 KB instead of 174 KB
/// in the C library); the inflater is miniz_oxide, which ureq's gzip support links anyway.
fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(TEXT_DEFLATE, TEXT_LEN)
            .expect("the generated text inflates");
        String::from_utf8(bytes).expect("the generated text is UTF-8")
    })
}

/// Emoji `i` of the table (sorted).
fn emoji(i: usize) -> &'static str {
    &text()[EMOJI_START[i] as usize..EMOJI_START[i + 1] as usize]
}

/// The text of a span of the table: `offset << 8 | length`.
fn span(packed: u32) -> &'static str {
    let at = (packed >> 8) as usize;
    &text()[at..at + (packed & 0xff) as usize]
}

/// Every prefix (in chars) of every emoji: the search tree of the Python tokenizer.
fn prefixes() -> &'static HashSet<&'static str> {
    static P: OnceLock<HashSet<&'static str>> = OnceLock::new();
    P.get_or_init(|| {
        let mut set = HashSet::new();
        for e in (0..ALIAS.len()).map(emoji) {
            for (i, c) in e.char_indices() {
                set.insert(&e[..i + c.len_utf8()]);
            }
        }
        set
    })
}

/// The index of an emoji in the table: a binary search, the table being sorted.
fn find(e: &str) -> Option<usize> {
    let (mut lo, mut hi) = (0, ALIAS.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match emoji(mid).cmp(e) {
            Ordering::Less => lo = mid + 1,
            Ordering::Greater => hi = mid,
            Ordering::Equal => return Some(mid),
        }
    }
    None
}

/// The table entry of an emoji: (alias, is component, detoned).
fn lookup(e: &str) -> Option<(&'static str, bool, &'static str)> {
    find(e).map(|i| {
        let component = u16::try_from(i).is_ok_and(|i| COMPONENT.binary_search(&i).is_ok());
        (span(ALIAS[i]), component, span(DETONED[i]))
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    /// A character that is not part of an emoji.
    Char(char),
    /// An emoji of the table.
    Emoji(String),
    /// Emoji of the table joined by ZWJs into a sequence the table does not know.
    Joined(Vec<String>),
}

/// `emoji.tokenizer.tokenize(string, keep_zwj)`.
fn tokenize(s: &str, keep_zwj: bool) -> Vec<Token> {
    let chars: Vec<char> = s.chars().collect();
    let tree = prefixes();
    let mut out = Vec::new();
    let mut result: Vec<(String, Token)> = Vec::new();
    let mut ignore: Vec<usize> = Vec::new();
    let mut buf = String::new();
    let mut i = 0usize;
    let text = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    while i < chars.len() {
        let c = chars[i];
        let mut consumed = false;
        buf.clear();
        buf.push(c);
        if ignore.contains(&i) {
            i += 1;
            if c == ZWJ && keep_zwj {
                result.push((c.to_string(), Token::Char(c)));
            }
            continue;
        } else if tree.contains(buf.as_str()) {
            let mut j = i + 1;
            while j < chars.len() {
                buf.push(chars[j]);
                if !tree.contains(buf.as_str()) || ignore.contains(&j) {
                    break;
                }
                j += 1;
            }
            let code_points = text(i, j);
            if lookup(&code_points).is_some() {
                result.push((code_points.clone(), Token::Emoji(code_points)));
                i = j - 1;
                consumed = true;
            }
        } else if c == ZWJ
            && i > 0
            && result.last().is_some_and(|(t, _)| lookup(t).is_some())
            && tree.contains(chars[i - 1].to_string().as_str())
        {
            ignore.push(i);
            let last = result.last().map(|(t, _)| t.clone()).unwrap_or_default();
            let is_component = lookup(&last).is_some_and(|(_, comp, _)| comp);
            if is_component {
                let back: usize = result
                    .iter()
                    .rev()
                    .take(2)
                    .map(|(t, _)| t.chars().count())
                    .sum();
                i -= back;
                if chars[i] == ZWJ {
                    i += 1;
                    result.pop();
                } else {
                    result.pop();
                    result.pop();
                }
            } else {
                i -= last.chars().count();
                result.pop();
            }
            continue;
        } else if !result.is_empty() {
            out.extend(result.drain(..).map(|(_, t)| t));
        }
        if !consumed && c != '\u{fe0e}' && c != '\u{fe0f}' {
            result.push((c.to_string(), Token::Char(c)));
        }
        i += 1;
    }
    out.extend(result.into_iter().map(|(_, t)| t));
    out
}

/// `emoji.tokenizer.filter_tokens(tokens, emoji_only=False, join_emoji=True)`.
fn join_emoji(tokens: Vec<Token>) -> Vec<Token> {
    let mut out = Vec::new();
    let mut acc: Vec<Token> = Vec::new();
    let (mut prev_emoji, mut prev_zwj) = (false, false);
    for t in tokens {
        let pre_prev_emoji = prev_emoji;
        match t {
            Token::Char(ZWJ) if prev_emoji => prev_zwj = true,
            Token::Emoji(e) => {
                if pre_prev_emoji && prev_zwj {
                    match acc.pop() {
                        Some(Token::Joined(mut parts)) => {
                            parts.push(e);
                            acc.push(Token::Joined(parts));
                        }
                        Some(Token::Emoji(p)) => acc.push(Token::Joined(vec![p, e])),
                        Some(other) => {
                            acc.push(other);
                            acc.push(Token::Emoji(e));
                        }
                        None => acc.push(Token::Emoji(e)),
                    }
                } else {
                    acc.push(Token::Emoji(e));
                }
                prev_emoji = true;
                prev_zwj = false;
            }
            other => {
                prev_emoji = false;
                prev_zwj = false;
                out.append(&mut acc);
                out.push(other);
            }
        }
    }
    out.append(&mut acc);
    out
}

/// `emoji.emoji_count(s)`.
pub(crate) fn count(s: &str) -> usize {
    tokenize(s, false)
        .iter()
        .filter(|t| matches!(t, Token::Emoji(_)))
        .count()
}

/// `emoji.demojize(s)`: each emoji replaced by its `:name:`.
pub(crate) fn demojize(s: &str) -> String {
    let mut out = String::new();
    for t in tokenize(s, true) {
        match t {
            Token::Char(c) => out.push(c),
            Token::Emoji(e) => out.push_str(lookup(&e).map_or(e.as_str(), |(a, ..)| a)),
            Token::Joined(_) => unreachable!("tokenize never joins"),
        }
    }
    out
}

/// Weave's `detone_emojis(s)`: skin tones removed from every emoji.
pub(crate) fn detone(s: &str) -> String {
    let mut out = String::new();
    for t in join_emoji(tokenize(s, true)) {
        match t {
            Token::Char(c) => out.push(c),
            Token::Emoji(e) => out.push_str(lookup(&e).map_or(e.as_str(), |(.., d)| d)),
            Token::Joined(parts) => {
                let detoned: Vec<&str> = parts
                    .iter()
                    .map(|p| lookup(p).map_or(p.as_str(), |(.., d)| d))
                    .collect();
                out.push_str(&detoned.join("\u{200d}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_names_as_the_emoji_package() {
        assert_eq!(count("👍"), 1);
        assert_eq!(count("👍👍"), 2);
        assert_eq!(count("great 👍"), 1);
        assert_eq!(count("abc"), 0);
        assert_eq!(count("👨‍👩‍👧"), 1, "an RGI ZWJ sequence is one emoji");
        assert_eq!(demojize("👍🏽 ok"), ":thumbs_up_medium_skin_tone: ok");
        assert_eq!(detone("👍🏽"), "👍");
        assert_eq!(demojize(&detone("👍🏽")), ":thumbs_up:");
        assert_eq!(
            demojize("a\u{fe0f}b"),
            "ab",
            "stray variation selectors are dropped"
        );
    }

    #[test]
    fn the_generated_table_is_sorted_and_every_span_is_text() {
        assert_eq!(text().len(), TEXT_LEN);
        assert!(EMOJI_START.last().is_some_and(|&e| (e as usize) < TEXT_LEN));
        let n = ALIAS.len();
        assert_eq!((EMOJI_START.len(), DETONED.len()), (n + 1, n));
        for i in 0..n {
            let e = emoji(i);
            assert!(!e.is_empty(), "entry {i}");
            if i > 0 {
                assert!(emoji(i - 1) < e, "entry {i} is not in order");
            }
            assert_eq!(find(e), Some(i));
            let (alias, _, detoned) = lookup(e).unwrap();
            assert!(alias.len() > 2 && alias.starts_with(':') && alias.ends_with(':'));
            assert!(!detoned.is_empty(), "entry {i}");
        }
        assert!(COMPONENT.windows(2).all(|w| w[0] < w[1]));
        assert!(COMPONENT.iter().all(|&i| usize::from(i) < n));
        assert_eq!(find("a"), None);
        assert_eq!(find("\u{1f44d}\u{1f44d}"), None);
    }

    #[test]
    fn looks_up_as_the_emoji_package() {
        // Values from Python's emoji 2.16.0: demojize, status == component, Weave's detone.
        let first = ("#\u{20e3}", ":keycap_#:", false, "#\u{fe0f}\u{20e3}");
        let last = (
            "\u{1fafa}\u{1f3ff}",
            ":rightwards_thumb_sign_dark_skin_tone:",
            false,
            "\u{1fafa}",
        );
        let component = ("\u{1f3fb}", ":light_skin_tone:", true, "\u{1f3fb}");
        // Its detoned form is no emoji of the table: `emojize` leaves the name.
        let kiss = (
            "\u{1f9d1}\u{1f3fb}\u{200d}\u{2764}\u{200d}\u{1f48b}\u{200d}\u{1f9d1}\u{1f3fc}",
            ":kiss_person_person_light_skin_tone_medium-light_skin_tone:",
            false,
            ":kiss_person_person:",
        );
        for (e, alias, comp, detoned) in [first, last, component, kiss] {
            assert_eq!(lookup(e), Some((alias, comp, detoned)), "{e:?}");
        }
        assert_eq!(emoji(0), first.0);
        assert_eq!(emoji(ALIAS.len() - 1), last.0);
    }
}
