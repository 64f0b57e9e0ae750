//! The durable outbox: with [`ClientBuilder::outbox`](crate::ClientBuilder::outbox), adds are
//! committed to a SQLite file first and delivered from there, so a server outage or a crash
//! loses nothing, and the caller is never blocked longer than one try.
//!
//! - `db`: the file (queued rows, claims with leases, dead letters);
//! - `deliver`: sending claimed rows with the exactly-once write protocol and settling each;
//! - `queue`: the client's outbox: adding, flushing, counting.
//!
//! There is no background thread (the library starts none): rows an add could not deliver are
//! sent by [`Client::flush`], by this or any other process sharing the file.

use std::time::Duration;

use crate::client::Client;
use crate::error::Result;

#[cfg(feature = "local-store")]
mod db;
#[cfg(feature = "local-store")]
mod deliver;
#[cfg(not(feature = "local-store"))]
mod off;
#[cfg(feature = "local-store")]
mod queue;

#[cfg(not(feature = "local-store"))]
pub(crate) use off::Outbox;
#[cfg(feature = "local-store")]
pub(crate) use queue::Outbox;

/// The default of [`ClientBuilder::outbox_max_rows`](crate::ClientBuilder::outbox_max_rows).
pub const DEFAULT_MAX_ROWS: u64 = 100_000;
/// The default of [`ClientBuilder::outbox_lease`](crate::ClientBuilder::outbox_lease).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// A row the server refused (a 4xx other than 401, 403, 408 and 429): it is never sent again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// The feedback id the add returned.
    pub id: String,
    /// `entity/project`.
    pub project_id: String,
    /// The create request that was refused (JSON text).
    pub request: String,
    /// The server's HTTP status.
    pub http_status: u16,
    /// The server's reason.
    pub reason: String,
    /// When it was refused, in milliseconds since the Unix epoch.
    pub failed_at_ms: i64,
}

impl DeadLetter {
    /// As one JSON object: `id`, `project_id`, `http_status`, `reason`, `failed_at_ms`, and
    /// `request` (the refused create request, as JSON).
    pub fn to_value(&self) -> serde_json::Value {
        let request = serde_json::from_str(&self.request)
            .unwrap_or_else(|_| serde_json::Value::String(self.request.clone()));
        serde_json::json!({
            "id": self.id,
            "project_id": self.project_id,
            "http_status": self.http_status,
            "reason": self.reason,
            "failed_at_ms": self.failed_at_ms,
            "request": request,
        })
    }
}

/// What this client's outbox did since the client was built (clones share one count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounters {
    /// Rows this client queued.
    pub queued: u64,
    /// Rows this client saw stored on the server (sent, or found by a look-up).
    pub delivered: u64,
    /// Rows claimed again after an earlier claim that did not settle them (looked up, then
    /// sent when missing).
    pub retried: u64,
    /// Rows this client moved to the dead letters.
    pub dead: u64,
}

impl Client {
    /// Sends what is queued in the outbox, in batches, until nothing is left or `deadline`
    /// has passed; waits for rows another process has claimed until they are delivered or
    /// that claim's lease ends. `Ok`: nothing is pending. `Err(Timeout)`: the deadline passed
    /// with rows still queued (the message says how many and the last failure);
    /// `Err(Unauthorized)` at once on 401/403 (rows stay queued). Without an outbox: `Ok`.
    pub fn flush(&self, deadline: Duration) -> Result<()> {
        match self.outbox() {
            Some(o) => o.flush(self.transport(), deadline),
            None => Ok(()),
        }
    }

    /// Rows in the outbox not yet delivered (queued or being sent, by any process); 0
    /// without an outbox. Sends nothing.
    pub fn outbox_pending(&self) -> Result<u64> {
        self.outbox().map_or(Ok(0), |o| o.pending())
    }

    /// The rows the server refused, oldest first (empty without an outbox).
    pub fn outbox_dead_letters(&self) -> Result<Vec<DeadLetter>> {
        self.outbox().map_or(Ok(Vec::new()), |o| o.dead_letters())
    }

    /// Deletes the dead letters with these ids, or all of them when `ids` is empty; returns
    /// how many were deleted.
    pub fn outbox_purge_dead_letters(&self, ids: &[&str]) -> Result<u64> {
        self.outbox().map_or(Ok(0), |o| o.purge_dead(ids))
    }

    /// This client's outbox counters (all 0 without an outbox).
    pub fn outbox_counters(&self) -> OutboxCounters {
        self.outbox().map(|o| o.counters()).unwrap_or_default()
    }

    /// With an outbox, queues `rows` (id, project, create body) and tries to deliver them
    /// once; `Ok(false)` without an outbox (the caller sends them itself).
    pub(crate) fn queue(&self, rows: &[(&str, &str, &str)]) -> Result<bool> {
        match self.outbox() {
            Some(o) => o.add(self.transport(), rows).map(|()| true),
            None => Ok(false),
        }
    }
}
