//! Each family's responses and stream chunks read back: text, stop reason and usage,
//! the invocation metrics preferred in a stream, untrusted text sanitized, bad bytes
//! refused.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::*;

const ANSWER: [&str; 2] = ["Borrowing lends ", "a reference."];

fn bytes(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// The pieces `Chunks` returns for each chunk, and its reply.
fn stream(family: Family, chunks: &[Value]) -> (Vec<String>, Reply) {
    let mut c = Chunks::new(family);
    let pieces = chunks.iter().map(|v| c.push(&bytes(v)).unwrap()).collect();
    (pieces, c.finish())
}

fn usage(input: u32, output: u32) -> Option<Usage> {
    Some(Usage {
        input,
        output,
        ..Usage::default()
    })
}

fn metrics(input: u32, output: u32) -> Value {
    json!({"inputTokenCount": input, "outputTokenCount": output, "invocationLatency": 120, "firstByteLatency": 40})
}

/// The last chunk with the invocation metrics the service adds to it.
fn with_metrics(mut chunk: Value, input: u32, output: u32) -> Value {
    chunk["amazon-bedrock-invocationMetrics"] = metrics(input, output);
    chunk
}

/// A family's answer, whole and streamed, and what reading it must give.
struct Case {
    family: Family,
    response: Value,
    /// The chunks before the service adds its invocation metrics to the last.
    chunks: Vec<Value>,
    stop: &'static str,
    /// The usage the response reports.
    usage: Option<Usage>,
    /// The usage the chunks report by themselves.
    chunk_usage: Option<Usage>,
}

fn whole() -> String {
    ANSWER.concat()
}

fn anthropic() -> Case {
    let delta = |t: &str| json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}});
    Case {
        family: Family::Anthropic,
        response: json!({
            "id": "msg_bdrk_01Abc", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
            "content": [{"type": "thinking", "thinking": "Let me see.", "signature": "c2ln"},
                        {"type": "text", "text": ANSWER[0]}, {"type": "text", "text": ANSWER[1]}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 21, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 4, "output_tokens": 9},
        }),
        chunks: vec![
            json!({"type": "message_start", "message": {"id": "msg_bdrk_01Abc", "type": "message", "role": "assistant",
                "content": [], "stop_reason": null, "usage": {"input_tokens": 21, "output_tokens": 1}}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hm"}}),
            delta(ANSWER[0]),
            delta(ANSWER[1]),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 9}}),
            json!({"type": "message_stop"}),
        ],
        stop: "end_turn",
        usage: Some(Usage {
            cache_read: 4,
            ..usage(21, 9).unwrap()
        }),
        chunk_usage: usage(21, 9),
    }
}

fn nova() -> Case {
    let delta =
        |t: &str| json!({"contentBlockDelta": {"delta": {"text": t}, "contentBlockIndex": 0}});
    let counts = json!({"inputTokens": 21, "outputTokens": 9, "totalTokens": 30,
                        "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0});
    Case {
        family: Family::Nova,
        response: json!({
            "output": {"message": {"role": "assistant", "content": [{"text": whole()}]}},
            "stopReason": "end_turn", "usage": counts,
        }),
        chunks: vec![
            json!({"messageStart": {"role": "assistant"}}),
            delta(ANSWER[0]),
            delta(ANSWER[1]),
            json!({"contentBlockStop": {"contentBlockIndex": 0}}),
            json!({"messageStop": {"stopReason": "end_turn"}}),
            json!({"metadata": {"usage": counts, "metrics": {}, "trace": {}}}),
        ],
        stop: "end_turn",
        usage: usage(21, 9),
        chunk_usage: usage(21, 9),
    }
}

fn titan() -> Case {
    Case {
        family: Family::TitanText,
        response: json!({"inputTextTokenCount": 21, "results": [
            {"tokenCount": 9, "outputText": whole(), "completionReason": "FINISH"}]}),
        chunks: vec![
            json!({"outputText": ANSWER[0], "index": 0, "totalOutputTextTokenCount": null,
                   "completionReason": null, "inputTextTokenCount": 21}),
            json!({"outputText": ANSWER[1], "index": 0, "totalOutputTextTokenCount": 9,
                   "completionReason": "FINISH", "inputTextTokenCount": null}),
        ],
        stop: "FINISH",
        usage: usage(21, 9),
        chunk_usage: usage(21, 9),
    }
}

fn llama() -> Case {
    Case {
        family: Family::Llama,
        response: json!({"generation": whole(), "prompt_token_count": 21,
                         "generation_token_count": 9, "stop_reason": "stop"}),
        chunks: vec![
            json!({"generation": ANSWER[0], "prompt_token_count": 21, "generation_token_count": 4, "stop_reason": null}),
            json!({"generation": ANSWER[1], "prompt_token_count": null, "generation_token_count": 9, "stop_reason": null}),
            json!({"generation": "", "prompt_token_count": null, "generation_token_count": 9, "stop_reason": "stop"}),
        ],
        stop: "stop",
        usage: usage(21, 9),
        chunk_usage: usage(21, 9),
    }
}

fn chat_usage() -> Value {
    json!({"prompt_tokens": 21, "completion_tokens": 9, "total_tokens": 30})
}

fn mistral_chat() -> Case {
    let chunk = |t: &str, stop: Value| {
        json!({"id": "5d6e", "object": "chat.completion.chunk", "model": "mistral-large-2407",
               "choices": [{"index": 0, "message": {"role": null, "content": t, "tool_calls": null}, "stop_reason": stop}]})
    };
    let mut last = chunk(ANSWER[1], json!("stop"));
    last["usage"] = chat_usage();
    Case {
        family: Family::Mistral,
        response: json!({"id": "5d6e", "object": "chat.completion", "model": "mistral-large-2407",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": whole(), "tool_calls": null}, "stop_reason": "stop"}],
            "usage": chat_usage()}),
        chunks: vec![chunk(ANSWER[0], Value::Null), last],
        stop: "stop",
        usage: usage(21, 9),
        chunk_usage: usage(21, 9),
    }
}

fn mistral_prompt() -> Case {
    Case {
        family: Family::Mistral,
        response: json!({"outputs": [{"text": whole(), "stop_reason": "stop"}]}),
        chunks: vec![
            json!({"outputs": [{"text": ANSWER[0], "stop_reason": null}]}),
            json!({"outputs": [{"text": ANSWER[1], "stop_reason": "stop"}]}),
        ],
        stop: "stop",
        usage: None,
        chunk_usage: None,
    }
}

fn cohere() -> Case {
    let response = json!({
        "response_id": "a1", "text": whole(), "generation_id": "b2", "finish_reason": "COMPLETE",
        "chat_history": [{"role": "USER", "message": "And borrowing?"}, {"role": "CHATBOT", "message": whole()}],
        "meta": {"api_version": {"version": "1"}, "billed_units": {"input_tokens": 21, "output_tokens": 9}},
    });
    let text = |t: &str| json!({"is_finished": false, "event_type": "text-generation", "text": t});
    Case {
        family: Family::CohereCommandR,
        chunks: vec![
            json!({"is_finished": false, "event_type": "stream-start", "generation_id": "b2"}),
            text(ANSWER[0]),
            text(ANSWER[1]),
            json!({"is_finished": true, "event_type": "stream-end", "finish_reason": "COMPLETE", "response": response}),
        ],
        response,
        stop: "COMPLETE",
        usage: usage(21, 9),
        chunk_usage: usage(21, 9),
    }
}

fn jamba() -> Case {
    let chunk = |delta: Value, finish: Value| json!({"id": "chatcmpl-1", "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]});
    let mut last = chunk(json!({}), json!("stop"));
    last["usage"] = chat_usage();
    Case {
        family: Family::Jamba,
        response: json!({"id": "chatcmpl-1", "model": "jamba-1-5-mini", "meta": {"requestDurationMillis": 0},
            "choices": [{"index": 0, "message": {"role": "assistant", "content": whole(), "tool_calls": null},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": chat_usage()}),
        chunks: vec![
            chunk(json!({"role": "assistant"}), Value::Null),
            chunk(json!({"content": ANSWER[0]}), Value::Null),
            chunk(json!({"content": ANSWER[1]}), Value::Null),
            last,
        ],
        stop: "stop",
        usage: usage(21, 9),
        chunk_usage: usage(21, 9),
    }
}

fn cases() -> Vec<Case> {
    vec![
        anthropic(),
        nova(),
        titan(),
        llama(),
        mistral_chat(),
        mistral_prompt(),
        cohere(),
        jamba(),
    ]
}

#[test]
fn every_family_reads_its_response() {
    for c in cases() {
        let reply = parse_response(c.family, &bytes(&c.response)).unwrap();
        let expected = Reply {
            text: whole(),
            stop: Some(c.stop.into()),
            usage: c.usage,
        };
        assert_eq!(reply, expected, "{:?}", c.family);
    }
}

#[test]
fn every_family_reads_its_chunks_and_prefers_the_invocation_metrics() {
    for c in cases() {
        let (pieces, reply) = stream(c.family, &c.chunks);
        let text: Vec<&str> = pieces
            .iter()
            .map(String::as_str)
            .filter(|p| !p.is_empty())
            .collect();
        assert_eq!(text, ANSWER, "{:?}", c.family);
        let expected = Reply {
            text: whole(),
            stop: Some(c.stop.into()),
            usage: c.chunk_usage,
        };
        assert_eq!(reply, expected, "{:?}", c.family);

        let mut chunks = c.chunks;
        let last = chunks.pop().unwrap();
        chunks.push(with_metrics(last, 23, 10));
        let (_, reply) = stream(c.family, &chunks);
        assert_eq!(reply.usage, usage(23, 10), "{:?}", c.family);
        assert_eq!(reply.text, whole(), "{:?}", c.family);
    }
}

#[test]
fn bad_answers_are_errors() {
    assert!(matches!(
        parse_response(Family::Llama, b"{\"generation\": "),
        Err(Error::NotJson(_))
    ));
    assert_eq!(
        parse_response(Family::Llama, b"{\"outputs\": []}"),
        Err(Error::Shape("no text at /generation".into()))
    );
    assert!(matches!(
        parse_response(Family::Anthropic, b"[]"),
        Err(Error::Shape(_))
    ));
    let mut c = Chunks::new(Family::Nova);
    assert!(matches!(c.push(b"not json"), Err(Error::NotJson(_))));
    assert!(matches!(c.push(b"[1]"), Err(Error::Shape(_))));
    assert!(
        Error::NotJson("EOF".into())
            .to_string()
            .contains("not JSON")
    );
}

#[test]
fn an_escape_split_across_chunks_is_removed_whole() {
    let chunks = [
        json!({"generation": "Red: \u{1b}[3", "prompt_token_count": 9, "generation_token_count": 2, "stop_reason": null}),
        json!({"generation": "1mwarm\u{1b}]0;ti", "prompt_token_count": null, "generation_token_count": 4, "stop_reason": null}),
        json!({"generation": "tle\u{7}.\tok", "prompt_token_count": null, "generation_token_count": 6, "stop_reason": "stop"}),
    ];
    let (pieces, reply) = stream(Family::Llama, &chunks);
    assert_eq!(pieces, ["Red: ", "warm", ".\tok"]);
    assert_eq!(reply.text, "Red: warm.\tok");
    assert_eq!(reply.usage, usage(9, 6));
    let whole = json!({"generation": "a\u{1b}[2Jb\u{9b}c", "stop_reason": "stop"});
    assert_eq!(
        parse_response(Family::Llama, &bytes(&whole)).unwrap().text,
        "ab"
    );
}
