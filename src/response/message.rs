//! The server's reason for a failure, read from the body of its answer.

use serde_json::Value;

/// FastAPI answers a request for a route it does not have with exactly this body; Weave's own
/// 404s (a missing object, project, ...) carry a `reason` instead.
pub(super) fn is_missing_route_body(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .is_ok_and(|v| v == serde_json::json!({"detail": "Not Found"}))
}

/// The server's reason: the first of `message`, `error`, `detail`, `reason` (the SDK's order);
/// FastAPI's `detail` list gives its first entry's `msg` and location. Not cut: see
/// [`Reader`](super::Reader), which cuts and scrubs it.
pub(crate) fn server_message(body: &[u8], status: u16) -> String {
    let fallback = || {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.is_empty() {
            format!("HTTP {status} with an empty body")
        } else {
            text.to_string()
        }
    };
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return fallback();
    };
    for key in ["message", "error", "detail", "reason"] {
        match obj.get(key) {
            Some(Value::String(s)) => return s.clone(),
            Some(Value::Array(items)) if !items.is_empty() => {
                let first = &items[0];
                let msg = first.get("msg").and_then(Value::as_str);
                let loc = first.get("loc").and_then(Value::as_array).map(|l| {
                    l.iter()
                        .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(".")
                });
                return match (msg, loc) {
                    (Some(m), Some(l)) if !l.is_empty() => format!("{l}: {m}"),
                    (Some(m), _) => m.to_string(),
                    _ => first.to_string(),
                };
            }
            Some(v) if !v.is_null() => return v.to_string(),
            _ => {}
        }
    }
    fallback()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages() {
        assert_eq!(
            server_message(br#"{"reason":"Invalid URI: x"}"#, 400),
            "Invalid URI: x"
        );
        assert_eq!(server_message(br#"{"message":"m","reason":"r"}"#, 400), "m");
        assert_eq!(
            server_message(
                br#"{"detail":[{"loc":["body","payload"],"msg":"Input should be a valid dictionary","type":"dict_type"}]}"#,
                422
            ),
            "body.payload: Input should be a valid dictionary"
        );
        assert_eq!(server_message(b"", 502), "HTTP 502 with an empty body");
        assert_eq!(
            server_message(b"<html>bad gateway</html>", 502),
            "<html>bad gateway</html>"
        );
    }
}
