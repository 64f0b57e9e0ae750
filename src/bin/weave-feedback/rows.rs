//! One row at a time: `add`, `get`, `purge`, `replace`.

use clap::Args;
use serde_json::{Map, Value};
use weave_feedback::{Client, Feedback, Feedbacks, NewFeedback};

use crate::connect::split_project;
use crate::failure::Failure;
use crate::filters::feedback_type;
use crate::output::{self, Format};

/// What a new row holds: exactly one of --reaction, --note or --type.
#[derive(Args, Debug)]
pub struct Content {
    /// A reaction: exactly one emoji.
    #[arg(long, value_name = "EMOJI", conflicts_with_all = ["note", "feedback_type"],
          required_unless_present_any = ["note", "feedback_type"])]
    reaction: Option<String>,
    /// A note: 1 to 1024 characters.
    #[arg(long, value_name = "TEXT", conflicts_with = "feedback_type")]
    note: Option<String>,
    /// A custom (or annotation) feedback type, with --payload.
    #[arg(long = "type", value_name = "TYPE")]
    feedback_type: Option<String>,
    /// The typed payload, a JSON object (with --type; default {}).
    #[arg(long, value_name = "JSON", conflicts_with_all = ["reaction", "note"])]
    payload: Option<String>,
    /// Who gives the feedback (a display name).
    #[arg(long, value_name = "NAME")]
    creator: Option<String>,
    /// The annotation spec ref, for wandb.annotation.<name> types.
    #[arg(long, value_name = "REF")]
    annotation_ref: Option<String>,
    /// The scorer (an op or object version ref named <name>), for wandb.runnable.<name> types
    /// (the payload needs "output").
    #[arg(long, value_name = "REF", conflicts_with_all = ["reaction", "note"])]
    runnable_ref: Option<String>,
    /// The call that ran the scorer (a call ref; required when the scorer is an op).
    #[arg(long, value_name = "REF", conflicts_with_all = ["reaction", "note"])]
    call_ref: Option<String>,
    /// The monitor whose trigger ran the scorer (an object version ref).
    #[arg(long, value_name = "REF", conflicts_with_all = ["reaction", "note"])]
    trigger_ref: Option<String>,
}

impl Content {
    fn feedback(&self) -> Result<NewFeedback, Failure> {
        let f = match (&self.reaction, &self.note, &self.feedback_type) {
            (Some(emoji), _, _) => NewFeedback::reaction(emoji),
            (_, Some(text), _) => NewFeedback::note(text),
            (_, _, Some(t)) => {
                let f = NewFeedback::of_type(feedback_type(t), self.payload()?);
                // Sent as written, so integers beyond 64 bits keep every digit.
                match self.payload.as_deref() {
                    Some(text) => f.with_payload_json(text)?,
                    None => f,
                }
            }
            _ => {
                return Err(Failure::usage(
                    "one of --reaction, --note or --type is required",
                ))
            }
        };
        Ok(f.creator(self.creator.as_deref())
            .annotation_ref(self.annotation_ref.as_deref())
            .runnable_ref(self.runnable_ref.as_deref())
            .call_ref(self.call_ref.as_deref())
            .trigger_ref(self.trigger_ref.as_deref()))
    }

    fn payload(&self) -> Result<Map<String, Value>, Failure> {
        match self.payload.as_deref().map(serde_json::from_str::<Value>) {
            None => Ok(Map::new()),
            Some(Ok(Value::Object(m))) => Ok(m),
            Some(Ok(_)) => Err(Failure::invalid("--payload must be a JSON object")),
            Some(Err(e)) => Err(Failure::invalid(format!("--payload is not JSON: {e}"))),
        }
    }
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The call or object the feedback is on (weave:///entity/project/call/<id>, ...).
    #[arg(long = "ref", value_name = "REF")]
    weave_ref: String,
    #[command(flatten)]
    content: Content,
    /// Use this row id instead of a new UUIDv7.
    #[arg(long, value_name = "ID")]
    id: Option<String>,
}

/// Adds one row; prints its id.
pub fn add(client: &Client, args: &AddArgs) -> Result<(), Failure> {
    let mut feedback = args.content.feedback()?;
    if let Some(id) = &args.id {
        feedback = feedback.id(id);
    }
    let id = client.ref_feedback_query(&args.weave_ref)?.add(feedback)?;
    println!("{id}");
    Ok(())
}

/// An id in a project.
#[derive(Args, Debug)]
pub struct IdArgs {
    /// The feedback id.
    id: String,
    /// The project the row is in, ENTITY/PROJECT.
    #[arg(long, short = 'p', value_name = "ENTITY/PROJECT")]
    project: String,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    #[command(flatten)]
    target: IdArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Add the Ref column to the table.
    #[arg(long)]
    show_refs: bool,
}

/// The row with this id: the library's `Client::get_feedback` (a missing id is `NotFound`,
/// exit 5).
pub fn feedback_by_id(client: &Client, project: &str, id: &str) -> Result<Feedback, Failure> {
    let (entity, name) = split_project(project)?;
    Ok(client.get_feedback(entity, name, id)?)
}

pub fn get(client: &Client, args: &GetArgs) -> Result<(), Failure> {
    let row = feedback_by_id(client, &args.target.project, &args.target.id)?;
    output::print(&Feedbacks::new(vec![row], args.show_refs), args.format)
}

/// Deletes the row; prints its id. A missing id is "not found" (the library's purge would
/// succeed silently), so a typo is noticed.
pub fn purge(client: &Client, args: &IdArgs) -> Result<(), Failure> {
    let row = feedback_by_id(client, &args.project, &args.id)?;
    client.ref_feedback_query(&row.weave_ref)?.purge(&row.id)?;
    println!("{}", row.id);
    Ok(())
}

#[derive(Args, Debug)]
pub struct ReplaceArgs {
    #[command(flatten)]
    target: IdArgs,
    #[command(flatten)]
    content: Content,
}

/// Replaces the row's content (same ref, same id) with the library's safe replace; prints
/// the id.
pub fn replace(client: &Client, args: &ReplaceArgs) -> Result<(), Failure> {
    let row = feedback_by_id(client, &args.target.project, &args.target.id)?;
    let id = client
        .ref_feedback_query(&row.weave_ref)?
        .replace(&row.id, args.content.feedback()?)?;
    println!("{id}");
    Ok(())
}
