//! The request's JSON written as a literal of Python, JavaScript or JSON itself: short
//! parts on one line, longer ones one member a line, blobs as the language takes bytes.

use serde_json::Value;

/// How a language writes a data literal.
pub(super) struct Syntax {
    pub string: fn(&str) -> String,
    pub key: fn(&str) -> String,
    /// A blob from its base64 text.
    pub blob: fn(&str) -> String,
    pub null: &'static str,
    pub bools: [&'static str; 2],
    pub indent: &'static str,
    /// Spaces inside the braces of an object on one line: `{ a: 1 }`.
    pub padded_braces: bool,
    pub trailing_comma: bool,
}

/// The widest a line gets when a part fits on it.
const WIDTH: usize = 88;

impl Syntax {
    /// An object of `members`, one a line, at nesting `depth`: the top of a request.
    pub fn object(&self, members: &[(&str, &Value)], depth: usize) -> String {
        let taken = self.indent.len() * (depth + 1);
        let items = members
            .iter()
            .map(|(k, v)| {
                let key = format!("{}: ", (self.key)(k));
                let path = &mut vec![(*k).to_owned()];
                format!(
                    "{key}{}",
                    self.render(v, path, depth + 1, taken + key.len())
                )
            })
            .collect();
        self.block(["{", "}"], items, depth)
    }

    /// `value`, whose key is at `path` (the object keys from the request body's root),
    /// written at nesting `depth` after `taken` columns of its line.
    pub fn render(
        &self,
        value: &Value,
        path: &mut Vec<String>,
        depth: usize,
        taken: usize,
    ) -> String {
        let room = WIDTH.saturating_sub(taken);
        if let Some(line) = self.inline(value, path, room) {
            return line;
        }
        let taken = self.indent.len() * (depth + 1);
        let (brackets, items): ([&str; 2], Vec<String>) = match value {
            Value::Array(items) => (
                ["[", "]"],
                items
                    .iter()
                    .map(|v| self.render(v, path, depth + 1, taken))
                    .collect(),
            ),
            Value::Object(map) => (
                ["{", "}"],
                ordered(map)
                    .map(|(k, v)| {
                        let key = format!("{}: ", (self.key)(k));
                        path.push(k.to_owned());
                        let value = self.render(v, path, depth + 1, taken + key.len());
                        let item = format!("{key}{value}");
                        path.pop();
                        item
                    })
                    .collect(),
            ),
            _ => unreachable!("a scalar always fits on its line"),
        };
        self.block(brackets, items, depth)
    }

    /// `items` one a line between `brackets`, the closing one at nesting `depth`.
    fn block(&self, [open, close]: [&str; 2], items: Vec<String>, depth: usize) -> String {
        let inner = self.indent.repeat(depth + 1);
        let mut out = format!("{open}\n");
        for (i, item) in items.iter().enumerate() {
            let comma = if i + 1 < items.len() || self.trailing_comma {
                ","
            } else {
                ""
            };
            out.push_str(&format!("{inner}{item}{comma}\n"));
        }
        out.push_str(&self.indent.repeat(depth));
        out.push_str(close);
        out
    }

    /// `value` on one line, if it takes at most `room` columns. A scalar always does:
    /// it cannot be broken.
    fn inline(&self, value: &Value, path: &mut Vec<String>, room: usize) -> Option<String> {
        let text = match value {
            Value::Null => self.null.to_owned(),
            Value::Bool(b) => self.bools[usize::from(*b)].to_owned(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => {
                let keys: Vec<&str> = path.iter().map(String::as_str).collect();
                if super::is_blob(&keys) {
                    (self.blob)(s)
                } else {
                    (self.string)(s)
                }
            }
            Value::Array(items) => {
                let mut parts = Vec::with_capacity(items.len());
                let mut used = 2;
                for v in items {
                    let part = self.inline(v, path, room.checked_sub(used)?)?;
                    used += part.len() + 2;
                    parts.push(part);
                }
                format!("[{}]", parts.join(", "))
            }
            Value::Object(map) if map.is_empty() => "{}".to_owned(),
            Value::Object(map) => {
                let mut parts = Vec::with_capacity(map.len());
                let mut used = if self.padded_braces { 4 } else { 2 };
                for (k, v) in ordered(map) {
                    let key = format!("{}: ", (self.key)(k));
                    path.push(k.to_owned());
                    let part = room
                        .checked_sub(used + key.len())
                        .and_then(|room| self.inline(v, path, room));
                    path.pop();
                    let part = format!("{key}{}", part?);
                    used += part.len() + 2;
                    parts.push(part);
                }
                let pad = if self.padded_braces { " " } else { "" };
                format!("{{{pad}{}{pad}}}", parts.join(", "))
            }
        };
        let scalar = !matches!(value, Value::Array(_) | Value::Object(_));
        (scalar || text.len() <= room).then_some(text)
    }
}

/// An object's members with `role` first, as a message reads.
fn ordered(map: &serde_json::Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    let role = map.get_key_value("role");
    role.into_iter()
        .chain(map.iter().filter(|(k, _)| k.as_str() != "role"))
}
