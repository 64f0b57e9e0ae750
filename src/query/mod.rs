//! The `$expr` query language of Weave's `weave/trace_server/interface/query.py`: a typed model that serialises to exactly the
//! JSON the server expects, a parser for raw JSON queries, and small builder functions.
//!
//! ```
//! use weave_feedback::query::{and, eq, get_field, gte, literal, convert, ConvertTo, Query};
//! let q = Query::new(and([
//!     eq(get_field("feedback_type"), literal("helpfulness")).into(),
//!     gte(convert(get_field("payload.score"), ConvertTo::Double), literal(4)).into(),
//! ]));
//! assert_eq!(
//!     q.to_json(),
//!     r#"{"$expr":{"$and":[{"$eq":[{"$getField":"feedback_type"},{"$literal":"helpfulness"}]},{"$gte":[{"$convert":{"input":{"$getField":"payload.score"},"to":"double"}},{"$literal":4}]}]}}"#
//! );
//! ```
//!
//! Raw JSON is parsed into the same model, so malformed queries fail on the client with a
//! message instead of a server 400/500, and the text sent is always canonical compact JSON.
//!
//! The model is here; `parse` reads raw JSON into it, `serialize` writes it back, and `build`
//! holds the small constructor functions re-exported below.

mod build;
mod parse;
mod serialize;

use serde::{Serialize, Serializer};
use serde_json::{json, Value};

use crate::error::{Error, Result};

pub use build::{
    and, contains, contains_case_insensitive, convert, eq, get_field, gt, gte, is_in, literal, lt,
    lte, not, or, r#in,
};
use parse::{bad, parse_operand};
use serialize::op_value;

/// A literal value. Arrays and objects wrap every element in `$literal` on the wire.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `null` (never matches in comparisons: SQL NULL semantics).
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// An integer or floating-point number.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// A list of literals.
    Array(Vec<Literal>),
    /// An object of literals, in key order.
    Object(Vec<(String, Literal)>),
}

/// Target type of `$convert`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvertTo {
    /// `"double"`
    Double,
    /// `"string"`
    String,
    /// `"int"`
    Int,
    /// `"bool"`
    Bool,
    /// `"exists"`
    Exists,
}

/// Anything that can stand where a value is expected.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// `{"$literal": …}`
    Literal(Literal),
    /// `{"$getField": "name"}`: a column or a dotted `payload.` path.
    GetField(String),
    /// `{"$convert": {"input": …, "to": …}}`
    Convert {
        /// The value to convert.
        input: Box<Operand>,
        /// The target type.
        to: ConvertTo,
    },
    /// A nested operation.
    Operation(Box<Operation>),
}

/// A boolean-valued operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Operation {
    /// `$and`: every operand holds (at least one operand).
    And(Vec<Operand>),
    /// `$or`: some operand holds (at least one operand).
    Or(Vec<Operand>),
    /// `$not`
    Not(Box<Operand>),
    /// `$eq`
    Eq(Operand, Operand),
    /// `$gt`
    Gt(Operand, Operand),
    /// `$gte`
    Gte(Operand, Operand),
    /// `$lt`
    Lt(Operand, Operand),
    /// `$lte`
    Lte(Operand, Operand),
    /// `$in`: the first operand equals one of the list.
    In(Operand, Vec<Operand>),
    /// `$contains`: substring test.
    Contains {
        /// The string searched.
        input: Operand,
        /// The substring looked for.
        substr: Operand,
        /// Compare case-insensitively (always written out; default false).
        case_insensitive: bool,
    },
}

/// A whole query, `{"$expr": Operation}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    expr: Operation,
}

impl Query {
    /// Wraps an operation.
    pub fn new(expr: Operation) -> Query {
        Query { expr }
    }

    /// The top-level operation.
    pub fn expr(&self) -> &Operation {
        &self.expr
    }

    /// Parses a raw JSON query (`{"$expr": …}`), checking it against the grammar.
    pub fn from_json(text: &str) -> Result<Query> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| Error::InvalidArgument(format!("query is not valid JSON: {e}")))?;
        Query::from_value(&v)
    }

    /// Like [`Query::from_json`], from an already parsed value.
    pub fn from_value(v: &Value) -> Result<Query> {
        let obj = v
            .as_object()
            .ok_or_else(|| bad("a query must be a JSON object {\"$expr\": …}"))?;
        if obj.len() != 1 || !obj.contains_key("$expr") {
            return Err(bad("a query must have exactly one key, \"$expr\""));
        }
        let op = parse_operand(&obj["$expr"], 0)?;
        match op {
            Operand::Operation(op) => Ok(Query { expr: *op }),
            _ => Err(bad(
                "\"$expr\" must be an operation ($and, $eq, …), not a bare value",
            )),
        }
    }

    /// The compact JSON text sent to the server.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The query as a JSON value.
    pub fn to_value(&self) -> Value {
        json!({ "$expr": op_value(&self.expr) })
    }

    /// `weave_ref == <ref>`: what the SDK's `RefFeedbackQuery` sends.
    pub fn weave_ref_equals(weave_ref: &str) -> Query {
        Query::new(eq(get_field("weave_ref"), literal(weave_ref)))
    }

    /// `id == <id>`: the only purge query shape the server accepts.
    pub fn id_equals(id: &str) -> Query {
        Query::new(eq(get_field("id"), literal(id)))
    }

    /// `"1" == "1"`, the SDK's "everything in the project" query.
    pub fn all() -> Query {
        Query::new(eq(literal("1"), literal("1")))
    }
}

impl Serialize for Query {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl std::str::FromStr for Query {
    type Err = Error;
    fn from_str(s: &str) -> Result<Query> {
        Query::from_json(s)
    }
}
