//! Reading many rows: `query` (a page, or every row with `--all`) and `export` (every row as
//! JSON Lines), both walking with the library's keyset pages (`FeedbackQuery::pages`).

use clap::Args;
use weave_feedback::{Client, SortBy, SortDirection};

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
    /// Order by FIELD (a column such as created_at, or payload.<path>), ascending unless
    /// `:desc`; repeat it for ties. Default: created_at, ascending. --all walks pages in the
    /// default order only.
    #[arg(long = "sort", value_name = "FIELD[:asc|desc]", value_parser = parse_sort)]
    sort: Vec<SortBy>,
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
    if args.all && !in_page_order(&args.sort) {
        return Err(Failure::usage(
            "--all walks rows in created_at order (keyset pages), so it cannot take another \
             --sort: use --sort with --limit and --offset",
        ));
    }
    let sort = (!args.sort.is_empty()).then(|| args.sort.clone());
    let q = args
        .filters
        .query(client)?
        .with_offset(args.offset)
        .with_show_refs(args.show_refs)
        .with_sort_by(sort);
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

/// `FIELD`, `FIELD:asc` or `FIELD:desc` (the field is checked by the library, as the server
/// checks it).
fn parse_sort(text: &str) -> Result<SortBy, String> {
    let (field, direction) = match text.rsplit_once(':') {
        None => (text, SortDirection::Asc),
        Some((f, "asc")) => (f, SortDirection::Asc),
        Some((f, "desc")) => (f, SortDirection::Desc),
        Some(_) => return Err("expected FIELD, FIELD:asc or FIELD:desc".into()),
    };
    if field.is_empty() {
        return Err("the field is empty".into());
    }
    Ok(SortBy {
        field: field.to_string(),
        direction,
    })
}

/// Whether the sort is the order pages walk (none, `created_at:asc`, then `id:asc`).
fn in_page_order(sort: &[SortBy]) -> bool {
    let asc = |s: &SortBy, f: &str| s.field == f && s.direction == SortDirection::Asc;
    match sort {
        [] => true,
        [a] => asc(a, "created_at"),
        [a, b] => asc(a, "created_at") && asc(b, "id"),
        _ => false,
    }
}

fn page_size(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}
