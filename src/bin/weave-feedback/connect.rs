//! The client as the library configures it from the environment, with the command line's two
//! overrides, and the `entity/project` argument.

use std::path::{Path, PathBuf};

use clap::Args;
use weave_feedback::{Client, ClientBuilder, FeedbackQuery};

use crate::failure::Failure;

/// Where to connect; everything else comes from the environment, as the library resolves it.
#[derive(Args, Debug)]
pub struct Connection {
    /// Trace server base URL, or `sqlite:///abs/path.db` for a local store. Default: as the
    /// library resolves it (WF_TRACE_SERVER_URL, WANDB_BASE_URL, wandb settings, then
    /// https://trace.wandb.ai).
    #[arg(long, global = true, value_name = "URL")]
    url: Option<String>,
    /// Read the API key from this file (its first line). Default: WANDB_API_KEY, then the
    /// password for the W&B host in ~/.netrc. A key is never taken on the command line.
    #[arg(long, global = true, value_name = "FILE")]
    api_key_file: Option<PathBuf>,
}

impl Connection {
    /// The client: `ClientBuilder::from_env()` with `--url` and `--api-key-file` applied.
    pub fn client(&self) -> Result<Client, Failure> {
        let mut builder = ClientBuilder::from_env();
        if let Some(url) = &self.url {
            builder = builder.base_url(url);
        }
        if let Some(path) = &self.api_key_file {
            builder = builder.api_key(read_key(path)?);
        }
        Ok(builder.build()?)
    }
}

/// The key file's first line, trimmed. Its content never appears in a message.
fn read_key(path: &Path) -> Result<String, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::invalid(format!(
            "cannot read the API key file {}: {e}",
            path.display()
        ))
    })?;
    let key = text.lines().next().unwrap_or("").trim().to_string();
    if key.is_empty() {
        return Err(Failure::invalid(format!(
            "the API key file {} is empty",
            path.display()
        )));
    }
    Ok(key)
}

/// `entity/project`, split; the library checks the parts.
pub fn split_project(project: &str) -> Result<(&str, &str), Failure> {
    project.split_once('/').ok_or_else(|| {
        Failure::invalid(format!("--project must be ENTITY/PROJECT, not {project:?}"))
    })
}

/// A query over the project's feedback.
pub fn project_query(client: &Client, project: &str) -> Result<FeedbackQuery, Failure> {
    let (entity, name) = split_project(project)?;
    Ok(client.feedback_query(entity, name)?)
}
