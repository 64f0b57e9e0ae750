//! `weave-feedback`: give, read, export and import W&B Weave feedback from a shell, against a
//! Weave server or a local store (`--url sqlite:///path.db`).
//!
//! A thin shell over the library's public API: argument parsing (clap), output formatting and
//! exit statuses. Everything about feedback (rules, retries, exactly-once writes, paging)
//! is the library's.

mod connect;
mod failure;
mod filters;
mod import;
mod output;
mod progress;
mod read;
mod rows;

use clap::{Parser, Subcommand};

use crate::connect::Connection;
use crate::failure::{Failure, EXIT_STATUS_HELP};

/// Give and read feedback on W&B Weave calls and objects (reactions, notes, typed payloads).
///
/// Configuration as the library resolves it: WF_TRACE_SERVER_URL (or WANDB_BASE_URL and the
/// wandb settings), WANDB_API_KEY (or ~/.netrc), WEAVE_HTTP_TIMEOUT, WEAVE_RETRY_MAX_ATTEMPTS;
/// --url and --api-key-file override the first two.
#[derive(Parser, Debug)]
#[command(name = "weave-feedback", version, after_help = EXIT_STATUS_HELP)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Add a reaction, a note or typed feedback to a ref; prints the new id.
    Add(rows::AddArgs),
    /// Print a project's (or a ref's) feedback: a table, JSON or JSON Lines.
    Query(read::QueryArgs),
    /// Print one row by id.
    Get(rows::GetArgs),
    /// Delete one row by id; prints the id.
    Purge(rows::IdArgs),
    /// Replace one row's content (same ref, same id); prints the id.
    Replace(rows::ReplaceArgs),
    /// Write every matching row as JSON Lines, ids and all.
    Export(read::ExportArgs),
    /// Store JSON Lines rows (as export writes them) with their ids, exactly once: a second
    /// run stores nothing new.
    Import(import::ImportArgs),
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version.
            let _ = e.print();
            std::process::exit(0);
        }
        Err(e) => exit(Failure::usage(format!(
            "{} (see --help)",
            first_line(&e.to_string())
        ))),
    };
    if let Err(f) = run(&cli) {
        exit(f);
    }
}

fn run(cli: &Cli) -> Result<(), Failure> {
    let client = cli.connection.client()?;
    match &cli.command {
        Command::Add(a) => rows::add(&client, a),
        Command::Query(a) => read::query(&client, a),
        Command::Get(a) => rows::get(&client, a),
        Command::Purge(a) => rows::purge(&client, a),
        Command::Replace(a) => rows::replace(&client, a),
        Command::Export(a) => read::export(&client, a),
        Command::Import(a) => import::import(&client, a),
    }
}

fn exit(f: Failure) -> ! {
    if !f.quiet {
        eprintln!("weave-feedback: {}", f.line());
    }
    std::process::exit(f.code())
}

/// clap's message without its usage lines and tips (everything up to the first blank line,
/// on one line); `error: ` is dropped for our own prefix.
fn first_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let line = lines.join(" ");
    line.strip_prefix("error: ").unwrap_or(&line).to_string()
}
