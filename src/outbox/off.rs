//! Without the `local-store` feature there is no SQLite, hence no outbox: asking for one is
//! refused when the client is built, and a client never has one.

use std::sync::Arc;
use std::time::Duration;

use super::{DeadLetter, OutboxCounters};
use crate::config::ClientBuilder;
use crate::error::{Error, Result};
use crate::transport::Transport;

/// No value of this type exists in a build without the local store.
#[derive(Debug)]
pub(crate) enum Outbox {}

impl Outbox {
    pub(crate) fn open(b: &ClientBuilder) -> Result<Option<Arc<Outbox>>> {
        match &b.outbox {
            None => Ok(None),
            Some(path) => Err(Error::InvalidArgument(format!(
                "outbox {}: the outbox needs SQLite, and this build of weave-feedback was made \
                 without it (cargo feature `local-store`)",
                path.display()
            ))),
        }
    }

    pub(crate) fn add(&self, _: &Transport, _: &[(&str, &str, &str)]) -> Result<()> {
        match *self {}
    }

    pub(crate) fn flush(&self, _: &Transport, _: Duration) -> Result<()> {
        match *self {}
    }

    pub(crate) fn pending(&self) -> Result<u64> {
        match *self {}
    }

    pub(crate) fn dead_letters(&self) -> Result<Vec<DeadLetter>> {
        match *self {}
    }

    pub(crate) fn purge_dead(&self, _: &[&str]) -> Result<u64> {
        match *self {}
    }

    pub(crate) fn counters(&self) -> OutboxCounters {
        match *self {}
    }
}
