"""ConverseStream through boto3's event-stream parser: event order, the streamed text
equals the Converse text, usage in the metadata event, tool use and reasoning deltas."""

import json

import pytest

from support import HAIKU3, LLAMA31_8B, SONNET45, WEATHER_TOOL, text_of, thinking, user


def collect(resp):
    """Folds a ConverseStream response into its parts and the list of event names."""
    out = {
        "text": {}, "reasoning": {}, "signature": {}, "tool": {}, "tool_start": {},
        "stop": None, "metadata": None, "events": [], "stops": [],
    }
    for ev in resp["stream"]:
        assert len(ev) == 1, ev
        (name, body), = ev.items()
        out["events"].append(name)
        if name == "messageStart":
            assert body == {"role": "assistant"}
        elif name == "contentBlockStart":
            out["tool_start"][body["contentBlockIndex"]] = body["start"]["toolUse"]
        elif name == "contentBlockDelta":
            i, d = body["contentBlockIndex"], body["delta"]
            if "text" in d:
                out["text"][i] = out["text"].get(i, "") + d["text"]
            elif "toolUse" in d:
                out["tool"][i] = out["tool"].get(i, "") + d["toolUse"]["input"]
            elif "reasoningContent" in d:
                r = d["reasoningContent"]
                if "text" in r:
                    out["reasoning"][i] = out["reasoning"].get(i, "") + r["text"]
                else:
                    out["signature"][i] = r["signature"]
            else:
                pytest.fail(f"unexpected delta {d}")
        elif name == "contentBlockStop":
            out["stops"].append(body["contentBlockIndex"])
        elif name == "messageStop":
            out["stop"] = body["stopReason"]
        elif name == "metadata":
            out["metadata"] = body
        else:
            pytest.fail(f"unexpected event {name}: {body}")
    return out


def test_event_order_and_text_equal_to_converse(client):
    q = [user("Compare tabs vs spaces")]
    whole = client.converse(modelId=HAIKU3, messages=q)
    resp = client.converse_stream(modelId=HAIKU3, messages=q)
    headers = resp["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = collect(resp)
    events = got["events"]
    assert events[0] == "messageStart"
    assert events[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert set(events[1:-3]) == {"contentBlockDelta"}
    assert events.count("contentBlockDelta") > 20, "streamed in many small pieces"
    assert got["stops"] == [0]
    assert list(got["text"]) == [0]
    assert got["text"][0] == text_of(whole)
    assert "| Term |" in got["text"][0], "a comparison gets a table"
    assert got["stop"] == "end_turn" == whole["stopReason"]


def test_usage_and_metrics_in_metadata(client):
    q = [user("What is a closure?")]
    whole = client.converse(modelId=HAIKU3, messages=q)
    meta = collect(client.converse_stream(modelId=HAIKU3, messages=q))["metadata"]
    assert meta["usage"] == whole["usage"]
    assert meta["usage"]["totalTokens"] == (
        meta["usage"]["inputTokens"] + meta["usage"]["outputTokens"])
    assert isinstance(meta["metrics"]["latencyMs"], int)
    assert meta["metrics"]["latencyMs"] >= 0


def test_stream_max_tokens_and_stop_sequence(client):
    got = collect(client.converse_stream(
        modelId=HAIKU3,
        messages=[user("Explain borrowing in Rust")],
        inferenceConfig={"maxTokens": 7},
    ))
    assert got["stop"] == "max_tokens"
    assert got["metadata"]["usage"]["outputTokens"] == 7
    assert got["events"].count("contentBlockDelta") <= 7

    got = collect(client.converse_stream(
        modelId=HAIKU3,
        messages=[user("Explain borrowing in Rust")],
        inferenceConfig={"stopSequences": ["```"]},
    ))
    assert got["stop"] == "stop_sequence"
    assert got["text"][0].endswith("A small example in rust:\n\n")


def test_stream_tool_use_and_reasoning(client):
    got = collect(client.converse_stream(
        modelId=f"us.{SONNET45}",
        messages=[user("What's the weather in Tokyo in fahrenheit?")],
        toolConfig={"tools": [WEATHER_TOOL]},
        additionalModelRequestFields=thinking(1024),
    ))
    assert got["stop"] == "tool_use"
    # Reasoning comes first, in its own block, closed by a signature.
    assert 0 in got["reasoning"]
    assert "get_weather" in got["reasoning"][0]
    assert len(got["signature"][0]) > 40
    # Then the tool call: a start with its name and id, then its input in pieces.
    (idx, start), = got["tool_start"].items()
    assert idx > 0
    assert start["name"] == "get_weather"
    assert start["toolUseId"].startswith("tooluse_")
    assert json.loads(got["tool"][idx]) == {"city": "Tokyo", "unit": "fahrenheit"}
    assert got["stops"] == sorted(got["stops"])
    assert idx in got["stops"] and 0 in got["stops"]
    assert got["events"][-2:] == ["messageStop", "metadata"]

    # The same request without streaming gives the same call.
    whole = client.converse(
        modelId=f"us.{SONNET45}",
        messages=[user("What's the weather in Tokyo in fahrenheit?")],
        toolConfig={"tools": [WEATHER_TOOL]},
        additionalModelRequestFields=thinking(1024),
    )
    use = next(b["toolUse"] for b in whole["output"]["message"]["content"] if "toolUse" in b)
    assert use["input"] == json.loads(got["tool"][idx])
    assert use["toolUseId"] == start["toolUseId"]
    assert whole["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"][
        "text"] == got["reasoning"][0]


def test_model_without_streaming_tool_use_is_refused(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse_stream(
            modelId=f"us.{LLAMA31_8B}",
            messages=[user("What's the weather in Tokyo?")],
            toolConfig={"tools": [WEATHER_TOOL]},
        )
    assert e.value.response["Error"]["Message"] == (
        "This model doesn't support tool use in streaming mode.")
    # Without tools the same model streams.
    got = collect(client.converse_stream(
        modelId=f"us.{LLAMA31_8B}", messages=[user("What's the weather in Tokyo?")]))
    assert got["stop"] == "end_turn"
    assert got["text"][0]
