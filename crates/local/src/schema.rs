//! Builds a tool input that satisfies a tool's JSON schema, taking values from what the
//! user wrote where it can (numbers, quoted strings, enum members, place names).

use serde_json::{Map, Value, json};

/// A value for `schema`, drawn from `text` where possible.
pub(crate) fn fill(schema: &Value, text: &str, key: &str) -> Value {
    let Some(obj) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(c) = obj.get("const") {
        return c.clone();
    }
    if let Some(v) = obj.get("enum").and_then(Value::as_array) {
        let lower = text.to_lowercase();
        return v
            .iter()
            .find(|e| {
                e.as_str()
                    .is_some_and(|s| lower.contains(&s.to_lowercase()))
            })
            .or_else(|| v.first())
            .cloned()
            .unwrap_or(Value::Null);
    }
    for alt in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = obj
            .get(alt)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return fill(first, text, key);
        }
    }
    let ty = match obj.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if obj.contains_key("properties") => "object",
        _ => "string",
    };
    match ty {
        "object" => fill_object(obj, text),
        "array" => {
            let item = obj
                .get("items")
                .map(|s| fill(s, text, key))
                .unwrap_or(json!(""));
            let min = obj
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            Value::Array(vec![item; min as usize])
        }
        "integer" | "number" => fill_number(obj, text, ty == "integer"),
        "boolean" => obj.get("default").cloned().unwrap_or(Value::Bool(true)),
        "null" => Value::Null,
        _ => Value::String(fill_string(obj, text, key)),
    }
}

fn fill_object(obj: &Map<String, Value>, text: &str) -> Value {
    let required: Vec<&str> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let lower = text.to_lowercase();
    let mut out = Map::new();
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (name, schema) in props {
            let mentioned = lower.contains(&name.to_lowercase().replace('_', " "));
            if required.contains(&name.as_str()) || mentioned {
                out.insert(name.clone(), fill(schema, text, name));
            }
        }
    }
    Value::Object(out)
}

fn fill_number(obj: &Map<String, Value>, text: &str, integer: bool) -> Value {
    let min = obj.get("minimum").and_then(Value::as_f64);
    let max = obj.get("maximum").and_then(Value::as_f64);
    let found = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .find_map(|w| w.trim_matches('.').parse::<f64>().ok());
    let mut n = found
        .or_else(|| obj.get("default").and_then(Value::as_f64))
        .or(min)
        .unwrap_or(1.0);
    if let Some(lo) = min {
        n = n.max(lo);
    }
    if let Some(hi) = max {
        n = n.min(hi);
    }
    if integer {
        json!(n.round() as i64)
    } else {
        json!(n)
    }
}

fn fill_string(obj: &Map<String, Value>, text: &str, key: &str) -> String {
    if let Some(d) = obj.get("default").and_then(Value::as_str) {
        return d.to_owned();
    }
    match obj.get("format").and_then(Value::as_str) {
        Some("date") => return "2025-01-01".into(),
        Some("date-time") => return "2025-01-01T00:00:00Z".into(),
        Some("email") => return "user@example.com".into(),
        Some("uri") | Some("url") => return "https://example.com/".into(),
        _ => {}
    }
    if let Some(q) = quoted(text) {
        return q.to_owned();
    }
    let k = key.to_lowercase();
    if [
        "city",
        "location",
        "place",
        "country",
        "region",
        "destination",
    ]
    .iter()
    .any(|w| k.contains(w))
        && let Some(place) = place_name(text)
    {
        return place;
    }
    let s = text.trim().trim_end_matches(['?', '.', '!']).to_owned();
    let max = obj.get("maxLength").and_then(Value::as_u64).unwrap_or(200) as usize;
    let mut s: String = s.chars().take(max).collect();
    let min = obj.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    while s.chars().count() < min {
        s.push('x');
    }
    s
}

fn quoted(text: &str) -> Option<&str> {
    let start = text.find(['"', '\u{201c}'])?;
    let open = text[start..].chars().next()?;
    let close = if open == '"' { '"' } else { '\u{201d}' };
    let rest = &text[start + open.len_utf8()..];
    let end = rest.find(close)?;
    (end > 0).then(|| &rest[..end])
}

/// Capitalized words after "in", "for", "at", "to" or "near": "the weather in New York".
fn place_name(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        if !matches!(
            w.to_lowercase().as_str(),
            "in" | "for" | "at" | "to" | "near"
        ) {
            continue;
        }
        let name: Vec<&str> = words[i + 1..]
            .iter()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .take_while(|w| w.chars().next().is_some_and(char::is_uppercase))
            .collect();
        if !name.is_empty() {
            return Some(name.join(" "));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_a_weather_tool_from_the_question() {
        let schema = json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "detailed": {"type": "boolean"}
            },
            "required": ["city", "unit", "days"]
        });
        let v = fill(
            &schema,
            "What's the weather in New York for 3 days in fahrenheit?",
            "",
        );
        assert_eq!(
            v,
            json!({"city": "New York", "unit": "fahrenheit", "days": 3})
        );
    }

    #[test]
    fn nested_and_array_shapes() {
        let schema = json!({
            "type": "object",
            "properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                           "filter": {"type": "object", "properties": {"limit": {"type": "number"}}, "required": ["limit"]}},
            "required": ["tags", "filter"]
        });
        let v = fill(&schema, "find \"rust\" posts", "");
        assert_eq!(
            v,
            json!({"tags": ["rust", "rust"], "filter": {"limit": 1.0}})
        );
    }
}
