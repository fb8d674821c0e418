"""Every `[[fault:KIND]]` directive as boto3 sees it: modeled exceptions with their codes
and HTTP statuses on every operation, stalls, exceptions inside an event stream,
dropped connections, and the server-wide fault rate."""

import json
import time

import botocore.exceptions
import pytest
import urllib3.exceptions

from support import (
    HAIKU3,
    HAIKU45,
    TITAN_EXPRESS,
    make_client,
    start_server,
    stop_server,
    text_of,
    user,
)

# kind -> (error code, HTTP status, retried by boto3's legacy retry mode)
ERRORS = {
    "throttle": ("ThrottlingException", 429, True),
    "quota": ("ServiceQuotaExceededException", 400, False),
    "unavailable": ("ServiceUnavailableException", 503, True),
    "internal": ("InternalServerException", 500, True),
    "timeout": ("ModelTimeoutException", 408, False),
    "model-error": ("ModelErrorException", 424, False),
    "validation": ("ValidationException", 400, False),
    "access-denied": ("AccessDeniedException", 403, False),
}

ERROR_TYPE_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"


def titan_body(prompt):
    return json.dumps({"inputText": prompt, "textGenerationConfig": {"maxTokenCount": 200}})


def anthropic_body(prompt):
    return json.dumps({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": prompt}],
    })


def call(client, operation, prompt):
    """Runs `operation` with `prompt` as the last user text; consumes any stream."""
    if operation == "converse":
        return client.converse(modelId=HAIKU3, messages=[user(prompt)])
    if operation == "converse_stream":
        resp = client.converse_stream(modelId=HAIKU3, messages=[user(prompt)])
        return list(resp["stream"])
    if operation == "invoke_model":
        return client.invoke_model(modelId=TITAN_EXPRESS, body=titan_body(prompt))
    if operation == "invoke_model_with_response_stream":
        resp = client.invoke_model_with_response_stream(
            modelId=TITAN_EXPRESS, body=titan_body(prompt))
        return list(resp["body"])
    if operation == "count_tokens":
        return client.count_tokens(
            modelId=HAIKU45, input={"converse": {"messages": [user(prompt)]}})
    raise AssertionError(operation)


OPERATIONS = ["converse", "converse_stream", "invoke_model",
              "invoke_model_with_response_stream", "count_tokens"]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("kind", list(ERRORS))
def test_error_directive_gives_its_modeled_exception(client, kind, operation):
    code, status, retried = ERRORS[kind]
    exc_class = getattr(client.exceptions, code)
    with pytest.raises(exc_class) as e:
        call(client, operation, f"hello [[fault:{kind}]]")
    resp = e.value.response
    assert resp["Error"]["Code"] == code
    assert resp["Error"]["Message"], "every error has a message"
    meta = resp["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == status
    assert meta["RequestId"]
    assert meta["HTTPHeaders"]["x-amzn-requestid"] == meta["RequestId"]
    assert meta["HTTPHeaders"]["x-amzn-errortype"] == f"{code}:{ERROR_TYPE_NAMESPACE}"
    assert meta["HTTPHeaders"]["content-type"] == "application/json"
    # boto3 classifies the error as the real service's: throttles and 5xx are retried.
    assert meta["RetryAttempts"] == (1 if retried else 0), meta
    if kind == "model-error":
        assert resp["originalStatusCode"] == 500
        assert resp["resourceName"]


def test_error_exceptions_are_distinct_classes(client):
    raised = set()
    for kind in ERRORS:
        try:
            client.converse(modelId=HAIKU3, messages=[user(f"x [[fault:{kind}]]")])
        except botocore.exceptions.ClientError as e:
            raised.add(type(e).__name__)
        else:
            pytest.fail(f"{kind} did not raise")
    assert raised == {code for code, _, _ in ERRORS.values()}


def test_unknown_directive_is_a_validation_error(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(modelId=HAIKU3, messages=[user("hi [[fault:melt-down]]")])
    msg = e.value.response["Error"]["Message"]
    assert "Unknown fault directive [[fault:melt-down]]" in msg
    assert "stream-error-N" in msg


def test_directive_only_in_the_last_user_message_counts(client):
    from support import assistant
    resp = client.converse(
        modelId=HAIKU3,
        messages=[user("earlier [[fault:throttle]]"), assistant("ok"), user("now fine")],
    )
    assert resp["stopReason"] == "end_turn"
    assert "[[fault" not in text_of(resp)


def test_stall_delays_the_answer(client):
    start = time.monotonic()
    resp = client.converse(modelId=HAIKU3, messages=[user("slow please [[fault:stall-400]]")])
    elapsed = time.monotonic() - start
    assert elapsed >= 0.4
    assert resp["metrics"]["latencyMs"] >= 400
    assert resp["stopReason"] == "end_turn"
    assert "fault" not in text_of(resp), "the directive is not echoed"

    # Without the directive there is no stall; the endpoint's own latency says so,
    # where a wall clock on a loaded machine could not.
    fast = client.converse(modelId=HAIKU3, messages=[user("slow please")])
    assert fast["metrics"]["latencyMs"] < 400
    assert "slow please" in text_of(resp) and "slow please" in text_of(fast)


def test_stall_delays_the_first_stream_event(client):
    start = time.monotonic()
    resp = client.converse_stream(
        modelId=HAIKU3, messages=[user("slow stream [[fault:stall-300]]")])
    events = list(resp["stream"])
    assert time.monotonic() - start >= 0.3
    assert events[-1]["metadata"]["metrics"]["latencyMs"] >= 300


def test_stream_error_after_n_tokens(client):
    resp = client.converse_stream(
        modelId=HAIKU3, messages=[user("Tell me about streams [[fault:stream-error-5]]")])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200, "the stream starts fine"
    text = ""
    events = []
    with pytest.raises(botocore.exceptions.EventStreamError) as e:
        for ev in resp["stream"]:
            events.append(next(iter(ev)))
            if "contentBlockDelta" in ev:
                text += ev["contentBlockDelta"]["delta"]["text"]
    err = e.value.response["Error"]
    assert err["Code"] == "modelStreamErrorException"
    assert err["Message"] == "The model encountered an error while streaming its response."
    assert events[0] == "messageStart"
    assert "messageStop" not in events and "metadata" not in events
    # Exactly the first 5 output tokens arrived: the same text a 5-token answer has.
    five = client.converse(
        modelId=HAIKU3, messages=[user("Tell me about streams")],
        inferenceConfig={"maxTokens": 5})
    assert five["usage"]["outputTokens"] == 5
    assert text == text_of(five), (text, text_of(five))


def test_stream_error_on_a_native_stream(client):
    resp = client.invoke_model_with_response_stream(
        modelId=TITAN_EXPRESS, body=titan_body("Tell me about streams [[fault:stream-error-4]]"))
    chunks = []
    with pytest.raises(botocore.exceptions.EventStreamError) as e:
        for ev in resp["body"]:
            chunks.append(ev)
    assert e.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert all("chunk" in c for c in chunks)
    assert not any(b"amazon-bedrock-invocationMetrics" in c["chunk"]["bytes"] for c in chunks)


def test_stream_error_on_a_plain_call_is_a_model_error(client):
    with pytest.raises(client.exceptions.ModelErrorException) as e:
        client.converse(modelId=HAIKU3, messages=[user("hi [[fault:stream-error-3]]")])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424


STREAM_BROKEN = (
    urllib3.exceptions.ProtocolError,
    botocore.exceptions.ResponseStreamingError,
    botocore.exceptions.ConnectionClosedError,
)


def test_drop_closes_the_connection_mid_stream(client):
    resp = client.converse_stream(
        modelId=HAIKU3, messages=[user("Tell me about streams [[fault:drop-3]]")])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    deltas = []
    with pytest.raises(STREAM_BROKEN) as e:
        for ev in resp["stream"]:
            if "contentBlockDelta" in ev:
                deltas.append(ev["contentBlockDelta"]["delta"]["text"])
    assert not isinstance(e.value, botocore.exceptions.ClientError), "not a modeled error"
    assert len(deltas) == 3, deltas
    three = client.converse(
        modelId=HAIKU3, messages=[user("Tell me about streams")],
        inferenceConfig={"maxTokens": 3})
    assert "".join(deltas) == text_of(three)


def test_drop_before_the_response_is_a_connection_error(client):
    with pytest.raises(botocore.exceptions.ConnectionClosedError) as e:
        client.converse(modelId=HAIKU3, messages=[user("hi [[fault:drop-0]]")])
    assert "/converse" in str(e.value)
    # The endpoint still serves afterwards.
    assert client.converse(modelId=HAIKU3, messages=[user("still there?")])["stopReason"] \
        == "end_turn"


def test_drop_on_a_native_stream(client):
    resp = client.invoke_model_with_response_stream(
        modelId=TITAN_EXPRESS, body=titan_body("Tell me about streams [[fault:drop-2]]"))
    with pytest.raises(STREAM_BROKEN):
        list(resp["body"])


def test_server_fault_rate_is_repeatable_and_absorbed_by_retries(tmp_path):
    args = ("--fault-rate", "0.3", "--fault-kinds", "throttle", "--fault-seed", "42")
    runs = []
    for i in range(2):
        srv = start_server(tmp_path / f"run{i}", *args)
        try:
            # Count every attempt the server sees: legacy mode with max_attempts=1
            # retries once, so draw from a client with retries fully off.
            c = make_client(srv.url, retries={"total_max_attempts": 1})
            out = []
            for j in range(40):
                try:
                    c.converse(modelId=HAIKU3, messages=[user(f"n{j}")])
                    out.append("ok")
                except c.exceptions.ThrottlingException as e:
                    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 429
                    out.append("throttled")
            runs.append(out)
        finally:
            assert stop_server(srv) == 0
    assert runs[0] == runs[1], "same seed, same faults"
    throttled = runs[0].count("throttled")
    assert 4 <= throttled <= 20, f"{throttled} of 40 throttled at rate 0.3"

    srv = start_server(tmp_path / "retrying", *args)
    try:
        c = make_client(srv.url, retries={"mode": "standard", "max_attempts": 6})
        retries = 0
        for j in range(20):
            resp = c.converse(modelId=HAIKU3, messages=[user(f"n{j}")])
            assert resp["stopReason"] == "end_turn"
            retries += resp["ResponseMetadata"]["RetryAttempts"]
        assert retries >= 1, "some requests were throttled and retried"
    finally:
        assert stop_server(srv) == 0
