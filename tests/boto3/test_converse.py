"""Converse through boto3: answers, determinism, system prompt, history, limits, tools,
reasoning, every identifier form and prompt caching."""

import pytest

from support import (
    HAIKU3,
    SONNET45,
    WEATHER_TOOL,
    assistant,
    make_client,
    text_of,
    thinking,
    user,
)


def test_answer_is_markdown_about_the_question(client):
    resp = client.converse(modelId=HAIKU3, messages=[user("How do I parse JSON in Rust?")])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["output"]["message"]["role"] == "assistant"
    text = text_of(resp)
    assert "parse JSON in Rust" in text
    assert "```rust" in text
    assert "\n1. " in text
    assert resp["stopReason"] == "end_turn"
    usage = resp["usage"]
    assert usage["inputTokens"] > 5
    assert usage["outputTokens"] > 50
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert isinstance(resp["metrics"]["latencyMs"], int)
    assert resp["ResponseMetadata"]["RequestId"]


def test_same_request_same_answer_and_different_request_different_answer(client):
    q = [user("How do I parse JSON in Rust?")]
    a = client.converse(modelId=HAIKU3, messages=q)
    b = client.converse(modelId=HAIKU3, messages=q)
    assert text_of(a) == text_of(b)
    assert a["usage"] == b["usage"]
    assert a["ResponseMetadata"]["RequestId"] != b["ResponseMetadata"]["RequestId"]
    other = client.converse(modelId=HAIKU3, messages=[user("What is a lifetime in Rust?")])
    assert text_of(other) != text_of(a)


def test_system_prompt_shapes_the_answer(client):
    history = [
        user("What is a monad?"),
        assistant("A monad is a design pattern."),
        user("And a functor?"),
    ]
    resp = client.converse(
        modelId=HAIKU3,
        system=[{"text": "You are a pirate. Be brief."}],
        messages=history,
    )
    text = text_of(resp)
    assert text.startswith("_Following the system prompt"), text
    assert "You are a pirate" in text
    assert "In short" in text, "a brief system prompt is honored"

    plain = client.converse(modelId=HAIKU3, messages=history)
    assert "You are a pirate" not in text_of(plain)
    assert plain["usage"]["inputTokens"] < resp["usage"]["inputTokens"], \
        "the system prompt counts as input"


def test_history_is_taken_into_account(client):
    resp = client.converse(
        modelId=HAIKU3,
        messages=[
            user("What is a monad?"),
            assistant("A monad is a design pattern."),
            user("And a functor?"),
        ],
    )
    text = text_of(resp)
    assert "turn 2" in text, text
    assert "earlier you asked about *what is a monad*" in text, text


def test_max_tokens_cuts_the_answer(client):
    resp = client.converse(
        modelId=HAIKU3,
        messages=[user("Explain borrowing in Rust")],
        inferenceConfig={"maxTokens": 7},
    )
    assert resp["stopReason"] == "max_tokens"
    assert resp["usage"]["outputTokens"] == 7
    full = client.converse(modelId=HAIKU3, messages=[user("Explain borrowing in Rust")])
    assert full["stopReason"] == "end_turn"
    assert full["usage"]["outputTokens"] > 7
    assert text_of(full).startswith(text_of(resp))
    assert len(text_of(resp)) < len(text_of(full))


def test_max_tokens_over_the_model_limit_is_refused(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(
            modelId=HAIKU3,
            messages=[user("Explain borrowing in Rust")],
            inferenceConfig={"maxTokens": 999999},
        )
    assert "exceeds the model limit of 4096" in e.value.response["Error"]["Message"]


def test_stop_sequence_cuts_the_answer(client):
    resp = client.converse(
        modelId=HAIKU3,
        messages=[user("Explain borrowing in Rust")],
        inferenceConfig={"stopSequences": ["```"]},
    )
    assert resp["stopReason"] == "stop_sequence"
    text = text_of(resp)
    assert "```" not in text
    assert text.endswith("A small example in rust:\n\n"), repr(text)


def test_tool_use_round_trip(client):
    tools = {"tools": [WEATHER_TOOL]}
    question = user("What's the weather in Paris in celsius?")
    resp = client.converse(modelId=HAIKU3, messages=[question], toolConfig=tools)
    assert resp["stopReason"] == "tool_use"
    msg = resp["output"]["message"]
    uses = [b["toolUse"] for b in msg["content"] if "toolUse" in b]
    assert len(uses) == 1
    call = uses[0]
    assert call["name"] == "get_weather"
    assert call["toolUseId"].startswith("tooluse_")
    assert call["input"] == {"city": "Paris", "unit": "celsius"}

    result = {
        "role": "user",
        "content": [{
            "toolResult": {
                "toolUseId": call["toolUseId"],
                "content": [{"text": "18 degrees and sunny"}],
            }
        }],
    }
    resp = client.converse(
        modelId=HAIKU3, messages=[question, msg, result], toolConfig=tools)
    assert resp["stopReason"] == "end_turn"
    text = text_of(resp)
    assert "`get_weather` tool returned" in text, text
    assert "18 degrees and sunny" in text, text


def test_tool_choice_any_forces_a_call(client):
    forced = client.converse(
        modelId=HAIKU3,
        messages=[user("Tell me a joke")],
        toolConfig={"tools": [WEATHER_TOOL], "toolChoice": {"any": {}}},
    )
    assert forced["stopReason"] == "tool_use"
    names = [b["toolUse"]["name"] for b in forced["output"]["message"]["content"]
             if "toolUse" in b]
    assert names == ["get_weather"]

    auto = client.converse(
        modelId=HAIKU3,
        messages=[user("Tell me a joke")],
        toolConfig={"tools": [WEATHER_TOOL]},
    )
    assert auto["stopReason"] == "end_turn", "auto does not call an unrelated tool"
    assert not any("toolUse" in b for b in auto["output"]["message"]["content"])


def test_reasoning_is_returned_with_a_signature(client):
    resp = client.converse(
        modelId=f"us.{SONNET45}",
        messages=[user("Why is the sky blue?")],
        additionalModelRequestFields=thinking(2048),
        inferenceConfig={"maxTokens": 4096},
    )
    content = resp["output"]["message"]["content"]
    rt = content[0]["reasoningContent"]["reasoningText"]
    assert "sky blue" in rt["text"]
    assert len(rt["signature"]) > 40
    assert any("text" in b for b in content[1:]), "the answer follows the reasoning"


def test_reasoning_budget_must_be_below_max_tokens(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(
            modelId=f"us.{SONNET45}",
            messages=[user("Why is the sky blue?")],
            additionalModelRequestFields=thinking(2048),
            inferenceConfig={"maxTokens": 1000},
        )
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "budget_tokens" in e.value.response["Error"]["Message"]


@pytest.mark.parametrize("model_id", [
    HAIKU3,
    f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU3}",
    f"us.{HAIKU3}",
    f"us.{SONNET45}",
    f"global.{SONNET45}",
    f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET45}",
])
def test_every_identifier_form_answers(client, model_id):
    resp = client.converse(modelId=model_id, messages=[user("hello")])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["stopReason"] == "end_turn"
    assert text_of(resp)


def test_arn_model_id_arrives_whole_through_percent_encoding(client, server):
    # boto3 percent-encodes the ':' and '/' of an ARN in the request path; the
    # endpoint must decode it back to the same identifier.
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET45}"
    client.converse(modelId=arn, messages=[user("which path?")])
    last = server.request_log()[-1]
    assert last["operation"] == "Converse"
    assert last["status"] == 200
    assert last["modelId"] == arn


def test_profile_only_model_without_a_profile_is_refused(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(modelId=SONNET45, messages=[user("hello")])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == (
        f"Invocation of model ID {SONNET45} with on-demand throughput isn\u2019t supported. "
        "Retry your request with the ID or ARN of an inference profile that contains this model."
    )


@pytest.mark.parametrize("bad", [
    "anthropic.claude-nonexistent-v9:0",
    f"eu.{SONNET45}",
    "arn:aws:bedrock:us-east-1:1:provisioned-model/abc",
])
def test_unknown_or_misplaced_model_is_refused(client, bad):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(modelId=bad, messages=[user("hello")])
    assert e.value.response["Error"]["Message"] == "The provided model identifier is invalid."
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_region_comes_from_the_signature(endpoint_url):
    eu = make_client(endpoint_url, region="eu-west-1")
    resp = eu.converse(modelId=f"eu.{SONNET45}", messages=[user("hello")])
    assert resp["stopReason"] == "end_turn"
    with pytest.raises(eu.exceptions.ValidationException):
        eu.converse(modelId=f"us.{SONNET45}", messages=[user("hello")])


def test_prompt_cache_writes_then_reads(client):
    long_system = "Rules of the boto3 house. " * 400

    def send():
        return client.converse(
            modelId=f"us.{SONNET45}",
            system=[{"text": long_system}, {"cachePoint": {"type": "default"}}],
            messages=[user("Summarize the rules")],
        )

    first = send()["usage"]
    assert first["cacheWriteInputTokens"] >= 1024
    assert first["cacheReadInputTokens"] == 0
    second = send()["usage"]
    assert second["cacheReadInputTokens"] == first["cacheWriteInputTokens"]
    assert second["cacheWriteInputTokens"] == 0
    assert second["inputTokens"] == first["inputTokens"]
    assert second["totalTokens"] == (
        second["inputTokens"] + second["outputTokens"] + second["cacheReadInputTokens"])


def test_no_cache_point_no_cache(client):
    resp = client.converse(
        modelId=f"us.{SONNET45}",
        system=[{"text": "Rules of the uncached house. " * 400}],
        messages=[user("Summarize the rules")],
    )
    usage = resp["usage"]
    assert usage.get("cacheWriteInputTokens", 0) == 0
    assert usage.get("cacheReadInputTokens", 0) == 0
    assert usage["inputTokens"] > 1024


def test_bad_input_is_refused_by_the_service(client):
    # The roles must alternate; boto3's own validation does not check this.
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(modelId=HAIKU3, messages=[user("a"), user("b")])
    assert "must alternate" in e.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(modelId=HAIKU3, messages=[assistant("a")])
    assert "must start with a user message" in e.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(modelId=HAIKU3, messages=[user("   ")])
    assert "is blank" in e.value.response["Error"]["Message"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


def test_blobs_sent_by_boto3_are_decoded(client):
    # boto3 base64-encodes `bytes` members; the endpoint must decode them.
    doc = {"document": {"format": "txt", "name": "notes",
                        "source": {"bytes": b"Ferris is the Rust mascot, a crab."}}}
    resp = client.converse(
        modelId=HAIKU3,
        messages=[{"role": "user", "content": [{"text": "Summarize this"}, doc]}],
    )
    text = text_of(resp)
    assert "ferris" in text and "mascot" in text, text

    with_image = client.converse(
        modelId=HAIKU3,
        messages=[{"role": "user", "content": [
            {"text": "What is in this picture?"},
            {"image": {"format": "png", "source": {"bytes": PNG}}},
        ]}],
    )
    without = client.converse(modelId=HAIKU3, messages=[user("What is in this picture?")])
    assert with_image["usage"]["inputTokens"] > without["usage"]["inputTokens"] + 100, \
        "an image costs input tokens"


def test_image_to_a_text_only_model_is_refused(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(
            modelId="amazon.titan-text-express-v1",
            messages=[{"role": "user", "content": [
                {"text": "What is in this picture?"},
                {"image": {"format": "png", "source": {"bytes": PNG}}},
            ]}],
        )
    assert "doesn't support the image content block" in e.value.response["Error"]["Message"]


def test_unknown_guardrail_is_refused(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(
            modelId=HAIKU3,
            messages=[user("hello")],
            guardrailConfig={"guardrailIdentifier": "grmissing", "guardrailVersion": "1"},
        )
    assert e.value.response["Error"]["Message"].endswith("does not exist: grmissing")
