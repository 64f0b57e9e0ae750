//! Reading many rows: `query` (a page, or every row with `--all`) and `export` (every row as
//! JSON Lines), both walking with the library's keyset pages (`FeedbackQuery::pages`).

use clap::Args;
use weave_feedback::Client;

use crate::failure::Failure;
use crate::filters::Filters;
use crate::output::{Format, RowWriter};
use crate::progress::Progress;

/// Rows `query` prints without --limit or --all (the SDK's `get_feedback` default).
pub const DEFAULT_LIMIT: u64 = 100;

#[derive(Args, Debug)]
pub struct QueryArgs {
    #[command(flatten)]
    filters: Filters,
    /// At most this many rows [default: 100].
    #[arg(long, value_name = "N", conflicts_with = "all")]
    limit: Option<u64>,
    /// Skip this many rows first.
    #[arg(long, value_name = "N")]
    offset: Option<u64>,
    /// Every row, fetched page by page.
    #[arg(long)]
    all: bool,
    /// Rows per request with --all.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    page_rows: u64,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Add the Ref column to the table.
    #[arg(long)]
    show_refs: bool,
}

pub fn query(client: &Client, args: &QueryArgs) -> Result<(), Failure> {
    let q = args
        .filters
        .query(client)?
        .with_offset(args.offset)
        .with_show_refs(args.show_refs);
    let mut out = RowWriter::new(std::io::stdout().lock(), args.format, args.show_refs);
    if args.all {
        for page in q.pages(page_size(args.page_rows))? {
            out.page(&page?)?;
        }
    } else {
        let rows = q
            .with_limit(args.limit.unwrap_or(DEFAULT_LIMIT))
            .execute()?;
        out.page(&rows)?;
    }
    out.finish()
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    filters: Filters,
    /// Rows per request.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    page_rows: u64,
}

/// Every matching row as JSON Lines on stdout, in `created_at` order, with every key
/// (`import` reads them back).
pub fn export(client: &Client, args: &ExportArgs) -> Result<(), Failure> {
    let q = args.filters.query(client)?;
    let mut out = RowWriter::new(std::io::stdout().lock(), Format::Jsonl, false);
    let mut progress = Progress::new();
    for page in q.pages(page_size(args.page_rows))? {
        out.page(&page?)?;
        progress.update(&format!("exported {} rows", out.rows()));
    }
    progress.finish();
    out.finish()
}

fn page_size(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}
