//! # weave-feedback
//!
//! A blocking, synchronous client for [W&B Weave](https://wandb.ai/site/weave) feedback:
//! reactions, notes and typed payloads (scores, labels, annotations) on calls and objects,
//! and queries over them. It mirrors the Python SDK's `FeedbackQuery`, `Feedbacks` and
//! `RefFeedbackQuery`, adds exactly-once retries, batch creates and a safe replace, and is
//! exposed to C, C++, Go, Ruby and Python through `extern "C"` functions (module `ffi`, header
//! `include/weave_feedback.h`), compiled only with the `capi` feature.
//!
//! ```no_run
//! use weave_feedback::{Client, NewFeedback};
//!
//! # fn main() -> Result<(), weave_feedback::Error> {
//! let client = Client::from_env()?; // WANDB_API_KEY, WF_TRACE_SERVER_URL, ...
//! let mut call = client.ref_feedback_query("weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd")?;
//! call.add_reaction("👍", Some("Dana"))?;
//! call.add_note("Great answer", None)?;
//! let mut score = serde_json::Map::new();
//! score.insert("score".into(), 4.into());
//! call.add(NewFeedback::custom("helpfulness", score))?;
//! println!("{}", call.execute()?.format_table());
//! # Ok(()) }
//! ```
//!
//! No async runtime, no background threads: every network call blocks the calling thread.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod client;
pub mod config;
pub mod error;
pub mod feedback;
pub mod feedback_query;
pub mod fields;
pub mod get_feedback;
pub mod new_feedback;
pub mod outbox;
pub mod query;
pub mod ref_feedback_query;
pub mod refs;
#[cfg(feature = "local-store")]
pub mod store;
pub mod timestamp;

mod collection;
mod failure;
mod ids;
mod net;
mod pages;
mod pyjson;
mod response;
mod transport;
mod validate;
mod write;

#[cfg(feature = "capi")]
#[allow(unsafe_code)]
pub mod ffi;

pub use client::Client;
pub use config::{ClientBuilder, Environment};
pub use error::{Error, ErrorKind, Result};
pub use feedback::{Feedback, Feedbacks, Refs};
pub use feedback_query::{FeedbackQuery, Pages};
pub use fields::{SortBy, SortDirection};
pub use ids::new_uuid_v7;
pub use new_feedback::{NewFeedback, OptionalText};
pub use outbox::{DeadLetter, OutboxCounters};
pub use query::Query;
pub use ref_feedback_query::RefFeedbackQuery;
pub use refs::{RefKind, WeaveRef};
pub use transport::USER_AGENT;
pub use validate::{MAX_NOTE_CHARS, MAX_PAYLOAD_CHARS};

/// The README's Rust examples, compiled as doc tests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
