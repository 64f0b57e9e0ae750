//! The `weave-feedback` binary, run as a user runs it: against Weave's server logic (the test
//! front) and against a local store file, checking stdout, stderr and exit statuses.
//!
//! Every run clears the environment (and points HOME at an empty directory), so neither the
//! developer's W&B settings nor a netrc can leak in.

#[path = "../common/mod.rs"]
mod common;

mod errors;
mod exact;
mod harness;
mod reaction_sort;
mod rows;
mod scorer;
mod transfer;
