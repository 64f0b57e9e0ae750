//! The client: one configured connection to a Weave trace server. The query classes are made
//! from it (`Client::feedback_query`, `Client::ref_feedback_query`, defined beside them).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::ClientBuilder;
use crate::error::{Error, Result};
use crate::feedback::Feedbacks;
use crate::outbox::Outbox;
use crate::transport::Transport;
use crate::write::Writer;

impl ClientBuilder {
    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client> {
        let transport = Arc::new(Transport::new(self.settings()?));
        Ok(Client {
            transport,
            outbox: Outbox::open(&self)?,
            scan_answers: false,
        })
    }
}

/// A configured connection to a Weave trace server. `Send + Sync`; clones share one HTTP agent
/// (keep-alive pool), so clone freely.
#[derive(Clone, Debug)]
pub struct Client {
    transport: Arc<Transport>,
    /// Where adds are queued first, when the builder asked for an outbox.
    outbox: Option<Arc<Outbox>>,
    /// Whether query answers are kept as scanned (`Feedbacks::from_query_page_scanned`):
    /// set only by the C layer, whose handle reads the values in place. Rust callers keep the
    /// reference decoder, whose rows they would build anyway.
    pub(crate) scan_answers: bool,
}

impl Client {
    /// A builder with the SDK's environment defaults (see [`ClientBuilder::from_env`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::from_env()
    }

    /// A client configured from the environment alone.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env().build()
    }

    /// The base URL requests go to (no trailing `/`).
    pub fn base_url(&self) -> &str {
        self.transport.base_url()
    }

    /// `GET /server_info`: the server's version handshake, as JSON.
    pub fn server_info(&self) -> Result<Value> {
        let body = self.transport.get("/server_info")?;
        serde_json::from_slice(&body).map_err(|e| Error::decode(format!("server_info: {e}")))
    }

    pub(crate) fn query_rows(&self, body: &Value, show_refs: bool) -> Result<Feedbacks> {
        self.query_page(body, show_refs).map(|(rows, _)| rows)
    }

    /// One `/feedback/query` request: the rows, and the last row's `created_at` as sent.
    pub(crate) fn query_page(
        &self,
        body: &Value,
        show_refs: bool,
    ) -> Result<(Feedbacks, Option<String>)> {
        let bytes = self
            .transport
            .post_json(&self.transport.budget(), "/feedback/query", body)?;
        if self.scan_answers {
            Feedbacks::from_query_page_scanned(bytes, show_refs)
        } else {
            Feedbacks::from_query_page(&bytes, show_refs)
        }
    }

    /// One `/feedback/query` request whose rows are kept as JSON objects (a `fields`
    /// projection's rows are not whole feedback rows).
    pub(crate) fn query_objects(&self, body: &Value) -> Result<Vec<Map<String, Value>>> {
        #[derive(serde::Deserialize)]
        struct Answer {
            result: Vec<Map<String, Value>>,
        }
        let bytes = self
            .transport
            .post_json(&self.transport.budget(), "/feedback/query", body)?;
        serde_json::from_slice::<Answer>(&bytes)
            .map(|a| a.result)
            .map_err(|e| Error::decode(format!("query response: {e}")))
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    pub(crate) fn outbox(&self) -> Option<&Outbox> {
        self.outbox.as_deref()
    }

    /// The write protocol for one call on `project_id` (its time budget starts now).
    pub(crate) fn writer<'a>(&'a self, project_id: &'a str) -> Writer<'a> {
        Writer::new(&self.transport, project_id)
    }

    /// For unit tests: a client of a closed port (port 9, discard), so any request would fail
    /// with a transport error and client-side checks can be seen to come first.
    #[cfg(test)]
    pub(crate) fn unreachable() -> Client {
        ClientBuilder::new()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feedback::Feedbacks;
    use crate::{FeedbackQuery, RefFeedbackQuery};

    fn client() -> Client {
        Client::unreachable()
    }

    #[test]
    fn client_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Client>();
        assert_send_sync::<Feedbacks>();
        assert_send_sync::<FeedbackQuery>();
        assert_send_sync::<RefFeedbackQuery>();
        let c = client();
        let d = c.clone();
        assert!(Arc::ptr_eq(&c.transport, &d.transport));
    }
}
