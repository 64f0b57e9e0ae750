//! A client's outbox: queue on add (then one try), flush until empty or a deadline, count.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::db::{Db, NewRow};
use super::deliver::deliver;
use super::{DeadLetter, OutboxCounters};
use crate::config::ClientBuilder;
use crate::error::{Error, Result};
use crate::transport::Transport;

/// Rows claimed and sent together (also the look-up size of one request).
const CLAIM_ROWS: usize = 500;
/// How often a flush looks again while the rows left are claimed by another process.
const CLAIMED_ELSEWHERE_POLL: Duration = Duration::from_millis(50);
/// The pause between a flush's tries after a failed delivery: doubled up to the maximum.
const FLUSH_PAUSE: (Duration, Duration) = (Duration::from_millis(50), Duration::from_secs(2));
/// After an add's try fails, later adds only queue (no try) for this long, doubled per
/// failure up to the maximum, so an outage never makes every add wait for the network.
const ADD_QUIET: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(30));

/// The outbox of one client (shared by its clones).
pub(crate) struct Outbox {
    pub(super) db: Db,
    /// This client's name on its claims.
    pub(super) owner: String,
    pub(super) counters: Counters,
    path: PathBuf,
    max_rows: u64,
    lease: Duration,
    /// Adds do not try to deliver before this instant; the number of failures in a row.
    quiet: Mutex<(Option<Instant>, u32)>,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("path", &self.path)
            .field("max_rows", &self.max_rows)
            .field("lease", &self.lease)
            .finish()
    }
}

/// The counters behind [`OutboxCounters`].
#[derive(Default)]
pub(crate) struct Counters([AtomicU64; 4]);

impl Counters {
    fn add(&self, i: usize, n: usize) {
        self.0[i].fetch_add(n as u64, Ordering::Relaxed);
    }
    pub(super) fn add_delivered(&self, n: usize) {
        self.add(1, n)
    }
    pub(super) fn add_retried(&self, n: usize) {
        self.add(2, n)
    }
    pub(super) fn add_dead(&self, n: usize) {
        self.add(3, n)
    }
}

/// Milliseconds since the Unix epoch: leases are compared across processes.
pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Outbox {
    /// The outbox a builder asks for, opened (and created if missing); `None` without one.
    pub(crate) fn open(b: &ClientBuilder) -> Result<Option<Arc<Outbox>>> {
        let Some(path) = &b.outbox else {
            return Ok(None);
        };
        if b.outbox_max_rows == 0 || b.outbox_lease.is_zero() {
            return Err(Error::InvalidArgument(
                "outbox_max_rows and outbox_lease must be positive".into(),
            ));
        }
        let db = Db::open(path)
            .map_err(|e| Error::InvalidArgument(format!("outbox {}: {e}", path.display())))?;
        Ok(Some(Arc::new(Outbox {
            db,
            owner: crate::ids::new_uuid_v7(),
            counters: Counters::default(),
            path: path.clone(),
            max_rows: b.outbox_max_rows,
            lease: b.outbox_lease,
            quiet: Mutex::new((None, 0)),
        })))
    }

    /// The longest one delivery may take: it must end well before its claim does.
    fn delivery_span(&self) -> Duration {
        self.lease * 4 / 5
    }

    /// Queues `rows` (committed before this returns), then, unless an add failed to deliver
    /// a moment ago, tries once to send them within the call's deadline. Only the queueing
    /// can fail (the file, or [`Error::OutboxFull`]).
    pub(crate) fn add(&self, transport: &Transport, rows: &[NewRow<'_>]) -> Result<()> {
        let try_now = {
            let quiet = self.quiet.lock().unwrap_or_else(|p| p.into_inner());
            quiet.0.is_none_or(|until| Instant::now() >= until)
        };
        let now = now_ms();
        let lease_until = now + self.lease.as_millis() as i64;
        let claimed = self.db.enqueue(
            rows,
            self.max_rows,
            try_now.then_some(self.owner.as_str()),
            now,
            lease_until,
        )?;
        self.counters.add(0, rows.len());
        if try_now {
            let budget = transport
                .budget_within(self.delivery_span())
                .attempts_at_most(1);
            let ok = deliver(self, transport, budget, claimed).is_ok();
            self.note_try(ok);
        }
        Ok(())
    }

    /// Remembers how an add's try went: a failure quiets the adds after it for a while.
    fn note_try(&self, ok: bool) {
        let mut quiet = self.quiet.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            *quiet = (None, 0);
        } else {
            let failures = quiet.1.saturating_add(1);
            let pause = ADD_QUIET
                .0
                .saturating_mul(1 << (failures - 1).min(16))
                .min(ADD_QUIET.1);
            *quiet = (Some(Instant::now() + pause), failures);
        }
    }

    /// Delivers until the outbox is empty or `deadline` has passed (see `Client::flush`).
    pub(crate) fn flush(&self, transport: &Transport, deadline: Duration) -> Result<()> {
        let end = Instant::now() + deadline;
        let mut pause = FLUSH_PAUSE.0;
        let mut last: Option<Error> = None;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let now = now_ms();
            let lease_until = now + self.lease.as_millis() as i64;
            let rows = self.db.claim(&self.owner, now, lease_until, CLAIM_ROWS)?;
            if rows.is_empty() {
                if self.db.pending()? == 0 {
                    self.note_try(true);
                    return Ok(());
                }
                // The rest is claimed by another client: it is delivered, or its lease ends.
                thread::sleep(CLAIMED_ELSEWHERE_POLL.min(left));
                continue;
            }
            let budget = transport.budget_within(left.min(self.delivery_span()));
            match deliver(self, transport, budget, rows) {
                Ok(()) => pause = FLUSH_PAUSE.0,
                Err(e) if worth_retrying(&e) => {
                    last = Some(e);
                    thread::sleep(pause.min(end.saturating_duration_since(Instant::now())));
                    pause = (pause * 2).min(FLUSH_PAUSE.1);
                }
                Err(e) => return Err(e),
            }
        }
        let pending = self.db.pending()?;
        if pending == 0 {
            return Ok(());
        }
        Err(Error::Timeout {
            attempts: last.as_ref().and_then(Error::attempts).unwrap_or(0),
            last_status: last.as_ref().and_then(Error::http_status),
            message: format!(
                "flush deadline of {} ms passed with {pending} row(s) still in the outbox{}",
                deadline.as_millis(),
                last.map_or(String::new(), |e| format!(" (last failure: {e})"))
            ),
            feedback_ids: Vec::new(),
        })
    }

    pub(crate) fn pending(&self) -> Result<u64> {
        self.db.pending()
    }

    pub(crate) fn dead_letters(&self) -> Result<Vec<DeadLetter>> {
        self.db.dead_letters()
    }

    pub(crate) fn purge_dead(&self, ids: &[&str]) -> Result<u64> {
        self.db.purge_dead(ids)
    }

    pub(crate) fn counters(&self) -> OutboxCounters {
        let c = |i: usize| self.counters.0[i].load(Ordering::Relaxed);
        OutboxCounters {
            queued: c(0),
            delivered: c(1),
            retried: c(2),
            dead: c(3),
        }
    }
}

/// Failures a later try may get past (the network, the server's load); not credentials, a
/// refusal, or the outbox file itself.
fn worth_retrying(e: &Error) -> bool {
    match e {
        Error::Transport { .. }
        | Error::Timeout { .. }
        | Error::Server { .. }
        | Error::RateLimited { .. }
        | Error::Decode { .. } => true,
        Error::Rejected { status, .. } => *status == 408,
        _ => false,
    }
}
