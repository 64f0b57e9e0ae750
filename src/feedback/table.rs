//! The Python SDK's plain-text table of a result (its `WEAVE_DISPLAY_VIEWER=print` form).

use serde_json::Value;

use super::{Feedback, Feedbacks, NOTE_TYPE, REACTION_TYPE};
use crate::pyjson;

impl Feedbacks {
    /// The SDK's plain-text table (its `WEAVE_DISPLAY_VIEWER=print` form): Type, Feedback, Created, ID, Creator,
    /// with Ref first when `show_refs` is set. Widths count code points, as Python does.
    pub fn format_table(&self) -> String {
        let mut headers = vec!["Type", "Feedback", "Created", "ID", "Creator"];
        if self.show_refs() {
            headers.insert(0, "Ref");
        }
        let rows: Vec<Vec<String>> = self
            .iter()
            .map(|f| {
                let mut r = vec![
                    type_cell(f),
                    feedback_cell(f),
                    f.created_at.to_table_cell(),
                    f.id.clone(),
                    creator_cell(f),
                ];
                if self.show_refs() {
                    r.insert(0, f.weave_ref.clone());
                }
                r
            })
            .collect();
        let type_col = usize::from(self.show_refs());
        let widths: Vec<usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([h.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<String>, center: Option<usize>| -> String {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| pad(c, widths[i], center == Some(i)))
                .collect::<Vec<_>>()
                .join(" │ ")
        };
        let mut out = line(
            headers.iter().map(|h| h.to_string()).collect(),
            Some(type_col),
        );
        out.push('\n');
        out.push_str(&"─".repeat(widths.iter().sum::<usize>() + 3 * (widths.len() - 1)));
        out.push('\n');
        for r in rows {
            out.push_str(&line(r, Some(type_col)));
            out.push('\n');
        }
        out
    }
}

impl std::fmt::Display for Feedbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format_table())
    }
}

fn type_cell(f: &Feedback) -> String {
    match f.feedback_type.as_str() {
        REACTION_TYPE => "reaction".into(),
        NOTE_TYPE => "note".into(),
        other => other.into(),
    }
}

fn feedback_cell(f: &Feedback) -> String {
    let key = match f.feedback_type.as_str() {
        REACTION_TYPE => Some("emoji"),
        NOTE_TYPE => Some("note"),
        _ => None,
    };
    // A reaction or note row without its key would crash Python; we fall back to JSON, from
    // the payload's text so integers beyond 64 bits show every digit, as in Python.
    match key.and_then(|k| f.payload.get(k)) {
        Some(Value::String(s)) => s.clone(),
        // The text is JSON serde_json accepted, which `rewrite` always reads.
        _ => pyjson::text::rewrite(f.payload_json(), &pyjson::text::DUMPS_INDENT2)
            .unwrap_or_else(|| f.payload_json().to_string()),
    }
}

fn creator_cell(f: &Feedback) -> String {
    let uid = f.wb_user_id.as_deref().unwrap_or("None");
    match &f.creator {
        Some(c) => format!("{c} ({uid})"),
        None => uid.to_string(),
    }
}

/// Python's `str.ljust` / `str.center` on code points.
fn pad(s: &str, width: usize, center: bool) -> String {
    let len = s.chars().count();
    if len >= width {
        return s.to_string();
    }
    let total = width - len;
    let left = if center {
        // CPython's center(): left = total/2 + (total & width & 1).
        total / 2 + (total & width & 1)
    } else {
        0
    };
    format!("{}{s}{}", " ".repeat(left), " ".repeat(total - left))
}

#[cfg(test)]
mod tests {
    use super::super::test_rows::{row, sample};
    use super::*;
    use serde_json::json;

    #[test]
    fn table_matches_the_sdk_plain_text_viewer() {
        let want = concat!(
            "  Type   │ Feedback │ Created                    │ ID                                   │ Creator            \n",
            "─────────────────────────────────────────────────────────────────────────────────────────────────────────────\n",
            "reaction │ 🎉        │ 2025-03-14 09:26:53.589000 │ 0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f │ Dana (VXNlcjo0MjQy)\n",
            "  note   │ nice     │ 2025-03-14 09:27:10        │ 0192f3b1-2bcd-7e0f-8123-456789abcdef │ VXNlcjo0MjQy       \n",
        );
        assert_eq!(Feedbacks::new(sample(), false).format_table(), want);
    }

    #[test]
    fn custom_payload_is_indented_ascii_json_and_refs_column() {
        let f = row(
            "x",
            "weave:///a/b/call/2",
            "helpfulness",
            json!({"score": 4, "who": "é"}),
            None,
            "2025-03-14T09:30:00Z",
        );
        let t = Feedbacks::new(vec![f], true).format_table();
        assert!(
            t.starts_with("Ref                 │     Type    │ Feedback"),
            "{t}"
        );
        assert!(
            t.contains("{\n  \"score\": 4,\n  \"who\": \"\\u00e9\"\n}"),
            "{t}"
        );
    }

    #[test]
    fn reaction_without_emoji_falls_back_to_json() {
        let f = row(
            "x",
            "r",
            "wandb.reaction.1",
            json!({}),
            None,
            "2025-03-14T09:30:00Z",
        );
        assert!(Feedbacks::new(vec![f], false)
            .format_table()
            .contains(" {} "));
    }

    #[test]
    fn center_matches_cpython() {
        assert_eq!(pad("note", 8, true), "  note  ");
        assert_eq!(pad("Type", 8, true), "  Type  ");
        assert_eq!(pad("abc", 6, true), " abc  ");
        assert_eq!(pad("ab", 5, true), "  ab ");
    }
}
