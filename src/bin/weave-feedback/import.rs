//! `import`: JSON Lines (as `export` writes them) stored with their ids, exactly once.
//!
//! Weave's server stores an id sent twice as two rows, so before each batch the tool asks
//! which of its ids the project already has and sends only the others; running an import
//! again therefore stores nothing new, and after a failure it stores just what is missing.
//! Lines are sent in batches of the library's `add_batch` (one ref per batch, all or nothing).
//! When a batch is refused, its lines are sent one at a time to find the line the server (or
//! the library) refuses, and rows of later lines stored by earlier batches of the same chunk
//! are purged again: what stays stored is exactly the lines before the failing one.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::PathBuf;

use clap::Args;
use serde_json::{json, Map, Value};
use weave_feedback::{Client, Error, NewFeedback, Query, WeaveRef};

use crate::connect::project_query;
use crate::failure::{stored_nothing, Failure};
use crate::progress::Progress;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The JSON Lines file; `-` or none reads stdin.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Store into this project (ENTITY/PROJECT) instead of each line's own: the line's ref, and
    /// its annotation, runnable, call and trigger refs that point into the line's project, are
    /// moved to it.
    #[arg(long, short = 'p', value_name = "ENTITY/PROJECT")]
    project: Option<String>,
    /// Lines per batch request.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    batch: u64,
}

/// One line, read and checked.
struct Line {
    number: usize,
    id: String,
    weave_ref: String,
    project_id: String,
    feedback: NewFeedback,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pending,
    Stored,
    Present,
}

pub fn import(client: &Client, args: &ImportArgs) -> Result<(), Failure> {
    let target = match &args.project {
        Some(p) => {
            // Checks the parts as every query does.
            let q = project_query(client, p)?;
            let (e, n) = q.project_id().split_once('/').unwrap_or_default();
            Some((e.to_string(), n.to_string()))
        }
        None => None,
    };
    let reader: Box<dyn BufRead> = match &args.file {
        Some(path) if path.as_os_str() != "-" => {
            let file = std::fs::File::open(path)
                .map_err(|e| Failure::invalid(format!("cannot open {}: {e}", path.display())))?;
            Box::new(std::io::BufReader::new(file))
        }
        _ => Box::new(std::io::stdin().lock()),
    };
    let batch = usize::try_from(args.batch).unwrap_or(usize::MAX);
    let mut run = Importer {
        client,
        seen: HashSet::new(),
        lines: 0,
        stored: 0,
        present: 0,
        progress: Progress::new(),
    };
    let mut chunk = Vec::new();
    for (i, text) in reader.lines().enumerate() {
        let number = i + 1;
        let line = text
            .map_err(|e| Failure::invalid(format!("cannot read it: {e}")))
            .and_then(|t| parse_line(&t, number, target.as_ref()));
        match line {
            Ok(None) => {}
            Ok(Some(line)) => {
                chunk.push(line);
                if chunk.len() >= batch {
                    run.flush(std::mem::take(&mut chunk))?;
                }
            }
            Err(f) => {
                run.flush(std::mem::take(&mut chunk))?;
                return Err(run.failed_at(number, f, true));
            }
        }
    }
    run.flush(chunk)?;
    run.progress.finish();
    println!(
        "{} lines: {} stored, {} already present",
        run.lines, run.stored, run.present
    );
    Ok(())
}

/// Reads one line: `None` for a blank one. Keys the server stamps (`project_id`,
/// `created_at`, `wb_user_id`) are ignored.
fn parse_line(
    text: &str,
    number: usize,
    target: Option<&(String, String)>,
) -> Result<Option<Line>, Failure> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| Failure::invalid(format!("not JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| Failure::invalid("not a JSON object"))?;
    let text_of = |key: &str| -> Result<Option<&str>, Failure> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Failure::invalid(format!("{key} must be a string"))),
        }
    };
    let id = text_of("id")?.filter(|s| !s.is_empty()).ok_or_else(|| {
        Failure::invalid(
            "an id is required (import keeps ids, so a second run stores nothing twice)",
        )
    })?;
    let weave_ref =
        text_of("weave_ref")?.ok_or_else(|| Failure::invalid("weave_ref is required"))?;
    let source = WeaveRef::parse(weave_ref)?.project_id();
    let mut item = Map::new();
    for key in ["feedback_type", "payload", "creator", "queue_id"] {
        if let Some(v) = obj.get(key) {
            item.insert(key.into(), v.clone());
        }
    }
    for key in ["annotation_ref", "runnable_ref", "call_ref", "trigger_ref"] {
        if let Some(r) = text_of(key)?.filter(|r| !r.is_empty()) {
            item.insert(key.into(), moved(r, &source, target)?.into());
        }
    }
    item.insert("id".into(), id.into());
    let weave_ref = moved(weave_ref, &source, target)?;
    Ok(Some(Line {
        number,
        id: id.to_string(),
        project_id: WeaveRef::parse(&weave_ref)?.project_id(),
        weave_ref,
        feedback: exact_payload(
            NewFeedback::from_value(&Value::Object(item)).map_err(item_failure)?,
            text,
            obj,
        )?,
    }))
}

/// The line's payload sent as its own text, so integers beyond 64 bits keep every digit
/// (`from_value` holds them as `f64`).
fn exact_payload(
    feedback: NewFeedback,
    line: &str,
    obj: &Map<String, Value>,
) -> Result<NewFeedback, Failure> {
    #[derive(serde::Deserialize)]
    struct PayloadText<'a> {
        #[serde(borrow)]
        payload: Option<&'a serde_json::value::RawValue>,
    }
    if !obj.get("payload").is_some_and(Value::is_object) {
        return Ok(feedback);
    }
    match serde_json::from_str::<PayloadText>(line) {
        Ok(PayloadText { payload: Some(p) }) => {
            feedback.with_payload_json(p.get()).map_err(item_failure)
        }
        _ => Ok(feedback),
    }
}

/// The ref, moved to the target project when there is one and the ref points into the line's
/// own project (`source`, the project of its `weave_ref`); a ref into any other project (a
/// scorer shared between projects, say) is kept as it is.
fn moved(r: &str, source: &str, target: Option<&(String, String)>) -> Result<String, Failure> {
    let parsed = WeaveRef::parse(r)?;
    let Some((entity, project)) = target else {
        return Ok(r.to_string());
    };
    if parsed.project_id() != source {
        return Ok(r.to_string());
    }
    let prefix = format!("weave:///{}/{}/", parsed.entity(), parsed.project());
    let rest = r
        .strip_prefix(&prefix)
        .ok_or_else(|| Failure::invalid(format!("cannot move {r} to {entity}/{project}")))?;
    Ok(format!("weave:///{entity}/{project}/{rest}"))
}

/// A line the library cannot read as a batch item. Its messages start with `batch item: ` for
/// batch callers; here the line number says which item, so the prefix is dropped.
fn item_failure(e: Error) -> Failure {
    match e {
        Error::InvalidArgument(m) => {
            Failure::invalid(m.strip_prefix("batch item: ").unwrap_or(&m).to_string())
        }
        other => other.into(),
    }
}

struct Importer<'a> {
    client: &'a Client,
    /// Ids of this run's earlier lines: a repeated id is not stored twice.
    seen: HashSet<String>,
    lines: u64,
    stored: u64,
    present: u64,
    progress: Progress,
}

impl Importer<'_> {
    /// Stores the chunk's lines that are not stored yet. On failure, what is stored is
    /// exactly the lines before the failing one, or the message says otherwise.
    fn flush(&mut self, chunk: Vec<Line>) -> Result<(), Failure> {
        let Some(first) = chunk.first().map(|l| l.number) else {
            return Ok(());
        };
        let there = self
            .stored_ids(&chunk)
            .map_err(|f| self.failed_at(first, f.context("checking which ids are stored"), true))?;
        let mut outcome: Vec<Outcome> = chunk
            .iter()
            .map(|l| {
                if there.contains(&l.id) || !self.seen.insert(l.id.clone()) {
                    Outcome::Present
                } else {
                    Outcome::Pending
                }
            })
            .collect();
        // Lines by ref, in the order of their first line.
        let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
        let mut group_of: HashMap<&str, usize> = HashMap::new();
        for (i, l) in chunk.iter().enumerate() {
            if outcome[i] == Outcome::Pending {
                let g = *group_of.entry(&l.weave_ref).or_insert_with(|| {
                    groups.push((&l.weave_ref, Vec::new()));
                    groups.len() - 1
                });
                groups[g].1.push(i);
            }
        }
        for (weave_ref, idx) in &groups {
            let items = idx.iter().map(|&i| chunk[i].feedback.clone()).collect();
            let mut q = self.client.ref_feedback_query(weave_ref)?;
            match q.add_batch(items) {
                Ok(_) => idx.iter().for_each(|&i| outcome[i] = Outcome::Stored),
                Err(e) => {
                    if let Some(f) = self.batch_failed(&chunk, &mut outcome, idx, e) {
                        return Err(f);
                    }
                }
            }
        }
        self.count(&outcome, None, &chunk);
        self.progress.update(&format!(
            "imported {} lines: {} stored, {} already present",
            self.lines, self.stored, self.present
        ));
        Ok(())
    }

    /// The chunk's ids the server already has.
    fn stored_ids(&self, chunk: &[Line]) -> Result<HashSet<String>, Failure> {
        let mut by_project: HashMap<&str, Vec<Value>> = HashMap::new();
        for l in chunk {
            by_project
                .entry(&l.project_id)
                .or_default()
                .push(json!({ "$literal": l.id }));
        }
        let mut there = HashSet::new();
        for (project, ids) in by_project {
            let q = Query::from_value(&json!({"$expr": {"$in": [{"$getField": "id"}, ids]}}))?;
            let rows = project_query(self.client, project)?
                .with_query(q)
                .execute()?;
            there.extend(rows.iter().map(|r| r.id.clone()));
        }
        Ok(there)
    }

    /// A refused batch: its lines one at a time, to find the failing one. `None` when they
    /// all go in that way.
    fn batch_failed(
        &mut self,
        chunk: &[Line],
        outcome: &mut [Outcome],
        idx: &[usize],
        e: Error,
    ) -> Option<Failure> {
        let (mut at, mut error) = (chunk[idx[0]].number, e);
        if stored_nothing(error.kind()) {
            let mut q = match self.client.ref_feedback_query(&chunk[idx[0]].weave_ref) {
                Ok(q) => q,
                Err(e) => return Some(self.failed_at(at, e.into(), true)),
            };
            let mut failed = None;
            for &i in idx {
                match q.add(chunk[i].feedback.clone()) {
                    Ok(_) => outcome[i] = Outcome::Stored,
                    Err(e) => {
                        failed = Some((chunk[i].number, e));
                        break;
                    }
                }
            }
            (at, error) = failed?;
        }
        let nothing = stored_nothing(error.kind());
        let mut failure = Failure::from(error);
        if nothing {
            // Rows of later lines, stored by earlier batches of this chunk, are taken back.
            for (i, l) in chunk.iter().enumerate() {
                if outcome[i] == Outcome::Stored && l.number > at {
                    let purged = self
                        .client
                        .ref_feedback_query(&l.weave_ref)
                        .and_then(|mut q| q.purge(&l.id));
                    match purged {
                        Ok(()) => outcome[i] = Outcome::Pending,
                        Err(e) => {
                            failure.message.push_str(&format!(
                                "; line {} (id {}) stays stored: taking it back failed: {e}",
                                l.number, l.id
                            ));
                        }
                    }
                }
            }
        }
        self.count(outcome, Some(at), chunk);
        Some(self.failed_at(at, failure, nothing))
    }

    /// Adds the chunk's outcomes to the totals (only lines before `before`, if given).
    fn count(&mut self, outcome: &[Outcome], before: Option<usize>, chunk: &[Line]) {
        for (o, l) in outcome.iter().zip(chunk) {
            if before.is_some_and(|n| l.number >= n) {
                continue;
            }
            self.lines += 1;
            match o {
                Outcome::Stored => self.stored += 1,
                Outcome::Present => self.present += 1,
                Outcome::Pending => {}
            }
        }
    }

    /// The one line that says where the import stopped and what is stored.
    fn failed_at(&mut self, number: usize, failure: Failure, nothing_after: bool) -> Failure {
        self.progress.finish();
        let after = if nothing_after {
            "nothing from it on is stored".to_string()
        } else {
            "lines from it on may or may not be stored (running the same import again \
             stores each missing line once)"
                .to_string()
        };
        let summary = format!(
            "{} new rows stored from the lines before it ({} were already there); {after}",
            self.stored, self.present
        );
        failure
            .context(format!("line {number}"))
            .context_after(summary)
    }
}
