//! Delivering claimed rows with the exactly-once write protocol, and settling each row:
//! delivered (deleted), refused (a dead letter), or still unknown (released, queued).
//!
//! A row the server refuses must not hold back the others: when a batch is refused, what is
//! left of it is looked up (an earlier attempt may have stored some) and sent again in halves,
//! until the refused row is alone; it then becomes a dead letter with the server's reason.

use super::db::Row;
use super::Outbox;
use crate::error::{Error, Result};
use crate::transport::{Budget, Transport};
use crate::write::Writer;

/// Delivers `rows` (claimed by `outbox`, all of one project) within `budget`. `Ok`: every row
/// is delivered or dead. `Err`: the rows not settled are released (queued for a later try).
pub(crate) fn deliver(
    outbox: &Outbox,
    transport: &Transport,
    budget: Budget,
    mut rows: Vec<Row>,
) -> Result<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let project = first.project_id.clone();
    let writer = Writer::with_budget(transport, &project, budget);
    // Rows claimed before may be on the server already (a lost answer, a crash): look first.
    let maybe: Vec<&str> = rows
        .iter()
        .filter(|r| r.attempts > 0)
        .map(|r| r.id.as_str())
        .collect();
    if !maybe.is_empty() {
        let found = match writer.stored_ids(&maybe) {
            Ok(found) => found,
            Err(e) => return Err(release(outbox, &rows, e)),
        };
        settle_found(outbox, &mut rows, &found)?;
        outbox
            .counters
            .add_retried(rows.iter().filter(|r| r.attempts > 0).count());
    }
    let rows: Vec<&Row> = rows.iter().collect();
    send(outbox, &writer, &rows)
}

/// Deletes the rows whose ids the server has, and keeps the others in `rows`.
fn settle_found(outbox: &Outbox, rows: &mut Vec<Row>, found: &[String]) -> Result<()> {
    let (done, rest): (Vec<Row>, Vec<Row>) = std::mem::take(rows)
        .into_iter()
        .partition(|r| found.contains(&r.id));
    outbox.db.delivered(&seqs(&done))?;
    outbox.counters.add_delivered(done.len());
    *rows = rest;
    Ok(())
}

/// Sends `rows`; settles every row on `Ok`, releases the unsettled ones on `Err`.
fn send(outbox: &Outbox, writer: &Writer<'_>, rows: &[&Row]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let items: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.id.as_str(), r.body.as_str()))
        .collect();
    let mut stored = Vec::new();
    let result = writer.deliver(&items, &mut stored);
    let (done, rest): (Vec<&Row>, Vec<&Row>) =
        rows.iter().partition(|r| stored.contains(&r.id.as_str()));
    outbox.db.delivered(&seqs(&done))?;
    outbox.counters.add_delivered(done.len());
    let e = match result {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let Some((status, reason)) = refusal(&e) else {
        return Err(release(outbox, &rest, e));
    };
    if let [row] = rest.as_slice() {
        outbox
            .db
            .dead(row.seq, status, reason, super::queue::now_ms())?;
        outbox.counters.add_dead(1);
        return Ok(());
    }
    // A retry inside that request may have stored items before the refusal: look first.
    let ids: Vec<&str> = rest.iter().map(|r| r.id.as_str()).collect();
    let found = match writer.stored_ids(&ids) {
        Ok(found) => found,
        Err(e) => return Err(release(outbox, &rest, e)),
    };
    let (done, left): (Vec<&Row>, Vec<&Row>) =
        rest.into_iter().partition(|r| found.contains(&r.id));
    outbox.db.delivered(&seqs(&done))?;
    outbox.counters.add_delivered(done.len());
    let (a, b) = left.split_at(left.len() / 2);
    if let Err(e) = send(outbox, writer, a) {
        return Err(release(outbox, b, e));
    }
    send(outbox, writer, b)
}

/// The HTTP status and reason of a refusal of the rows themselves: any 4xx but 401/403
/// (credentials: a configuration problem, not the row's), 408 and 429 (retried).
fn refusal(e: &Error) -> Option<(u16, &str)> {
    match e {
        Error::Rejected {
            status, message, ..
        } if *status != 408 && *status != 429 => Some((*status, message)),
        Error::NotFound { message, .. } => Some((404, message)),
        _ => None,
    }
}

/// Releases the claim on `rows` and returns `e` (or the file's error, if releasing failed).
fn release<R: std::borrow::Borrow<Row>>(outbox: &Outbox, rows: &[R], e: Error) -> Error {
    match outbox.db.release(&outbox.owner, &seqs(rows)) {
        Ok(()) => e,
        Err(db) => e.annotate(db),
    }
}

fn seqs<R: std::borrow::Borrow<Row>>(rows: &[R]) -> Vec<i64> {
    rows.iter().map(|r| r.borrow().seq).collect()
}
