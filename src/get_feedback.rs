//! Feedback by id and by reaction: the SDK's `client.get_feedback(id | query, reaction=…)`
//! (weave 0.52.35's
//! [`weave_client.py`](https://github.com/wandb/weave/blob/master/weave/trace/weave_client.py)).

use crate::client::Client;
use crate::error::{Error, Result};
use crate::feedback::{Feedback, REACTION_TYPE};
use crate::feedback_query::FeedbackQuery;
use crate::query::{and, eq, get_field, literal, Operand, Query};

/// The rows the SDK's `get_feedback()` asks for when no limit is given.
pub const GET_FEEDBACK_LIMIT: u64 = 100;

impl Client {
    /// The feedback row with this id in `entity/project`: the SDK's `get_feedback(id)`, which
    /// returns a collection of zero or one rows; here no row is [`Error::NotFound`] (with no
    /// HTTP status: the server answered, with no row). Should the server hold the id twice,
    /// the first row by `created_at` is returned. One request.
    pub fn get_feedback(&self, entity: &str, project: &str, id: &str) -> Result<Feedback> {
        if id.is_empty() {
            return Err(Error::InvalidArgument(
                "feedback id must be non-empty".into(),
            ));
        }
        let mut q = self
            .feedback_query(entity, project)?
            .with_query(Query::id_equals(id))
            .with_limit(1)
            .with_show_refs(true);
        let rows = q.execute()?;
        rows.get(0).cloned().ok_or_else(|| Error::NotFound {
            attempts: 0,
            message: format!("no feedback with id {id} in {entity}/{project}"),
            feedback_ids: Vec::new(),
        })
    }

    /// The reactions with exactly this emoji in `entity/project`, as the SDK's
    /// `get_feedback(reaction=emoji)` builds the query: offset 0, limit
    /// [`GET_FEEDBACK_LIMIT`], the Ref column shown. Change any of them, or add a filter,
    /// with the query's `with_*` methods. Nothing is fetched yet.
    pub fn feedback_by_reaction(
        &self,
        entity: &str,
        project: &str,
        emoji: &str,
    ) -> Result<FeedbackQuery> {
        Ok(self
            .feedback_query(entity, project)?
            .with_reaction(emoji)
            .with_offset(0)
            .with_limit(GET_FEEDBACK_LIMIT)
            .with_show_refs(true))
    }
}

/// `{"$and": [<query or "1" == "1">, feedback_type == reaction, payload.emoji == emoji]}`: the
/// SDK's reaction filter, byte for byte.
pub(crate) fn with_reaction(query: Option<&Query>, emoji: &str) -> Query {
    let base = query.map_or_else(|| Query::all().expr().clone(), |q| q.expr().clone());
    Query::new(and([
        Operand::from(base),
        eq(get_field("feedback_type"), literal(REACTION_TYPE)).into(),
        eq(get_field("payload.emoji"), literal(emoji)).into(),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reaction_query_is_the_sdk_query() {
        let q = Client::unreachable()
            .feedback_by_reaction("acme", "chatbot", "👍")
            .unwrap();
        let b = q.request_body().unwrap();
        assert_eq!(
            b["query"],
            json!({"$expr": {"$and": [
                {"$eq": [{"$literal": "1"}, {"$literal": "1"}]},
                {"$eq": [{"$getField": "feedback_type"}, {"$literal": "wandb.reaction.1"}]},
                {"$eq": [{"$getField": "payload.emoji"}, {"$literal": "👍"}]},
            ]}})
        );
        assert_eq!(
            (b["offset"].clone(), b["limit"].clone()),
            (json!(0), json!(100))
        );
        assert!(q.show_refs());
        let q = q.with_query(Query::id_equals("x"));
        let b = q.request_body().unwrap();
        assert_eq!(b["query"]["$expr"]["$and"][0]["$eq"][1]["$literal"], "x");
    }

    #[test]
    fn empty_id_is_refused_before_any_request() {
        assert!(matches!(
            Client::unreachable().get_feedback("acme", "chatbot", ""),
            Err(Error::InvalidArgument(_))
        ));
    }
}
