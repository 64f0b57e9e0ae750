//! `/feedback/purge`: only deletes by id, checked as `validate_feedback_purge_req` checks them.

use rusqlite::Connection;

use super::answer::{bad, Answer};
use super::sql;
use crate::query::{Literal, Operand, Operation};

pub(super) fn purge(conn: &Connection, project_id: &str, q: &Operation) -> Result<(), Answer> {
    let mut p = sql::Params::default();
    let w = sql::where_clause(project_id, Some(q), &mut p)?;
    conn.execute(
        &format!("DELETE FROM feedback\nWHERE {w}"),
        rusqlite::params_from_iter(p.0.iter()),
    )?;
    Ok(())
}

const PURGE_FEEDBACK: &str = "Can only purge feedback by specifying one or more feedback ids";
const PURGE_GENERIC: &str = "Can only purge by specifying one or more ids";

/// The key an operand has in pydantic's `model_dump` of the query.
fn dump_key(o: &Operand) -> &'static str {
    match o {
        Operand::Literal(_) => "literal_",
        Operand::GetField(_) => "get_field_",
        Operand::Convert { .. } => "convert_",
        Operand::Operation(op) => match **op {
            Operation::And(_) => "and_",
            Operation::Or(_) => "or_",
            Operation::Not(_) => "not_",
            Operation::Eq(..) => "eq_",
            Operation::Gt(..) => "gt_",
            Operation::Gte(..) => "gte_",
            Operation::Lt(..) => "lt_",
            Operation::Lte(..) => "lte_",
            Operation::In(..) => "in_",
            Operation::Contains { .. } => "contains_",
        },
    }
}

fn literal_type(l: &Literal) -> &'static str {
    match l {
        Literal::Null => "<class 'NoneType'>",
        Literal::Bool(_) => "<class 'bool'>",
        Literal::Number(n) if n.is_f64() => "<class 'float'>",
        Literal::Number(_) => "<class 'int'>",
        Literal::String(_) => "<class 'str'>",
        Literal::Array(_) => "<class 'list'>",
        Literal::Object(_) => "<class 'dict'>",
    }
}

/// `validate_feedback_purge_req`: only `id = '…'`, or an `$or` of those.
pub(super) fn validate_purge(op: &Operation) -> Result<(), Answer> {
    fn one(a: &Operand, b: &Operand, msg: &str) -> Result<(), Answer> {
        let field = match a {
            Operand::GetField(f) => f,
            other => {
                return Err(bad(format!(
                    "Expected key get_field_, got {}",
                    dump_key(other)
                )))
            }
        };
        if field != "id" {
            return Err(bad(msg));
        }
        match b {
            Operand::Literal(Literal::String(_)) => Ok(()),
            Operand::Literal(l) => Err(bad(format!(
                "Expected value of type <class 'str'>, got {}",
                literal_type(l)
            ))),
            other => Err(bad(format!(
                "Expected key literal_, got {}",
                dump_key(other)
            ))),
        }
    }
    match op {
        Operation::Eq(a, b) => one(a, b, PURGE_FEEDBACK),
        Operation::Or(items) => {
            for item in items {
                match item {
                    Operand::Operation(op) => match &**op {
                        Operation::Eq(a, b) => one(a, b, PURGE_GENERIC)?,
                        _ => return Err(bad(format!("Expected key eq_, got {}", dump_key(item)))),
                    },
                    other => return Err(bad(format!("Expected key eq_, got {}", dump_key(other)))),
                }
            }
            Ok(())
        }
        _ => Err(bad(PURGE_FEEDBACK)),
    }
}
