//! JSON indented for reading, as `serde_json::to_string_pretty` writes it, made from compact JSON
//! text instead of from the values.
//!
//! `to_string_pretty` compiles every type's `Serialize` a second time, for its pretty formatter;
//! the app writes pretty JSON for a handful of types (the exported lab file, an aggregate's state,
//! a shrunk simulator run) whose compact form it writes anyway, so indenting the compact text
//! keeps one copy of that code in the wasm.

use serde::Serialize;

/// serde_json's message for `error` without the " at line L column C" it appends, for messages
/// that report the position apart (or not at all).
pub fn message_without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    text.split(" at line ")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `value` as indented JSON, exactly as `serde_json::to_string_pretty` would write it.
pub fn to_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string(value).map(|compact| indent(&compact))
}

/// Indents compact JSON text (as `serde_json::to_string` writes it: no space outside strings)
/// the way `serde_json::to_string_pretty` does: two spaces a level, `": "` after a key, and `[]`
/// and `{}` for empty arrays and objects. Text inside strings is copied as it is.
pub fn indent(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() + compact.len() / 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    new_line(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                new_line(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                new_line(&mut out, depth);
            }
            ':' => out.push_str(": "),
            other => out.push(other),
        }
    }
    out
}

fn new_line(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn it_indents_exactly_as_serde_json_does() {
        let values = [
            json!({}),
            json!([]),
            json!(null),
            json!("a \"quoted\" {brace}, [bracket]: colon \\ backslash\n\u{1F600}"),
            json!({"format": "foldlab-lab", "events": [], "settings": {}, "n": -1.5e3}),
            json!({
                "events": [
                    {"event_id": 1, "event_data": "{\"name\":\"Ada, {x}: [y]\"}", "tags": [[], [{}], [1, [2, []]]]},
                    {"event_id": 2, "ok": true, "none": null, "key \"with\" quotes": "\\\""}
                ],
                "z": {"a": {"b": {"c": []}}}
            }),
        ];
        for value in values {
            let expected = serde_json::to_string_pretty(&value).expect("writes");
            assert_eq!(to_pretty(&value).expect("writes"), expected);
            let back: serde_json::Value = serde_json::from_str(&expected).expect("reads");
            assert_eq!(back, value);
        }
    }
}
