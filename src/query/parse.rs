//! Raw JSON queries read into the model, checked against the grammar as the server's pydantic
//! models check them, so a malformed query fails on the client with a message.

use serde_json::Value;

use super::{ConvertTo, Literal, Operand, Operation};
use crate::error::{Error, Result};

impl ConvertTo {
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

pub(super) fn bad(msg: &str) -> Error {
    Error::InvalidArgument(format!("invalid query: {msg}"))
}

/// Deep nesting is refused rather than risking the stack on hostile input.
const MAX_DEPTH: usize = 32;

pub(super) fn parse_operand(v: &Value, depth: usize) -> Result<Operand> {
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

#[cfg(test)]
mod tests {
    use super::super::Query;
    use crate::error::Error;

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
