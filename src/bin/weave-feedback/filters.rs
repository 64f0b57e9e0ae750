//! Which rows `query` and `export` read: a project or a ref, and filters turned into the
//! server's query language (`$expr`), combined with `$and` (`--reaction` is the library's own
//! filter, and-ed on top as the SDK does).

use clap::Args;
use serde_json::json;
use weave_feedback::feedback::{NOTE_TYPE, REACTION_TYPE};
use weave_feedback::timestamp::Timestamp;
use weave_feedback::{Client, FeedbackQuery, Query, WeaveRef};

use crate::connect::project_query;
use crate::failure::Failure;

/// The rows to read.
#[derive(Args, Debug)]
pub struct Filters {
    /// The project, ENTITY/PROJECT (not needed with --ref).
    #[arg(long, short = 'p', value_name = "ENTITY/PROJECT")]
    pub project: Option<String>,
    /// Only feedback on this ref (weave:///entity/project/call/<id>, an object ref, ...).
    #[arg(long = "ref", value_name = "REF")]
    pub weave_ref: Option<String>,
    /// Only this feedback type (`reaction` and `note` stand for wandb.reaction.1 and
    /// wandb.note.1).
    #[arg(long = "type", value_name = "TYPE")]
    pub feedback_type: Option<String>,
    /// Only reactions with exactly this emoji (the SDK's `get_feedback(reaction=...)` filter).
    #[arg(long, value_name = "EMOJI")]
    pub reaction: Option<String>,
    /// Only feedback with this creator.
    #[arg(long, value_name = "NAME")]
    pub creator: Option<String>,
    /// Only feedback created at or after this time (RFC 3339, or YYYY-MM-DD; no zone is UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only feedback created before this time (RFC 3339, or YYYY-MM-DD; no zone is UTC).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// A raw query, `{"$expr": ...}` in the server's query language, ANDed with the rest.
    #[arg(long = "where", value_name = "JSON")]
    pub where_json: Option<String>,
}

/// A full type name from the command line's short forms.
pub fn feedback_type(name: &str) -> &str {
    match name {
        "reaction" => REACTION_TYPE,
        "note" => NOTE_TYPE,
        other => other,
    }
}

impl Filters {
    /// The project query with every filter applied (no offset, limit or refs display yet).
    pub fn query(&self, client: &Client) -> Result<FeedbackQuery, Failure> {
        let project = self.project_id()?;
        let mut conds = Vec::new();
        let eq =
            |field: &str, value: &str| json!({"$eq": [{"$getField": field}, {"$literal": value}]});
        if let Some(r) = &self.weave_ref {
            conds.push(eq("weave_ref", r));
        }
        if let Some(t) = &self.feedback_type {
            conds.push(eq("feedback_type", feedback_type(t)));
        }
        if let Some(c) = &self.creator {
            conds.push(eq("creator", c));
        }
        for (flag, value, op) in [
            ("--since", &self.since, "$gte"),
            ("--until", &self.until, "$lt"),
        ] {
            if let Some(v) = value {
                let at = server_time(v).ok_or_else(|| {
                    Failure::invalid(format!(
                        "{flag}: {v:?} is not a time (RFC 3339, or YYYY-MM-DD)"
                    ))
                })?;
                conds.push(json!({op: [{"$getField": "created_at"}, {"$literal": at}]}));
            }
        }
        if let Some(w) = &self.where_json {
            let q = Query::from_json(w).map_err(|e| Failure::from(e).context("--where"))?;
            conds.push(q.to_value()["$expr"].take());
        }
        let expr = match conds.len() {
            0 => None,
            1 => conds.pop(),
            _ => Some(json!({ "$and": conds })),
        };
        let query = match expr {
            Some(e) => Some(Query::from_value(&json!({ "$expr": e }))?),
            None => None,
        };
        if self.reaction.as_deref() == Some("") {
            return Err(Failure::invalid("--reaction needs an emoji"));
        }
        Ok(project_query(client, &project)?
            .with_query(query)
            .with_reaction::<&str>(self.reaction.as_deref()))
    }

    /// `--project`, or the ref's project; both must agree when both are given.
    fn project_id(&self) -> Result<String, Failure> {
        let from_ref = match &self.weave_ref {
            Some(r) => Some(WeaveRef::parse(r)?.project_id()),
            None => None,
        };
        match (&self.project, from_ref) {
            (Some(p), Some(r)) if *p != r => Err(Failure::invalid(format!(
                "--ref is in project {r}, not in --project {p}"
            ))),
            (Some(p), _) => Ok(p.clone()),
            (None, Some(r)) => Ok(r),
            (None, None) => Err(Failure::usage("--project or --ref is required")),
        }
    }
}

/// A time as the server compares `created_at` (`YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC).
fn server_time(text: &str) -> Option<String> {
    let ts = if text.len() == 10 {
        Timestamp::parse(&format!("{text}T00:00:00Z"))
    } else {
        Timestamp::parse(text)
    }?;
    Some(ts.to_table_cell())
}
