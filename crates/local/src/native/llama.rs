//! Meta Llama (`prompt` + `max_gen_len`): the chat template in the prompt becomes turns;
//! answers are `generation` with prompt and generation token counts.

use base64::Engine;
use bedrock_catalog::Model;
use serde_json::{Value, json};

use crate::conversation::{Block, Request, Role};
use crate::converse::Usage;
use crate::media::{Image, Source};
use crate::simulator::Generation;
use crate::stream::StreamItem;

use super::doc::{Doc, Result};
use super::{
    COMPLETION_STOPS, Parsed, Variant, default_max, input_tokens, prompt, set_turns, text_chunks,
};

pub(super) fn parse(model: &Model, doc: &Doc) -> Result<Parsed> {
    let vision = model.input_modalities.iter().any(|m| m == "image");
    let optional: &[&str] = if vision {
        &["max_gen_len", "temperature", "top_p", "images"]
    } else {
        &["max_gen_len", "temperature", "top_p"]
    };
    doc.keys(&["prompt"], optional)?;
    let text = doc.req_str("prompt")?;
    let max = doc.u32("max_gen_len", 1)?;
    doc.at_most("max_gen_len", max, model.max_output_tokens)?;
    let mut req = Request {
        max_tokens: max.or_else(|| default_max(model, 512)),
        temperature: doc.num("temperature", 0.0, 1.0)?,
        ..Request::default()
    };
    doc.num("top_p", 0.0, 1.0)?;
    let turns = prompt::llama(text).or_else(|| prompt::inst(text));
    set_turns(&mut req, text, turns);
    for (i, image) in doc.strings("images", false)?.iter().enumerate() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(image)
            .map_err(|_| doc.err(&format!("images/{i}"), "string is not valid base64"))?;
        let block = Block::Image(Image::new(
            "png",
            Source::Bytes {
                encoded: image.len(),
            },
            &bytes,
        ));
        if let Some(m) = req.messages.iter_mut().rev().find(|m| m.role == Role::User) {
            m.blocks.insert(0, block);
        }
    }
    Ok(Parsed {
        request: req,
        variant: Variant::Default,
    })
}

pub(super) fn response(g: &Generation, u: Usage) -> Value {
    json!({
        "generation": g.text(),
        "prompt_token_count": input_tokens(&u),
        "generation_token_count": u.output,
        "stop_reason": COMPLETION_STOPS.of(&g.stop),
    })
}

/// Text chunks with running counts, then an empty chunk with the stop reason.
pub(super) fn chunks(g: &Generation, u: Usage) -> Vec<StreamItem> {
    let mut first = true;
    let mut items = text_chunks(&g.text(), |piece, so_far, _| {
        let prompt_tokens = if first {
            json!(input_tokens(&u))
        } else {
            Value::Null
        };
        first = false;
        json!({"generation": piece, "prompt_token_count": prompt_tokens,
               "generation_token_count": so_far, "stop_reason": null})
    });
    items.push(StreamItem::chunk(
        json!({"generation": "", "prompt_token_count": null,
               "generation_token_count": u.output, "stop_reason": COMPLETION_STOPS.of(&g.stop)}),
        0,
    ));
    items
}

#[cfg(test)]
mod tests {
    use bedrock_catalog::Family;
    use serde_json::json;

    use crate::conversation::{Block, Role};
    use crate::media::{Image, Source};
    use crate::tokens;

    use super::super::testing::{model, parse_err, run, text_of};

    fn llama() -> bedrock_catalog::Model {
        model("meta.llama3-1-70b-instruct-v1:0", Family::Llama, 2048)
    }

    const PROMPT: &str = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a Rust expert.<|eot_id|>\
        <|start_header_id|>user<|end_header_id|>\n\nHow do I read a file in Rust?<|eot_id|>\
        <|start_header_id|>assistant<|end_header_id|>\n\n";

    #[test]
    fn parses_the_chat_template_and_renders() {
        let m = llama();
        let r = run(
            &m,
            &json!({"prompt": PROMPT, "max_gen_len": 1024, "temperature": 0.5, "top_p": 0.9})
                .to_string(),
        );
        let req = &r.parsed.request;
        assert_eq!(req.system, vec![Some("You are a Rust expert.".into())]);
        assert_eq!(req.messages.len(), 1);
        assert_eq!(req.last_user_text(), "How do I read a file in Rust?");

        let res = &r.response;
        let text = res["generation"].as_str().unwrap();
        assert_eq!(text, text_of(&r.generation));
        assert_eq!(res["generation_token_count"], tokens::count(text));
        assert_eq!(res["prompt_token_count"], 29);
        assert_eq!(res["stop_reason"], "stop");

        let p = r.payloads();
        let streamed: String = p
            .iter()
            .map(|c| c["generation"].as_str().unwrap())
            .collect();
        assert_eq!(streamed, text);
        assert_eq!(p[0]["prompt_token_count"], 29);
        assert!(p[1..].iter().all(|c| c["prompt_token_count"].is_null()));
        assert!(p[..p.len() - 1].iter().all(|c| c["stop_reason"].is_null()));
        assert_eq!(
            p[p.len() - 2]["generation_token_count"],
            tokens::count(text)
        );
        let last = r.last();
        assert_eq!(
            (last["stop_reason"].as_str(), last["generation"].as_str()),
            (Some("stop"), Some(""))
        );
    }

    #[test]
    fn plain_prompt_images_length_and_errors() {
        let m = llama();
        let r = run(
            &m,
            &json!({"prompt": "Name three rivers in Europe.", "max_gen_len": 5}).to_string(),
        );
        assert_eq!(r.parsed.request.messages[0].role, Role::User);
        assert_eq!(r.response["stop_reason"], "length");
        assert_eq!(r.last()["generation_token_count"], 5);

        let vision = model("meta.llama3-2-11b-instruct-v1:0", Family::Llama, 2048);
        let p = super::super::testing::parse_ok(
            &vision,
            &json!({"prompt": PROMPT, "images": ["iVBORw0KGgo="]}).to_string(),
        );
        assert_eq!(
            p.request.messages[0].blocks[0],
            Block::Image(Image::new("png", Source::Bytes { encoded: 12 }, &[0; 8]))
        );
        assert_eq!(p.request.max_tokens, Some(512));

        assert!(
            parse_err(&m, &json!({"prompt": "x", "max_tokens": 10}).to_string())
                .contains("#: extraneous key [max_tokens] is not permitted")
        );
        assert!(
            parse_err(&m, &json!({"prompt": "x", "max_gen_len": 4096}).to_string())
                .contains("#/max_gen_len: 4096 is not less or equal to 2048")
        );
        assert!(
            parse_err(&m, &json!({"prompt": 5}).to_string())
                .contains("#/prompt: expected type: String, found: Integer")
        );
        assert!(
            parse_err(&m, &json!({"prompt": "x", "top_p": 2}).to_string())
                .contains("#/top_p: 2 is not less or equal to 1")
        );
    }
}
