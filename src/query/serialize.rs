//! The model written as the JSON the server expects: arrays and objects in a literal wrap
//! every element in `$literal`, and `$contains` always writes its case flag.

use serde_json::{json, Map, Value};

use super::{ConvertTo, Literal, Operand, Operation};

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

pub(super) fn op_value(op: &Operation) -> Value {
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

#[cfg(test)]
mod tests {
    use super::super::Query;

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
}
