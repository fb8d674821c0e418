//! What a native body asks and how its format is named: the text of its last user
//! turn, read back from any of the seven formats, so the question a user edited in the
//! console is the one the conversation shows and later turns carry.

use serde_json::Value;

use super::Family;

/// The format's name as its documentation gives it.
pub fn format_name(family: Family) -> &'static str {
    match family {
        Family::Anthropic => "Anthropic Messages",
        Family::Nova => "Amazon Nova messages-v1",
        Family::TitanText => "Titan Text",
        Family::Llama => "Meta Llama prompt",
        Family::Mistral => "Mistral",
        Family::CohereCommandR => "Cohere Command R",
        Family::Jamba => "AI21 Jamba",
        _ => "native",
    }
}

/// The text of the body's last user turn, if the body has one this can read.
pub fn question(family: Family, body: &Value) -> Option<String> {
    let text = match family {
        Family::Anthropic | Family::Nova | Family::Jamba => last_user_message(body),
        Family::Mistral => last_user_message(body)
            .or_else(|| between_last(body["prompt"].as_str()?, "[INST]", "[/INST]")),
        Family::CohereCommandR => body["message"].as_str().map(str::to_owned),
        Family::TitanText => between_last(body["inputText"].as_str()?, "User:", "\nBot:"),
        Family::Llama => {
            let prompt = body["prompt"].as_str()?;
            between_last(
                prompt,
                "<|start_header_id|>user<|end_header_id|>",
                "<|eot_id|>",
            )
            .or_else(|| between_last(prompt, "<|header_start|>user<|header_end|>", "<|eot|>"))
        }
        _ => None,
    }?;
    let text = crate::sanitize::keeping_tabs(text.trim());
    (!text.is_empty()).then_some(text)
}

/// The text of the last `user` message of a `messages` array: a string, or the text
/// parts of a content array (`{"text"}` or `{"type": "text", "text"}`).
fn last_user_message(body: &Value) -> Option<String> {
    let m = body["messages"]
        .as_array()?
        .iter()
        .rev()
        .find(|m| m["role"] == "user")?;
    match &m["content"] {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts.iter().filter_map(|p| p["text"].as_str()).collect();
            (!texts.is_empty()).then(|| texts.join("\n\n"))
        }
        _ => None,
    }
}

/// The text between the last `open` and the `close` after it (or the end).
fn between_last(text: &str, open: &str, close: &str) -> Option<String> {
    let start = text.rfind(open)? + open.len();
    let rest = &text[start..];
    let end = rest.find(close).unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::conversation::{Block, Inference, Message, Role};

    /// Every family's body of a two-turn conversation gives its last question back.
    #[test]
    fn the_last_question_is_read_back_from_every_familys_body() {
        let messages = vec![
            Message::user("What is ownership?"),
            Message {
                role: Role::Assistant,
                blocks: vec![Block::Text("Rules about who frees memory.".into())],
                model: None,
            },
            Message::user("And borrowing?"),
        ];
        for id in [
            "anthropic.claude-haiku-4-5-20251001-v1:0",
            "amazon.nova-lite-v1:0",
            "amazon.titan-text-express-v1",
            "meta.llama3-1-8b-instruct-v1:0",
            "meta.llama4-scout-17b-instruct-v1:0",
            "mistral.mistral-large-2407-v1:0",
            "cohere.command-r-v1:0",
            "ai21.jamba-1-5-mini-v1:0",
        ] {
            let model = Catalog::builtin().get(id).unwrap();
            let body =
                crate::native::body(model, Some("Be brief."), &messages, &Inference::default())
                    .unwrap();
            assert_eq!(
                question(model.family, &body).as_deref(),
                Some("And borrowing?"),
                "{id}: {body}"
            );
            assert_ne!(format_name(model.family), "native", "{id}");
        }
    }

    #[test]
    fn a_mistral_prompt_and_an_unreadable_body_give_what_they_can() {
        let body =
            serde_json::json!({"prompt": "<s>[INST] S\n\nq1 [/INST] a1</s>[INST] q2 [/INST]"});
        assert_eq!(question(Family::Mistral, &body).as_deref(), Some("q2"));
        assert_eq!(
            question(Family::Anthropic, &serde_json::json!({"x": 1})),
            None
        );
        // A question that is only blanks (or escapes) is none.
        let body = serde_json::json!({"message": " \u{1b}[2J "});
        assert_eq!(question(Family::CohereCommandR, &body), None);
    }
}
