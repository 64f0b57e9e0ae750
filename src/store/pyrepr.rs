//! The parts of Python's `repr` and pydantic's error text that the server's validation
//! messages contain (pydantic 2.14, as installed with weave 0.52.35).

use serde_json::Value;

/// Python's `repr` of a JSON value as `json.loads` makes it.
pub(crate) fn repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => crate::pyjson::number(n),
        Value::String(s) => repr_str(s),
        Value::Array(a) => format!("[{}]", a.iter().map(repr).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{}: {}", repr_str(k), repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's `repr(str)`: single quotes unless the text has `'` and no `"`.
fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa1).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's type name of a JSON value.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// pydantic's `input_value=` text: the repr, cut to 25 + `...` + 24 characters past 50.
fn input_value(v: &Value) -> String {
    let r = repr(v);
    let chars: Vec<char> = r.chars().collect();
    if chars.len() <= 50 {
        return r;
    }
    let head: String = chars[..25].iter().collect();
    let tail: String = chars[chars.len() - 24..].iter().collect();
    format!("{head}...{tail}")
}

/// The text of a one-error `pydantic.ValidationError` of `model` on `field`.
pub(crate) fn validation_error(
    model: &str,
    field: &str,
    kind: &str,
    msg: &str,
    input: &Value,
) -> String {
    format!(
        "1 validation error for {model}\n{field}\n  {msg} [type={kind}, input_value={}, input_type={}]\n    For further information visit https://errors.pydantic.dev/2.14/v/{kind}",
        input_value(input),
        type_name(input)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reprs_as_python() {
        assert_eq!(
            repr(&json!({"a": [1, 2.5, true, null], "b": "it's"})),
            "{'a': [1, 2.5, True, None], 'b': \"it's\"}"
        );
        assert_eq!(
            input_value(&json!("x".repeat(2000))),
            format!("'{}...{}'", "x".repeat(24), "x".repeat(23))
        );
    }
}
