//! The store's schema and its migrations, versioned with SQLite's `user_version`.
//!
//! Each migration runs once, inside a `BEGIN IMMEDIATE` transaction that first re-reads the
//! version, so several processes opening one new file at once migrate it exactly once.

use rusqlite::{Connection, TransactionBehavior};

/// Migrations in order; migration `i` brings the file from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the feedback table, with the columns of Weave's server
    // (`TABLE_FEEDBACK` in weave/trace_server/feedback.py). Rows keep their insertion order
    // (rowid), which is the order a query without `sort_by` returns, as on Weave's SQLite server;
    // the one index (project_id alone) keeps that order, since equal keys are in rowid order.
    "CREATE TABLE feedback (
        id TEXT,
        project_id TEXT,
        weave_ref TEXT,
        wb_user_id TEXT,
        creator TEXT,
        created_at TEXT,
        feedback_type TEXT,
        payload_dump TEXT,
        annotation_ref TEXT,
        runnable_ref TEXT,
        call_ref TEXT,
        trigger_ref TEXT,
        queue_id TEXT
    );
    CREATE INDEX feedback_project ON feedback (project_id);",
];

/// The version this build writes.
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the file up to [`VERSION`]; refuses a file written by a newer version.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), String> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    let current: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if current > VERSION {
        return Err(format!(
            "the store's schema is version {current}, newer than this library's {VERSION}: \
             upgrade weave-feedback"
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(sql)
            .map_err(|e| format!("migration {}: {e}", i + 1))?;
    }
    tx.pragma_update(None, "user_version", VERSION)
        .map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())
}
