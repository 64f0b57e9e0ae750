//! The builder: conversions into operands and literals, and one function per operator.

use super::{ConvertTo, Literal, Operand, Operation, Query};

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
}
