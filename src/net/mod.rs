//! The sockets under the HTTP agent, plugged into `ureq` through its resolver and connector
//! seams so that a request on a kept-alive connection costs what the wire costs:
//!
//! - [`Resolver`]: names are looked up on the calling thread (no thread per request, as `ureq`'s
//!   default resolver spawns whenever a timeout is set), IP literals without any lookup, and
//!   answers are cached for [`NAME_TTL`](resolve::NAME_TTL) or until a connect to them fails.
//! - [`TcpConnector`] and its [`TcpTransport`](tcp::TcpTransport): a request is sent in one write (head and body
//!   together), socket timeouts are set only when the wanted value moved by more than a small
//!   slack, and a pooled connection is checked with one non-blocking peek.
//!
//! TLS (`https://`) and CONNECT proxies are `ureq`'s own connectors, chained around these.
//!
//! `resolve` holds the resolver and its cache, `tcp` the connector and the connection,
//! `timeout` how a step's timeout is put on the socket, `probe` the check of an idle
//! connection.

mod probe;
mod resolve;
mod tcp;
mod timeout;

pub(crate) use resolve::{Names, Resolver};
pub(crate) use tcp::TcpConnector;
