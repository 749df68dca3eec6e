//! Reading JSON arguments with errors that name the place that did not fit.
//!
//! serde_json reports a line and column; a caller who passed an object (JS, Python) never
//! saw that text, and a person reading a file thinks in fields. [`path_at`] turns the
//! position back into a path (`draft.permissions[2]`) by scanning the text once. It does
//! the job of `serde_path_to_error` without wrapping every deserializer: that wrapper
//! doubled the read cost and added a copy of each type's deserializer to the wasm.

use serde::de::DeserializeOwned;

/// Reads `text` into `T`; the error is `what.path: reason` (`request.draft.permissions[2]:
/// invalid type: integer `7`, expected a string`), or `what: reason` at the top level.
pub fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| {
        let reason = e.to_string();
        let reason = match reason.rsplit_once(" at line ") {
            Some((reason, _)) => reason.to_owned(),
            None => reason,
        };
        match path_at(text, e.line(), e.column(), &reason) {
            Some(path) if path.starts_with('[') => format!("{what}{path}: {reason}"),
            Some(path) => format!("{what}.{path}: {reason}"),
            None => format!("{what}: {reason}"),
        }
    })
}

/// The path of the value at serde_json's error position (1-based line, column in bytes),
/// or `None` at the top level. `reason` decides one ambiguity: a missing field is
/// reported where its object ends, so the path is the object's, not its last key's.
pub fn path_at(text: &str, line: usize, column: usize, reason: &str) -> Option<String> {
    let offset = offset_of(text, line, column)?;
    let mut frames: Vec<Frame> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut string_start = 0;
    let mut expecting_key = false;
    for (i, b) in text.bytes().enumerate().take(offset) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    in_string = false;
                    if let (true, Some(Frame::Key(key))) = (expecting_key, frames.last_mut()) {
                        *key = serde_json::from_str(&text[string_start..=i]).ok();
                        expecting_key = false;
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                string_start = i;
            }
            b'{' => {
                frames.push(Frame::Key(None));
                expecting_key = true;
            }
            b'[' => frames.push(Frame::Index(0)),
            b'}' | b']' => {
                frames.pop();
                expecting_key = false;
            }
            b',' => match frames.last_mut() {
                Some(Frame::Index(n)) => *n += 1,
                Some(Frame::Key(key)) => {
                    *key = None;
                    expecting_key = true;
                }
                None => {}
            },
            _ => {}
        }
    }
    if reason.starts_with("missing field") {
        if let Some(Frame::Key(key)) = frames.last_mut() {
            *key = None;
        }
    }
    let mut path = String::new();
    for frame in &frames {
        match frame {
            Frame::Key(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Key(None) => {}
            Frame::Index(n) => {
                path.push('[');
                path.push_str(&n.to_string());
                path.push(']');
            }
        }
    }
    (!path.is_empty()).then_some(path)
}

enum Frame {
    /// Inside an object, at this key's value (`None` between key and value, or before
    /// the first key).
    Key(Option<String>),
    /// Inside an array, at this index.
    Index(usize),
}

/// The byte offset of a 1-based line and column; the column counts bytes, as
/// serde_json's does, and points at the byte the error was found after.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    Some((start + column).min(text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        draft: Draft,
        #[serde(default)]
        list: Vec<Draft>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Draft {
        permissions: Vec<String>,
        #[serde(default)]
        days: Option<u32>,
    }

    fn err(text: &str) -> String {
        from_json::<Outer>(text, "request").unwrap_err()
    }

    #[test]
    fn errors_name_the_path_of_the_value_that_did_not_fit() {
        let e = err(r#"{"name":"a","draft":{"permissions":["x","y",7]}}"#);
        assert_eq!(
            e,
            "request.draft.permissions[2]: invalid type: integer `7`, expected a string"
        );
        let e = err(r#"{"name":"a,\"}{[","draft":{"permissions":[],"days":"3"}}"#);
        assert_eq!(
            e,
            r#"request.draft.days: invalid type: string "3", expected u32"#
        );
        let e = err(
            r#"{"name":"a","draft":{"permissions":[]},"list":[{"permissions":[]},{"days":1}]}"#,
        );
        assert_eq!(e, "request.list[1]: missing field `permissions`");
        let e = err(r#"{"name":"a","draft":{"permissions":[], "color": 1}}"#);
        assert!(e.starts_with("request.draft"), "{e}");
        assert!(e.contains("unknown field `color`"), "{e}");
    }

    #[test]
    fn top_level_errors_and_multi_line_text() {
        assert_eq!(
            err(r#"{"draft":{"permissions":[]}}"#),
            "request: missing field `name`"
        );
        // serde reads a struct from an array too, field by field.
        assert_eq!(
            err("[1]"),
            "request[0]: invalid type: integer `1`, expected a string"
        );
        assert_eq!(
            err("7"),
            "request: invalid type: integer `7`, expected struct Outer"
        );
        assert!(err("{").starts_with("request: EOF while parsing"));
        let text = "{\n  \"name\": \"a\",\n  \"draft\": {\n    \"permissions\": [true]\n  }\n}";
        assert_eq!(
            err(text),
            "request.draft.permissions[0]: invalid type: boolean `true`, expected a string"
        );
    }
}
