"""InvokeModel and InvokeModelWithResponseStream in every native family's format:
request, response body, token-count headers, stream chunks decoded from `chunk.bytes`,
and `amazon-bedrock-invocationMetrics` in the last chunk."""

import json
import math

import pytest

from families import (
    ANTHROPIC,
    COHERE,
    JAMBA,
    LLAMA,
    MISTRAL,
    NOVA,
    TEXT_FAMILIES,
    TITAN,
    invoke,
    invoke_stream,
)
from support import (
    HAIKU3,
    NOVA_EMBED,
    SONNET45,
    TITAN_EMBED,
    TITAN_EXPRESS,
    headers_of,
    text_of,
    thinking,
    user,
)

FAMILY_IDS = [f.name for f in TEXT_FAMILIES]
QUESTION = "Explain borrowing in Rust"

TOKEN_HEADERS = (
    "x-amzn-bedrock-input-token-count",
    "x-amzn-bedrock-output-token-count",
    "x-amzn-bedrock-invocation-latency",
)


@pytest.mark.parametrize("fam", TEXT_FAMILIES, ids=FAMILY_IDS)
def test_invoke_answers_in_the_family_format(client, fam):
    resp, body = invoke(client, fam, QUESTION)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["contentType"] == "application/json"
    text = fam.text(body)
    assert "borrowing in Rust" in text, text
    assert fam.stop(body) == fam.end_stop

    h = headers_of(resp)
    for name in TOKEN_HEADERS:
        assert name in h, (name, h)
    n_in = int(h["x-amzn-bedrock-input-token-count"])
    n_out = int(h["x-amzn-bedrock-output-token-count"])
    assert n_in > 3
    assert n_out > 20
    assert int(h["x-amzn-bedrock-invocation-latency"]) >= 0
    if fam.output_tokens(body) is not None:
        assert fam.output_tokens(body) == n_out
    if fam.input_tokens(body) is not None:
        assert fam.input_tokens(body) == n_in


@pytest.mark.parametrize("fam", TEXT_FAMILIES, ids=FAMILY_IDS)
def test_native_answer_equals_the_converse_answer(client, fam):
    _, body = invoke(client, fam, QUESTION)
    conv = client.converse(modelId=fam.model_id, messages=[user(QUESTION)])
    assert fam.text(body) == text_of(conv)


@pytest.mark.parametrize("fam", TEXT_FAMILIES, ids=FAMILY_IDS)
def test_invoke_is_deterministic(client, fam):
    _, a = invoke(client, fam, "What is a trait object?")
    _, b = invoke(client, fam, "What is a trait object?")
    _, c = invoke(client, fam, "What is a lifetime?")
    assert fam.text(a) == fam.text(b)
    assert fam.text(a) != fam.text(c)


@pytest.mark.parametrize("fam", TEXT_FAMILIES, ids=FAMILY_IDS)
def test_max_tokens_cuts_the_answer(client, fam):
    resp, body = invoke(client, fam, QUESTION, max_tokens=6)
    assert fam.stop(body) == fam.max_stop
    assert int(headers_of(resp)["x-amzn-bedrock-output-token-count"]) == 6
    if fam.output_tokens(body) is not None:
        assert fam.output_tokens(body) == 6
    _, full = invoke(client, fam, QUESTION)
    assert fam.text(full).startswith(fam.text(body))
    assert len(fam.text(body)) < len(fam.text(full))


# Mistral's `[INST]` prompt has no system slot; its chat form is tested below.
WITH_SYSTEM = [f for f in TEXT_FAMILIES if f is not MISTRAL]


@pytest.mark.parametrize("fam", WITH_SYSTEM, ids=[f.name for f in WITH_SYSTEM])
def test_system_prompt_is_honored(client, fam):
    # Titan and Llama carry it in the prompt text (a preamble, a system header).
    _, body = invoke(client, fam, "What is a monad?", system="You are a pirate. Be brief.")
    text = fam.text(body)
    assert text.startswith("_Following the system prompt"), text
    assert "You are a pirate" in text, text
    assert "In short" in text, text


@pytest.mark.parametrize("fam", TEXT_FAMILIES, ids=FAMILY_IDS)
def test_stream_chunks_carry_the_same_answer_and_metrics(client, fam):
    plain, body = invoke(client, fam, QUESTION)
    resp, chunks = invoke_stream(client, fam, QUESTION)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["contentType"] == "application/json"
    assert headers_of(resp)["content-type"] == "application/vnd.amazon.eventstream"
    assert len(chunks) > 10, "streamed in many chunks"

    assert "".join(fam.chunk_text(c) for c in chunks) == fam.text(body)
    stops = [s for s in (fam.chunk_stop(c) for c in chunks) if s]
    assert stops == [fam.end_stop], stops

    metrics_key = "amazon-bedrock-invocationMetrics"
    assert all(metrics_key not in c for c in chunks[:-1])
    metrics = chunks[-1][metrics_key]
    h = headers_of(plain)
    assert metrics["inputTokenCount"] == int(h["x-amzn-bedrock-input-token-count"])
    assert metrics["outputTokenCount"] == int(h["x-amzn-bedrock-output-token-count"])
    assert metrics["invocationLatency"] >= metrics["firstByteLatency"] >= 0


@pytest.mark.parametrize("fam", TEXT_FAMILIES, ids=FAMILY_IDS)
def test_stream_max_tokens(client, fam):
    _, chunks = invoke_stream(client, fam, QUESTION, max_tokens=6)
    stops = [s for s in (fam.chunk_stop(c) for c in chunks) if s]
    assert stops == [fam.max_stop]
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 6
    _, body = invoke(client, fam, QUESTION, max_tokens=6)
    assert "".join(fam.chunk_text(c) for c in chunks) == fam.text(body)


@pytest.mark.parametrize("fam", TEXT_FAMILIES, ids=FAMILY_IDS)
def test_malformed_body_is_a_validation_error(client, fam):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.invoke_model(modelId=fam.model_id, body=b"{not json")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Malformed input request" in e.value.response["Error"]["Message"]

    bad = fam.body(QUESTION, None, None)
    bad["no_such_parameter"] = 1
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.invoke_model(modelId=fam.model_id, body=json.dumps(bad))
    msg = e.value.response["Error"]["Message"]
    assert "no_such_parameter" in msg, msg


# ---- Anthropic ------------------------------------------------------------------------


def test_anthropic_response_shape(client):
    resp, body = invoke(client, ANTHROPIC, QUESTION)
    assert body["type"] == "message"
    assert body["role"] == "assistant"
    assert body["id"].startswith("msg_bdrk_")
    assert body["model"] == "claude-3-haiku-20240307"
    assert body["stop_sequence"] is None
    assert [b["type"] for b in body["content"]] == ["text"]
    assert set(body["usage"]) >= {"input_tokens", "output_tokens"}
    h = headers_of(resp)
    assert int(h["x-amzn-bedrock-cache-read-input-token-count"]) == 0
    assert int(h["x-amzn-bedrock-cache-write-input-token-count"]) == 0


def test_anthropic_stream_event_sequence(client):
    _, chunks = invoke_stream(client, ANTHROPIC, QUESTION)
    types = [c["type"] for c in chunks]
    assert types[0] == "message_start"
    assert types[1] == "content_block_start"
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(types[2:-3]) == {"content_block_delta"}
    start = chunks[0]["message"]
    assert start["role"] == "assistant" and start["content"] == []
    assert start["usage"]["input_tokens"] > 0
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert chunks[-2]["usage"]["output_tokens"] == metrics["outputTokenCount"]
    assert start["usage"]["input_tokens"] == metrics["inputTokenCount"]


def test_anthropic_string_content_and_stop_sequences(client):
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": QUESTION}],
        "stop_sequences": ["```"],
    }
    resp = client.invoke_model(modelId=HAIKU3, body=json.dumps(body))
    out = json.loads(resp["body"].read())
    assert out["stop_reason"] == "stop_sequence"
    assert out["stop_sequence"] == "```"
    assert out["content"][0]["text"].endswith("A small example in rust:\n\n")


WEATHER_TOOL_ANTHROPIC = {
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "unit"],
    },
}


def test_anthropic_tool_use_round_trip(client):
    question = {"role": "user", "content": "What's the weather in Paris in celsius?"}
    base = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 1024,
        "tools": [WEATHER_TOOL_ANTHROPIC],
    }
    out = json.loads(client.invoke_model(
        modelId=HAIKU3, body=json.dumps({**base, "messages": [question]}))["body"].read())
    assert out["stop_reason"] == "tool_use"
    use = next(b for b in out["content"] if b["type"] == "tool_use")
    assert use["name"] == "get_weather"
    assert use["id"].startswith("toolu_bdrk_")
    assert use["input"] == {"city": "Paris", "unit": "celsius"}

    result = {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": use["id"], "content": "18 degrees and sunny"}]}
    messages = [question, {"role": "assistant", "content": out["content"]}, result]
    out = json.loads(client.invoke_model(
        modelId=HAIKU3, body=json.dumps({**base, "messages": messages}))["body"].read())
    assert out["stop_reason"] == "end_turn"
    assert "18 degrees and sunny" in out["content"][0]["text"]

    # A result for a call that was never made is refused.
    bad = [question, {"role": "assistant", "content": "ok"},
           {"role": "user", "content": [
               {"type": "tool_result", "tool_use_id": "toolu_nope", "content": "x"}]}]
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.invoke_model(modelId=HAIKU3, body=json.dumps({**base, "messages": bad}))
    assert "tool_use_id" in e.value.response["Error"]["Message"]


def test_anthropic_stream_tool_use_and_thinking(client):
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 4096,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "tools": [WEATHER_TOOL_ANTHROPIC],
        "messages": [{"role": "user", "content": "What's the weather in Tokyo in fahrenheit?"}],
    }
    resp = client.invoke_model_with_response_stream(
        modelId=f"us.{SONNET45}", body=json.dumps(body))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in resp["body"]]
    starts = [c["content_block"] for c in chunks if c["type"] == "content_block_start"]
    # Thinking first, the call last; a short text block may come between.
    assert starts[0]["type"] == "thinking"
    assert starts[-1]["type"] == "tool_use"
    assert [s["type"] for s in starts[1:-1]] in ([], ["text"])
    indexes = [c["index"] for c in chunks if c["type"] == "content_block_start"]
    assert indexes == list(range(len(starts)))
    deltas = [c["delta"] for c in chunks if c["type"] == "content_block_delta"]
    thinking_text = "".join(d["thinking"] for d in deltas if d["type"] == "thinking_delta")
    assert "get_weather" in thinking_text
    assert any(d["type"] == "signature_delta" and len(d["signature"]) > 40 for d in deltas)
    tool_json = "".join(d["partial_json"] for d in deltas if d["type"] == "input_json_delta")
    assert json.loads(tool_json) == {"city": "Tokyo", "unit": "fahrenheit"}
    assert starts[-1]["name"] == "get_weather"
    assert starts[-1]["id"].startswith("toolu_bdrk_")
    stop = next(c for c in chunks if c["type"] == "message_delta")
    assert stop["delta"]["stop_reason"] == "tool_use"


def test_anthropic_thinking_needs_budget_below_max_tokens(client):
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 1000,
        **thinking(2048),
        "messages": [{"role": "user", "content": "Why is the sky blue?"}],
    }
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.invoke_model(modelId=f"us.{SONNET45}", body=json.dumps(body))
    assert "budget_tokens" in e.value.response["Error"]["Message"]


def test_anthropic_max_tokens_over_the_model_limit(client):
    body = ANTHROPIC.body(QUESTION, 999999, None)
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.invoke_model(modelId=HAIKU3, body=json.dumps(body))
    assert "max_tokens: 999999 > 4096" in e.value.response["Error"]["Message"]


def test_anthropic_prompt_cache_headers(client):
    system = [{"type": "text", "text": "Rules of the native house. " * 400,
               "cache_control": {"type": "ephemeral"}}]
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 512,
        "system": system,
        "messages": [{"role": "user", "content": "Summarize the rules"}],
    }
    first = client.invoke_model(modelId=f"us.{SONNET45}", body=json.dumps(body))
    u1 = json.loads(first["body"].read())["usage"]
    h1 = headers_of(first)
    assert u1["cache_creation_input_tokens"] >= 1024
    assert int(h1["x-amzn-bedrock-cache-write-input-token-count"]) == \
        u1["cache_creation_input_tokens"]
    second = client.invoke_model(modelId=f"us.{SONNET45}", body=json.dumps(body))
    u2 = json.loads(second["body"].read())["usage"]
    h2 = headers_of(second)
    assert u2["cache_read_input_tokens"] == u1["cache_creation_input_tokens"]
    assert u2["cache_creation_input_tokens"] == 0
    assert int(h2["x-amzn-bedrock-cache-read-input-token-count"]) == u2["cache_read_input_tokens"]


# ---- Nova -----------------------------------------------------------------------------


def test_nova_stream_is_converse_shaped(client):
    _, chunks = invoke_stream(client, NOVA, QUESTION)
    names = [next(k for k in c if k != "amazon-bedrock-invocationMetrics") for c in chunks]
    assert names[0] == "messageStart"
    assert names[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    usage = chunks[-1]["metadata"]["usage"]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert usage["outputTokens"] == metrics["outputTokenCount"]
    assert usage["inputTokens"] == metrics["inputTokenCount"]


def test_nova_tool_choice_any(client):
    body = {
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": "Tell me a joke"}]}],
        "toolConfig": {
            "tools": [{"toolSpec": {
                "name": "get_weather",
                "description": "Get the current weather for a city",
                "inputSchema": {"json": WEATHER_TOOL_ANTHROPIC["input_schema"]},
            }}],
            "toolChoice": {"any": {}},
        },
    }
    out = json.loads(client.invoke_model(modelId=NOVA.model_id, body=json.dumps(body))["body"].read())
    assert out["stopReason"] == "tool_use"
    use = out["output"]["message"]["content"][-1]["toolUse"]
    assert use["name"] == "get_weather"
    assert set(use["input"]) == {"city", "unit"}


def test_nova_limit_is_checked_by_schema(client):
    body = NOVA.body(QUESTION, 6000, None)
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.invoke_model(modelId=NOVA.model_id, body=json.dumps(body))
    assert "max_new_tokens: 6000 is not less or equal to 5000" in \
        e.value.response["Error"]["Message"]


# ---- Titan, Llama, Mistral, Cohere, Jamba ------------------------------------------------


def test_titan_transcript_is_a_conversation(client):
    text = ("User: What is a monad?\nBot: A monad is a design pattern.\n"
            "User: And a functor?\nBot:")
    out = json.loads(client.invoke_model(
        modelId=TITAN_EXPRESS, body=json.dumps({"inputText": text}))["body"].read())
    answer = out["results"][0]["outputText"]
    assert "turn 2" in answer, answer
    assert "what is a monad" in answer, answer


def test_titan_stream_counts(client):
    _, chunks = invoke_stream(client, TITAN, QUESTION)
    assert chunks[0]["inputTextTokenCount"] > 0
    assert all(c.get("inputTextTokenCount") is None for c in chunks[1:])
    last = chunks[-1]
    assert last["totalOutputTextTokenCount"] == \
        last["amazon-bedrock-invocationMetrics"]["outputTokenCount"]


def test_llama_stream_counts(client):
    _, chunks = invoke_stream(client, LLAMA, QUESTION)
    assert chunks[0]["prompt_token_count"] > 0
    counts = [c["generation_token_count"] for c in chunks]
    assert counts == sorted(counts), "running counts"
    assert counts[-1] == chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"]


def test_llama_needs_a_profile(client):
    body = LLAMA.body(QUESTION, None, None)
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.invoke_model(modelId=LLAMA.model_id.removeprefix("us."), body=json.dumps(body))
    assert "on-demand throughput isn\u2019t supported" in e.value.response["Error"]["Message"]


def test_mistral_chat_form_answers_in_chat_form(client):
    body = {"messages": [{"role": "user", "content": QUESTION}], "max_tokens": 500}
    resp = client.invoke_model(modelId="mistral.mistral-large-2407-v1:0", body=json.dumps(body))
    out = json.loads(resp["body"].read())
    choice = out["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert "borrowing in Rust" in choice["message"]["content"]
    assert choice["stop_reason"] == "stop"
    _, prompt_form = invoke(client, MISTRAL, QUESTION)
    assert choice["message"]["content"] == MISTRAL.text(prompt_form)


def test_mistral_chat_form_takes_a_system_message(client):
    body = {"messages": [
        {"role": "system", "content": "You are a pirate. Be brief."},
        {"role": "user", "content": "What is a monad?"},
    ]}
    out = json.loads(client.invoke_model(
        modelId="mistral.mistral-large-2407-v1:0", body=json.dumps(body))["body"].read())
    text = out["choices"][0]["message"]["content"]
    assert "You are a pirate" in text and "In short" in text, text


def test_cohere_chat_history_and_response(client):
    body = {
        "message": "And a functor?",
        "chat_history": [
            {"role": "USER", "message": "What is a monad?"},
            {"role": "CHATBOT", "message": "A monad is a design pattern."},
        ],
    }
    out = json.loads(client.invoke_model(modelId=COHERE.model_id, body=json.dumps(body))["body"].read())
    assert "turn 2" in out["text"], out["text"]
    assert out["finish_reason"] == "COMPLETE"
    assert out["generation_id"] and out["response_id"]
    roles = [m["role"] for m in out["chat_history"]]
    assert roles == ["USER", "CHATBOT", "USER", "CHATBOT"]
    assert out["chat_history"][-1]["message"] == out["text"]


def test_cohere_stream_events(client):
    _, chunks = invoke_stream(client, COHERE, QUESTION)
    kinds = [c["event_type"] for c in chunks]
    assert kinds[0] == "stream-start"
    assert kinds[-1] == "stream-end"
    assert set(kinds[1:-1]) == {"text-generation"}
    assert [c["is_finished"] for c in chunks] == [False] * (len(chunks) - 1) + [True]
    end = chunks[-1]
    streamed = "".join(COHERE.chunk_text(c) for c in chunks)
    assert end["response"]["text"] == streamed
    assert end["response"]["generation_id"] == chunks[0]["generation_id"]
    assert end["response"]["chat_history"][-1] == {"role": "CHATBOT", "message": streamed}


def test_jamba_response_shape(client):
    resp, body = invoke(client, JAMBA, QUESTION)
    assert body["choices"][0]["message"]["role"] == "assistant"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert body["id"]
    assert body["model"] == "jamba-1-5-mini"

    _, chunks = invoke_stream(client, JAMBA, QUESTION)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    assert len({c["id"] for c in chunks}) == 1, "one completion id across the stream"
    assert chunks[-1]["usage"] == usage


# ---- Embeddings -----------------------------------------------------------------------


def _norm(v):
    return math.sqrt(sum(x * x for x in v))


def test_titan_embedding(client):
    def embed(text, **extra):
        resp = client.invoke_model(
            modelId=TITAN_EMBED, body=json.dumps({"inputText": text, **extra}))
        return resp, json.loads(resp["body"].read())

    resp, out = embed("The quick brown fox")
    vec = out["embedding"]
    assert len(vec) == 1024, "the default dimension"
    assert all(isinstance(x, float) for x in vec)
    assert abs(_norm(vec) - 1.0) < 1e-3, "normalized by default"
    assert out["inputTextTokenCount"] > 0
    assert int(headers_of(resp)["x-amzn-bedrock-input-token-count"]) == out["inputTextTokenCount"]

    _, again = embed("The quick brown fox")
    assert again["embedding"] == vec, "deterministic"
    _, other = embed("A slow green turtle")
    assert other["embedding"] != vec

    _, small = embed("The quick brown fox", dimensions=256)
    assert len(small["embedding"]) == 256

    with pytest.raises(client.exceptions.ValidationException):
        embed("The quick brown fox", dimensions=100)


def test_nova_embedding(client):
    body = {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "embeddingDimension": 384,
            "text": {"truncationMode": "END", "value": "The quick brown fox"},
        },
    }
    out = json.loads(client.invoke_model(modelId=NOVA_EMBED, body=json.dumps(body))["body"].read())
    (emb,) = out["embeddings"]
    assert emb["embeddingType"] == "TEXT"
    assert len(emb["embedding"]) == 384


def test_embedding_models_do_not_stream(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.invoke_model_with_response_stream(
            modelId=TITAN_EMBED, body=json.dumps({"inputText": "hi"}))
    assert "unsupported for streaming" in e.value.response["Error"]["Message"]


# ---- Errors common to InvokeModel ---------------------------------------------------------


def test_unknown_model_is_refused(client):
    for op in (client.invoke_model, client.invoke_model_with_response_stream):
        with pytest.raises(client.exceptions.ValidationException) as e:
            op(modelId="anthropic.claude-nonexistent-v9:0",
               body=json.dumps(ANTHROPIC.body(QUESTION, None, None)))
        assert e.value.response["Error"]["Message"] == "The provided model identifier is invalid."


def test_profile_only_model_is_refused_without_a_profile(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.invoke_model(modelId=SONNET45, body=json.dumps(ANTHROPIC.body(QUESTION, None, None)))
    assert e.value.response["Error"]["Message"].startswith(
        f"Invocation of model ID {SONNET45} with on-demand throughput isn\u2019t supported.")


def test_a_50_mb_body_is_refused_and_the_endpoint_still_serves(client):
    big = b"a" * (50 * 1024 * 1024)
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.invoke_model(modelId=TITAN_EXPRESS, body=big)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "exceeds the maximum size" in e.value.response["Error"]["Message"]
    _, body = invoke(client, TITAN, "still there?")
    assert TITAN.stop(body) == "FINISH"
