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

use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use crate::error::{Error, Result};

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

impl ConvertTo {
    fn as_str(self) -> &'static str {
        match self {
            ConvertTo::Double => "double",
            ConvertTo::String => "string",
            ConvertTo::Int => "int",
            ConvertTo::Bool => "bool",
            ConvertTo::Exists => "exists",
        }
    }
    fn parse(s: &str) -> Option<ConvertTo> {
        Some(match s {
            "double" => ConvertTo::Double,
            "string" => ConvertTo::String,
            "int" => ConvertTo::Int,
            "bool" => ConvertTo::Bool,
            "exists" => ConvertTo::Exists,
            _ => return None,
        })
    }
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

fn bad(msg: &str) -> Error {
    Error::InvalidArgument(format!("invalid query: {msg}"))
}

/// Deep nesting is refused rather than risking the stack on hostile input.
const MAX_DEPTH: usize = 32;

fn parse_operand(v: &Value, depth: usize) -> Result<Operand> {
    if depth > MAX_DEPTH {
        return Err(bad("nested too deeply"));
    }
    let obj = v
        .as_object()
        .ok_or_else(|| bad(&format!("expected an operator object, found {v}")))?;
    if obj.len() != 1 {
        return Err(bad(&format!(
            "an operator object must have exactly one key, found {}",
            obj.len()
        )));
    }
    let (key, arg) = obj.iter().next().expect("one key");
    let d = depth + 1;
    let pair = |name: &str| -> Result<(Operand, Operand)> {
        match arg.as_array().map(Vec::as_slice) {
            Some([a, b]) => Ok((parse_operand(a, d)?, parse_operand(b, d)?)),
            _ => Err(bad(&format!(
                "{name} takes an array of exactly two operands"
            ))),
        }
    };
    let list = |name: &str| -> Result<Vec<Operand>> {
        let items = arg
            .as_array()
            .ok_or_else(|| bad(&format!("{name} takes an array of operands")))?;
        if items.is_empty() {
            return Err(bad(&format!("{name} needs at least one operand")));
        }
        items.iter().map(|x| parse_operand(x, d)).collect()
    };
    let op = match key.as_str() {
        "$literal" => return Ok(Operand::Literal(parse_literal(arg, d)?)),
        "$getField" => {
            return arg
                .as_str()
                .map(|s| Operand::GetField(s.to_string()))
                .ok_or_else(|| bad("$getField takes a string"))
        }
        "$convert" => {
            let o = arg
                .as_object()
                .ok_or_else(|| bad("$convert takes an object {input, to}"))?;
            if o.keys().any(|k| k != "input" && k != "to") {
                return Err(bad("$convert takes only the keys input and to"));
            }
            let input = parse_operand(
                o.get("input").ok_or_else(|| bad("$convert needs input"))?,
                d,
            )?;
            let to = o
                .get("to")
                .and_then(Value::as_str)
                .and_then(ConvertTo::parse)
                .ok_or_else(|| {
                    bad("$convert \"to\" must be double, string, int, bool or exists")
                })?;
            return Ok(Operand::Convert {
                input: Box::new(input),
                to,
            });
        }
        "$and" => Operation::And(list("$and")?),
        "$or" => Operation::Or(list("$or")?),
        "$not" => match arg.as_array().map(Vec::as_slice) {
            Some([x]) => Operation::Not(Box::new(parse_operand(x, d)?)),
            _ => return Err(bad("$not takes an array of exactly one operand")),
        },
        "$eq" => pair("$eq").map(|(a, b)| Operation::Eq(a, b))?,
        "$gt" => pair("$gt").map(|(a, b)| Operation::Gt(a, b))?,
        "$gte" => pair("$gte").map(|(a, b)| Operation::Gte(a, b))?,
        "$lt" => pair("$lt").map(|(a, b)| Operation::Lt(a, b))?,
        "$lte" => pair("$lte").map(|(a, b)| Operation::Lte(a, b))?,
        "$in" => match arg.as_array().map(Vec::as_slice) {
            Some([x, Value::Array(items)]) => Operation::In(
                parse_operand(x, d)?,
                items
                    .iter()
                    .map(|i| parse_operand(i, d))
                    .collect::<Result<_>>()?,
            ),
            _ => return Err(bad("$in takes [operand, [operand, …]]")),
        },
        "$contains" => {
            let o = arg.as_object().ok_or_else(|| {
                bad("$contains takes an object {input, substr, case_insensitive}")
            })?;
            if o.keys()
                .any(|k| !matches!(k.as_str(), "input" | "substr" | "case_insensitive"))
            {
                return Err(bad(
                    "$contains takes only input, substr and case_insensitive",
                ));
            }
            let get = |k: &str| {
                o.get(k)
                    .ok_or_else(|| bad(&format!("$contains needs {k}")))
                    .and_then(|x| parse_operand(x, d))
            };
            let case_insensitive = match o.get("case_insensitive") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(bad("$contains case_insensitive must be a boolean")),
            };
            Operation::Contains {
                input: get("input")?,
                substr: get("substr")?,
                case_insensitive,
            }
        }
        other => return Err(bad(&format!("unknown operator {other:?}"))),
    };
    Ok(Operand::Operation(Box::new(op)))
}

fn parse_literal(v: &Value, depth: usize) -> Result<Literal> {
    if depth > MAX_DEPTH {
        return Err(bad("nested too deeply"));
    }
    let wrapped = |x: &Value| -> Result<Literal> {
        match x.as_object() {
            Some(o) if o.len() == 1 && o.contains_key("$literal") => {
                parse_literal(&o["$literal"], depth + 1)
            }
            _ => Err(bad(
                "elements of array and object literals must be {\"$literal\": …}",
            )),
        }
    };
    Ok(match v {
        Value::Null => Literal::Null,
        Value::Bool(b) => Literal::Bool(*b),
        Value::Number(n) => Literal::Number(n.clone()),
        Value::String(s) => Literal::String(s.clone()),
        Value::Array(a) => Literal::Array(a.iter().map(wrapped).collect::<Result<_>>()?),
        Value::Object(o) => Literal::Object(
            o.iter()
                .map(|(k, x)| Ok((k.clone(), wrapped(x)?)))
                .collect::<Result<_>>()?,
        ),
    })
}

fn literal_value(l: &Literal) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Number(n) => Value::Number(n.clone()),
        Literal::String(s) => Value::String(s.clone()),
        Literal::Array(a) => Value::Array(
            a.iter()
                .map(|x| json!({ "$literal": literal_value(x) }))
                .collect(),
        ),
        Literal::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), json!({ "$literal": literal_value(x) })))
                .collect::<Map<_, _>>(),
        ),
    }
}

fn operand_value(o: &Operand) -> Value {
    match o {
        Operand::Literal(l) => json!({ "$literal": literal_value(l) }),
        Operand::GetField(f) => json!({ "$getField": f }),
        Operand::Convert { input, to } => {
            json!({ "$convert": { "input": operand_value(input), "to": to.as_str() } })
        }
        Operand::Operation(op) => op_value(op),
    }
}

fn op_value(op: &Operation) -> Value {
    let two = |k: &str, a: &Operand, b: &Operand| {
        let mut m = Map::new();
        m.insert(k.into(), json!([operand_value(a), operand_value(b)]));
        Value::Object(m)
    };
    let many = |k: &str, xs: &[Operand]| {
        let mut m = Map::new();
        m.insert(
            k.into(),
            Value::Array(xs.iter().map(operand_value).collect()),
        );
        Value::Object(m)
    };
    match op {
        Operation::And(xs) => many("$and", xs),
        Operation::Or(xs) => many("$or", xs),
        Operation::Not(x) => json!({ "$not": [operand_value(x)] }),
        Operation::Eq(a, b) => two("$eq", a, b),
        Operation::Gt(a, b) => two("$gt", a, b),
        Operation::Gte(a, b) => two("$gte", a, b),
        Operation::Lt(a, b) => two("$lt", a, b),
        Operation::Lte(a, b) => two("$lte", a, b),
        Operation::In(a, xs) => json!({
            "$in": [operand_value(a), Value::Array(xs.iter().map(operand_value).collect())]
        }),
        Operation::Contains {
            input,
            substr,
            case_insensitive,
        } => json!({ "$contains": {
            "input": operand_value(input),
            "substr": operand_value(substr),
            "case_insensitive": case_insensitive,
        }}),
    }
}

// ---- conversions used by the builder ----

impl From<Operation> for Operand {
    fn from(op: Operation) -> Operand {
        Operand::Operation(Box::new(op))
    }
}

impl From<Literal> for Operand {
    fn from(l: Literal) -> Operand {
        Operand::Literal(l)
    }
}

impl From<Operation> for Query {
    fn from(op: Operation) -> Query {
        Query::new(op)
    }
}

impl From<&str> for Literal {
    fn from(s: &str) -> Literal {
        Literal::String(s.to_string())
    }
}
impl From<String> for Literal {
    fn from(s: String) -> Literal {
        Literal::String(s)
    }
}
impl From<bool> for Literal {
    fn from(b: bool) -> Literal {
        Literal::Bool(b)
    }
}
macro_rules! int_literal {
    ($($t:ty),*) => {$(
        impl From<$t> for Literal {
            fn from(n: $t) -> Literal { Literal::Number(n.into()) }
        }
    )*};
}
int_literal!(i8, i16, i32, i64, u8, u16, u32, u64);
impl From<f64> for Literal {
    /// Non-finite floats have no JSON form and become `null`.
    fn from(n: f64) -> Literal {
        serde_json::Number::from_f64(n).map_or(Literal::Null, Literal::Number)
    }
}
impl<T: Into<Literal>> From<Option<T>> for Literal {
    fn from(o: Option<T>) -> Literal {
        o.map_or(Literal::Null, Into::into)
    }
}

// ---- builder functions ----

/// `{"$getField": name}`: a column (`feedback_type`, `weave_ref`, …) or a `payload.` path.
pub fn get_field(name: impl Into<String>) -> Operand {
    Operand::GetField(name.into())
}
/// `{"$literal": value}`.
pub fn literal(value: impl Into<Literal>) -> Operand {
    Operand::Literal(value.into())
}
/// `{"$convert": {"input": x, "to": to}}`.
pub fn convert(input: impl Into<Operand>, to: ConvertTo) -> Operand {
    Operand::Convert {
        input: Box::new(input.into()),
        to,
    }
}
/// `$eq`
pub fn eq(a: impl Into<Operand>, b: impl Into<Operand>) -> Operation {
    Operation::Eq(a.into(), b.into())
}
/// `$gt`
pub fn gt(a: impl Into<Operand>, b: impl Into<Operand>) -> Operation {
    Operation::Gt(a.into(), b.into())
}
/// `$gte`
pub fn gte(a: impl Into<Operand>, b: impl Into<Operand>) -> Operation {
    Operation::Gte(a.into(), b.into())
}
/// `$lt`
pub fn lt(a: impl Into<Operand>, b: impl Into<Operand>) -> Operation {
    Operation::Lt(a.into(), b.into())
}
/// `$lte`
pub fn lte(a: impl Into<Operand>, b: impl Into<Operand>) -> Operation {
    Operation::Lte(a.into(), b.into())
}
/// `$and` (the server refuses an empty list).
pub fn and(items: impl IntoIterator<Item = Operand>) -> Operation {
    Operation::And(items.into_iter().collect())
}
/// `$or` (the server refuses an empty list).
pub fn or(items: impl IntoIterator<Item = Operand>) -> Operation {
    Operation::Or(items.into_iter().collect())
}
/// `$not`
pub fn not(x: impl Into<Operand>) -> Operation {
    Operation::Not(Box::new(x.into()))
}
/// `$in`; `in` is a Rust keyword, so call it as `query::r#in` or use [`is_in`].
pub fn r#in(x: impl Into<Operand>, items: impl IntoIterator<Item = Operand>) -> Operation {
    Operation::In(x.into(), items.into_iter().collect())
}
/// `$in`, under a name that needs no raw identifier.
pub fn is_in(x: impl Into<Operand>, items: impl IntoIterator<Item = Operand>) -> Operation {
    r#in(x, items)
}
/// `$contains`, case-sensitive; see [`contains_case_insensitive`].
pub fn contains(input: impl Into<Operand>, substr: impl Into<Operand>) -> Operation {
    Operation::Contains {
        input: input.into(),
        substr: substr.into(),
        case_insensitive: false,
    }
}
/// `$contains` with `case_insensitive: true`.
pub fn contains_case_insensitive(
    input: impl Into<Operand>,
    substr: impl Into<Operand>,
) -> Operation {
    Operation::Contains {
        input: input.into(),
        substr: substr.into(),
        case_insensitive: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_ref_query_matches_the_sdk_byte_for_byte() {
        let q = Query::weave_ref_equals("weave:///acme/chatbot/call/0192f3a4");
        assert_eq!(
            q.to_json(),
            r#"{"$expr":{"$eq":[{"$getField":"weave_ref"},{"$literal":"weave:///acme/chatbot/call/0192f3a4"}]}}"#
        );
        assert_eq!(
            Query::all().to_json(),
            r#"{"$expr":{"$eq":[{"$literal":"1"},{"$literal":"1"}]}}"#
        );
    }

    #[test]
    fn spec_examples_round_trip_exactly() {
        for text in [
            r#"{"$expr":{"$eq":[{"$getField":"feedback_type"},{"$literal":"wandb.note.1"}]}}"#,
            r#"{"$expr":{"$and":[{"$eq":[{"$getField":"feedback_type"},{"$literal":"helpfulness"}]},{"$gte":[{"$convert":{"input":{"$getField":"payload.score"},"to":"double"}},{"$literal":4}]}]}}"#,
            r#"{"$expr":{"$in":[{"$getField":"id"},[{"$literal":"a"},{"$literal":"b"}]]}}"#,
            r#"{"$expr":{"$contains":{"input":{"$getField":"payload.note"},"substr":{"$literal":"typo"},"case_insensitive":true}}}"#,
            r#"{"$expr":{"$not":[{"$eq":[{"$getField":"payload.rater"},{"$literal":""}]}]}}"#,
            r#"{"$expr":{"$or":[{"$lt":[{"$getField":"a"},{"$literal":1.5}]},{"$lte":[{"$getField":"b"},{"$literal":null}]},{"$gt":[{"$getField":"c"},{"$literal":true}]}]}}"#,
            r#"{"$expr":{"$eq":[{"$getField":"x"},{"$literal":[{"$literal":1},{"$literal":{"k":{"$literal":"v"}}}]}]}}"#,
        ] {
            assert_eq!(Query::from_json(text).unwrap().to_json(), text);
        }
    }

    #[test]
    fn contains_writes_default_case_flag() {
        let q = Query::from_json(
            r#"{"$expr":{"$contains":{"input":{"$getField":"a"},"substr":{"$literal":"b"}}}}"#,
        )
        .unwrap();
        assert!(q.to_json().contains(r#""case_insensitive":false"#));
    }

    #[test]
    fn builder_matches_hand_written_json() {
        let q: Query = or([
            not(eq(get_field("creator"), literal("bot"))).into(),
            is_in(get_field("id"), [literal("a"), literal("b")]).into(),
            contains_case_insensitive(get_field("payload.note"), literal("typo")).into(),
            lt(get_field("payload.n"), literal(3_i64)).into(),
            lte(get_field("payload.n"), literal(2.5)).into(),
            gt(get_field("payload.n"), literal(Some(1_u8))).into(),
        ])
        .into();
        assert_eq!(
            q.to_json(),
            r#"{"$expr":{"$or":[{"$not":[{"$eq":[{"$getField":"creator"},{"$literal":"bot"}]}]},{"$in":[{"$getField":"id"},[{"$literal":"a"},{"$literal":"b"}]]},{"$contains":{"input":{"$getField":"payload.note"},"substr":{"$literal":"typo"},"case_insensitive":true}},{"$lt":[{"$getField":"payload.n"},{"$literal":3}]},{"$lte":[{"$getField":"payload.n"},{"$literal":2.5}]},{"$gt":[{"$getField":"payload.n"},{"$literal":1}]}]}}"#
        );
    }

    #[test]
    fn rejects_what_the_grammar_rejects() {
        for text in [
            "nope",
            "[]",
            r#"{}"#,
            r#"{"$expr":{"$eq":[]},"x":1}"#,
            r#"{"$expr":{"$literal":1}}"#,
            r#"{"$expr":{"$getField":"id"}}"#,
            r#"{"$expr":{"$eq":[{"$getField":"id"}]}}"#,
            r#"{"$expr":{"$and":[]}}"#,
            r#"{"$expr":{"$or":[]}}"#,
            r#"{"$expr":{"$not":{"$getField":"id"}}}"#,
            r#"{"$expr":{"$in":[{"$getField":"id"},{"$literal":"a"}]}}"#,
            r#"{"$expr":{"$ne":[{"$getField":"id"},{"$literal":"a"}]}}"#,
            r#"{"$expr":{"$eq":[{"$getField":"id"},{"$literal":{"a":1}}]}}"#,
            r#"{"$expr":{"$eq":[{"$getField":1},{"$literal":"a"}]}}"#,
            r#"{"$expr":{"$eq":[{"$getField":"a","$literal":1},{"$literal":"a"}]}}"#,
            r#"{"$expr":{"$eq":[{"$convert":{"input":{"$getField":"a"},"to":"float"}},{"$literal":1}]}}"#,
            r#"{"$expr":{"$contains":{"input":{"$getField":"a"},"substr":{"$literal":"b"},"case_insensitive":"yes"}}}"#,
        ] {
            let err = Query::from_json(text).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{text}: {err}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut text = String::from(r#"{"$literal":1}"#);
        for depth in 0..200 {
            text = format!(r#"{{"$not":[{text}]}}"#);
            let parsed = Query::from_json(&format!(r#"{{"$expr":{text}}}"#));
            if depth == 40 {
                assert!(parsed
                    .unwrap_err()
                    .to_string()
                    .contains("nested too deeply"));
            } else if depth > 40 {
                assert!(matches!(parsed, Err(Error::InvalidArgument(_))));
            }
        }
    }
}
