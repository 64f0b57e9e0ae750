//! Rows on stdout: the SDK's table, a JSON array, or JSON Lines (one row per line), all made
//! by the library (`Feedbacks::format_table`, `Feedback::to_json`).

use std::io::Write;

use clap::ValueEnum;
use weave_feedback::{Feedback, Feedbacks};

use crate::failure::Failure;

/// How rows are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The Python SDK's plain-text table.
    Table,
    /// One JSON array of rows (13 keys each, as the server names them).
    Json,
    /// One JSON object per line (what `export` writes and `import` reads).
    Jsonl,
}

/// Prints rows as they arrive, page by page: JSON and JSON Lines stream (memory holds one
/// page); the table needs every row for its column widths, so it is printed at the end.
pub struct RowWriter<W: Write> {
    out: W,
    format: Format,
    show_refs: bool,
    /// Rows kept for the table.
    table: Vec<Feedback>,
    rows: u64,
}

impl<W: Write> RowWriter<W> {
    pub fn new(out: W, format: Format, show_refs: bool) -> RowWriter<W> {
        RowWriter {
            out,
            format,
            show_refs,
            table: Vec::new(),
            rows: 0,
        }
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn page(&mut self, page: &Feedbacks) -> Result<(), Failure> {
        for row in page {
            match self.format {
                Format::Table => self.table.push(row.clone()),
                Format::Json => {
                    let sep = if self.rows == 0 { "[" } else { "," };
                    write!(self.out, "{sep}{}", row.to_json())?;
                }
                Format::Jsonl => writeln!(self.out, "{}", row.to_json())?,
            }
            self.rows += 1;
        }
        if self.format != Format::Table {
            self.out.flush()?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<(), Failure> {
        match self.format {
            Format::Table => {
                let all = Feedbacks::new(std::mem::take(&mut self.table), self.show_refs);
                write!(self.out, "{}", all.format_table())?;
            }
            Format::Json if self.rows == 0 => writeln!(self.out, "[]")?,
            Format::Json => writeln!(self.out, "]")?,
            Format::Jsonl => {}
        }
        self.out.flush()?;
        Ok(())
    }
}

/// Prints one set of rows.
pub fn print(rows: &Feedbacks, format: Format) -> Result<(), Failure> {
    let mut w = RowWriter::new(std::io::stdout().lock(), format, rows.show_refs());
    w.page(rows)?;
    w.finish()
}
