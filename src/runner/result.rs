//! An MCP tool result as Converse carries it: text as text, structured content as
//! JSON once, and a line saying what any other kind of content was (the model gets
//! no images or audio through a tool result here).

use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};
use serde_json::Value;

use crate::tools::{Content, Output};

/// A tool result as Converse carries it: text as text, structured content as JSON,
/// and a line saying what any other kind of content was.
pub fn output(result: CallToolResult) -> Output {
    let mut content = Vec::new();
    let structured = result.structured_content.filter(|v| !v.is_null());
    for block in result.content {
        let part = match block {
            ContentBlock::Text(t) => {
                // Servers repeat structured content as text for older clients; once is enough.
                if let Some(s) = &structured
                    && serde_json::from_str::<Value>(&t.text).is_ok_and(|v| &v == s)
                {
                    continue;
                }
                t.text
            }
            ContentBlock::Image(i) => format!(
                "[image: {}, {} bytes, not shown]",
                i.mime_type,
                decoded_len(&i.data)
            ),
            ContentBlock::Audio(a) => format!(
                "[audio: {}, {} bytes, not shown]",
                a.mime_type,
                decoded_len(&a.data)
            ),
            ContentBlock::Resource(r) => match r.resource {
                ResourceContents::TextResourceContents {
                    uri,
                    mime_type,
                    text,
                    ..
                } => format!(
                    "[resource {uri}: {}, {} bytes]\n{text}",
                    mime_type.as_deref().unwrap_or("text"),
                    text.len()
                ),
                ResourceContents::BlobResourceContents {
                    uri,
                    mime_type,
                    blob,
                    ..
                } => format!(
                    "[resource {uri}: {}, {} bytes, not shown]",
                    mime_type.as_deref().unwrap_or("binary"),
                    decoded_len(&blob)
                ),
                _ => "[a resource of a kind this app does not read]".into(),
            },
            ContentBlock::ResourceLink(r) => {
                let mut line = format!("[resource link {}: {}", r.uri, r.name);
                if let Some(m) = &r.mime_type {
                    line.push_str(&format!(", {m}"));
                }
                if let Some(s) = r.size {
                    line.push_str(&format!(", {s} bytes"));
                }
                if let Some(d) = &r.description {
                    line.push_str(&format!(", {d}"));
                }
                line.push(']');
                line
            }
            _ => "[content of a kind this app does not read]".into(),
        };
        if !content.is_empty() {
            content.push(Content::Text("\n".into()));
        }
        content.push(Content::Text(part));
    }
    if let Some(s) = structured {
        content.push(Content::Json(s));
    }
    let error = result.is_error == Some(true);
    if content.is_empty() {
        content.push(Content::Text(if error {
            "The tool failed without saying why.".into()
        } else {
            String::new()
        }));
    }
    Output { content, error }
}

/// The size of base64 `data` once decoded.
fn decoded_len(data: &str) -> usize {
    let data = data.trim_end();
    let pad = data.bytes().rev().take_while(|b| *b == b'=').count();
    (data.len() / 4 * 3 + (data.len() % 4).saturating_sub(1)).saturating_sub(pad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::ImageContent;
    use serde_json::json;

    #[test]
    fn results_become_text_json_and_lines() {
        let mut r = CallToolResult::success(vec![
            ContentBlock::text("hello"),
            ContentBlock::Image(ImageContent::new("aGVsbG8=", "image/png")),
            ContentBlock::text(r#"{"a":1}"#),
        ]);
        r.structured_content = Some(json!({"a": 1}));
        let out = output(r);
        assert!(!out.error);
        assert_eq!(out.joined().lines().next(), Some("hello"));
        assert!(
            out.joined().contains("[image: image/png, 5 bytes"),
            "{}",
            out.joined()
        );
        assert_eq!(out.content.last(), Some(&Content::Json(json!({"a": 1}))));
        assert_eq!(
            out.content
                .iter()
                .filter(|c| matches!(c, Content::Json(_)))
                .count(),
            1
        );
        assert!(!out.joined().contains(r#"{"a":1}"#));

        let failed = output(CallToolResult::error(vec![]));
        assert!(failed.error);
        assert!(failed.joined().contains("failed"));
    }

    #[test]
    fn base64_sizes() {
        assert_eq!(decoded_len("aGVsbG8="), 5);
        assert_eq!(decoded_len("aGVsbG8h"), 6);
        assert_eq!(decoded_len("aGVsbA=="), 4);
        assert_eq!(decoded_len(""), 0);
    }
}
