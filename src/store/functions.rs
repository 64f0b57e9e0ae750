//! The SQL functions the `$convert` operator is translated to.

use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::Connection;

/// `wf_to_int`, `wf_to_double`, `wf_to_bool`, `wf_to_string`: `$convert` as ClickHouse's
/// `toInt64OrNull`, `toFloat64OrNull`, `toUInt8OrNull` and `toString` read a value's text:
/// a value that does not convert is NULL.
pub(super) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("wf_to_int", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Integer(i) => Sql::Integer(i),
            ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Sql::Integer(f as i64),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .map_or(Sql::Null, Sql::Integer),
            _ => Sql::Null,
        })
    })?;
    conn.create_scalar_function("wf_to_double", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Integer(i) => Sql::Real(i as f64),
            ValueRef::Real(f) => Sql::Real(f),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|f| !f.is_nan())
                .map_or(Sql::Null, Sql::Real),
            _ => Sql::Null,
        })
    })?;
    conn.create_scalar_function("wf_to_bool", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Integer(i @ (0 | 1)) => Sql::Integer(i),
            ValueRef::Text(b"1" | b"true") => Sql::Integer(1),
            ValueRef::Text(b"0" | b"false") => Sql::Integer(0),
            _ => Sql::Null,
        })
    })?;
    conn.create_scalar_function("wf_to_string", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Null => Sql::Null,
            ValueRef::Integer(i) => Sql::Text(i.to_string()),
            ValueRef::Real(f) => Sql::Text(crate::pyjson::float_repr(f)),
            ValueRef::Text(t) => Sql::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Sql::Text(String::from_utf8_lossy(b).into_owned()),
        })
    })?;
    Ok(())
}
