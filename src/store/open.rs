//! Opening a store: the SQLite file in WAL mode with a busy timeout (retrying the switch to WAL
//! while another process makes the same switch), or a store in memory; then the schema
//! migrated and the SQL functions registered.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use super::functions::register_functions;
use super::{schema, Store, BUSY_TIMEOUT};

impl Store {
    /// Opens (creating it if missing, with its parent directory) the store in the SQLite file
    /// `path`, and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, String> {
        let path = path.as_ref();
        Store::finish(open_wal(path)?, Some(path.to_path_buf()))
    }

    /// A new store in memory, gone when dropped.
    pub fn in_memory() -> Result<Store, String> {
        let conn = Connection::open_in_memory().map_err(|e| e.to_string())?;
        Store::finish(conn, None)
    }

    fn finish(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, String> {
        let where_ = || {
            path.as_ref()
                .map_or("memory".into(), |p| p.display().to_string())
        };
        schema::migrate(&mut conn).map_err(|e| format!("{}: {e}", where_()))?;
        register_functions(&conn).map_err(|e| e.to_string())?;
        Ok(Store {
            conn: Mutex::new(conn),
            path,
        })
    }
}

/// Opens (creating it if missing, with its parent directory) the SQLite file `path` for use
/// by several processes at once: WAL mode, the busy timeout, `synchronous=NORMAL`. Also the
/// outbox's opener.
pub(crate) fn open_wal(path: &Path) -> Result<Connection, String> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| e.to_string())?;
    // WAL: readers never block the writer. Switching a new file to WAL takes an exclusive
    // lock, and SQLite answers "database is locked" at once (its busy handler is not used
    // for this), so while another process is doing the same, try again within the timeout.
    let started = std::time::Instant::now();
    let mode: String = loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)) {
            Ok(mode) => break mode,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(format!("cannot use {}: {e}", path.display())),
        }
    };
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("{}: WAL mode is not available", path.display()));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| e.to_string())?;
    Ok(conn)
}
