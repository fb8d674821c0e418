//! Amazon Titan Text (`inputText` + `textGenerationConfig`): completion results and
//! `outputText` chunks; "User:/Bot:" transcripts become turns.

use bedrock_catalog::Model;
use serde_json::{Value, json};

use crate::conversation::Request;
use crate::converse::Usage;
use crate::simulator::Generation;
use crate::stream::StreamItem;

use super::doc::{Doc, Result};
use super::{
    Parsed, StopNames, Variant, default_max, input_tokens, prompt, set_turns, text_chunks,
};

const STOPS: StopNames = StopNames {
    end: "FINISH",
    max: "LENGTH",
    sequence: "STOP_CRITERIA_MET",
    tool: "FINISH",
};

pub(super) fn parse(model: &Model, doc: &Doc) -> Result<Parsed> {
    doc.keys(&["inputText"], &["textGenerationConfig"])?;
    let text = doc.req_str("inputText")?;
    let mut req = Request {
        max_tokens: default_max(model, 512),
        ..Request::default()
    };
    if let Some(cfg) = doc.child("textGenerationConfig")? {
        cfg.keys(
            &[],
            &["maxTokenCount", "stopSequences", "temperature", "topP"],
        )?;
        if let Some(n) = cfg.u32("maxTokenCount", 0)? {
            cfg.at_most("maxTokenCount", Some(n), model.max_output_tokens)?;
            req.max_tokens = Some(n);
        }
        req.stop_sequences = cfg.strings("stopSequences", false)?;
        // Titan accepts only runs of '|' and "User:" as stop sequences.
        for (i, s) in req.stop_sequences.iter().enumerate() {
            if s != "User:" && (s.is_empty() || !s.chars().all(|c| c == '|')) {
                return Err(cfg.err(
                    &format!("stopSequences/{i}"),
                    format!("string [{s}] does not match pattern ^(\\|+|User:)$"),
                ));
            }
        }
        req.temperature = cfg.num("temperature", 0.0, 1.0)?;
        cfg.num("topP", 0.0, 1.0)?;
    }
    set_turns(&mut req, text, prompt::transcript(text));
    Ok(Parsed {
        request: req,
        variant: Variant::Default,
    })
}

pub(super) fn response(g: &Generation, u: Usage) -> Value {
    json!({
        "inputTextTokenCount": input_tokens(&u),
        "results": [{
            "tokenCount": u.output,
            "outputText": g.text(),
            "completionReason": STOPS.of(&g.stop),
        }],
    })
}

pub(super) fn chunks(g: &Generation, u: Usage) -> Vec<StreamItem> {
    let mut first = true;
    text_chunks(&g.text(), |piece, so_far, last| {
        let chunk = json!({
            "outputText": piece,
            "index": 0,
            "totalOutputTextTokenCount": if last { json!(so_far) } else { Value::Null },
            "completionReason": if last { json!(STOPS.of(&g.stop)) } else { Value::Null },
            "inputTextTokenCount": if first { json!(input_tokens(&u)) } else { Value::Null },
        });
        first = false;
        chunk
    })
}

#[cfg(test)]
mod tests {
    use bedrock_catalog::Family;
    use serde_json::{Value, json};

    use crate::conversation::Role;
    use crate::tokens;

    use super::super::testing::{model, parse_err, run, text_of};

    fn titan() -> bedrock_catalog::Model {
        model("amazon.titan-text-express-v1", Family::TitanText, 8192)
    }

    fn body(text: &str, cfg: Value) -> String {
        json!({"inputText": text, "textGenerationConfig": cfg}).to_string()
    }

    #[test]
    fn parses_transcripts_and_renders() {
        let m = titan();
        let r = run(
            &m,
            &body(
                "You are a librarian.\nUser: hello\nBot: Hi! How can I help?\nUser: Recommend a book about databases.\nBot:",
                json!({"maxTokenCount": 700, "temperature": 0.2, "topP": 0.9, "stopSequences": ["User:"]}),
            ),
        );
        let req = &r.parsed.request;
        assert_eq!(req.system, vec![Some("You are a librarian.".into())]);
        let roles: Vec<Role> = req.messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
        assert_eq!(req.last_user_text(), "Recommend a book about databases.");
        assert_eq!(req.max_tokens, Some(700));

        let res = &r.response;
        assert_eq!(res["inputTextTokenCount"], 29);
        let result = &res["results"][0];
        assert_eq!(result["completionReason"], "FINISH");
        let text = result["outputText"].as_str().unwrap();
        assert_eq!(text, text_of(&r.generation));
        assert_eq!(result["tokenCount"], tokens::count(text));

        let p = r.payloads();
        let streamed: String = p
            .iter()
            .map(|c| c["outputText"].as_str().unwrap())
            .collect();
        assert_eq!(streamed, text);
        assert_eq!(p[0]["inputTextTokenCount"], 29);
        assert!(p[1..].iter().all(|c| c["inputTextTokenCount"].is_null()));
        assert!(
            p[..p.len() - 1]
                .iter()
                .all(|c| c["completionReason"].is_null())
        );
        let last = r.last();
        assert_eq!(last["completionReason"], "FINISH");
        assert_eq!(last["totalOutputTextTokenCount"], tokens::count(text));
    }

    #[test]
    fn plain_prompt_limits_and_errors() {
        let m = titan();
        let r = run(
            &m,
            &json!({"inputText": "Write a haiku about autumn."}).to_string(),
        );
        assert_eq!(r.parsed.request.messages.len(), 1);
        assert_eq!(r.parsed.request.max_tokens, Some(512));

        let r = run(
            &m,
            &body("Describe the water cycle.", json!({"maxTokenCount": 6})),
        );
        assert_eq!(r.response["results"][0]["completionReason"], "LENGTH");
        assert_eq!(r.last()["totalOutputTextTokenCount"], 6);

        // A question whose answer has a '|' (a table) stops there with "|" as stop sequence.
        let question = [
            "Compare SQL databases in a table.",
            "Compare rust and python in a table.",
            "Show a table of planets.",
        ]
        .into_iter()
        .find(|q| text_of(&run(&m, &body(q, json!({}))).generation).contains('|'))
        .expect("one of the answers has a table");
        let r = run(&m, &body(question, json!({"stopSequences": ["|"]})));
        assert_eq!(
            r.response["results"][0]["completionReason"],
            "STOP_CRITERIA_MET"
        );
        assert!(!r.generation.text().contains('|'));

        assert!(parse_err(&m, "{}").contains("#: required key [inputText] not found"));
        assert!(
            parse_err(&m, &body("x", json!({"maxTokens": 10})))
                .contains("#/textGenerationConfig: extraneous key [maxTokens]")
        );
        assert!(
            parse_err(&m, &body("x", json!({"maxTokenCount": 9000}))).contains(
                "#/textGenerationConfig/maxTokenCount: 9000 is not less or equal to 8192"
            )
        );
        assert!(
            parse_err(&m, &body("x", json!({"stopSequences": ["###"]})))
                .contains("#/textGenerationConfig/stopSequences/0: string [###] does not match pattern ^(\\|+|User:)$")
        );
    }
}
