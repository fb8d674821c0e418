"""CountTokens through boto3: converse and invokeModel inputs count what the same request
is billed; models without token counting get the service's error."""

import json

import pytest

from support import HAIKU3, HAIKU45, NOVA_LITE, SONNET45, TITAN_EXPRESS, assistant, headers_of, user

HISTORY = [
    user("What is ownership?"),
    assistant("Ownership is..."),
    user("And borrowing?"),
]
SYSTEM = [{"text": "Be helpful."}]


def test_converse_input_count_equals_usage(client):
    counted = client.count_tokens(
        modelId=HAIKU45,
        input={"converse": {"messages": HISTORY, "system": SYSTEM}},
    )
    assert counted["ResponseMetadata"]["HTTPStatusCode"] == 200
    n = counted["inputTokens"]
    assert n > 10
    used = client.converse(modelId=f"us.{HAIKU45}", messages=HISTORY, system=SYSTEM)
    assert used["usage"]["inputTokens"] == n

    shorter = client.count_tokens(
        modelId=HAIKU45, input={"converse": {"messages": HISTORY[:1]}})["inputTokens"]
    assert 0 < shorter < n


def test_counting_accepts_the_bare_id_and_a_profile(client):
    bare = client.count_tokens(
        modelId=SONNET45, input={"converse": {"messages": HISTORY}})["inputTokens"]
    profile = client.count_tokens(
        modelId=f"us.{SONNET45}", input={"converse": {"messages": HISTORY}})["inputTokens"]
    assert bare == profile > 0


def test_invoke_model_input_count_equals_the_usage(client):
    body = json.dumps({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "system": "Be helpful.",
        "messages": [{"role": "user", "content": "What is ownership?"}],
    })
    counted = client.count_tokens(
        modelId=HAIKU45, input={"invokeModel": {"body": body.encode()}})["inputTokens"]
    assert counted > 5
    resp = client.invoke_model(modelId=f"us.{HAIKU45}", body=body)
    out = json.loads(resp["body"].read())
    assert out["usage"]["input_tokens"] == counted
    assert int(headers_of(resp)["x-amzn-bedrock-input-token-count"]) == counted

    via_converse = client.count_tokens(
        modelId=HAIKU45,
        input={"converse": {"messages": [user("What is ownership?")], "system": SYSTEM}},
    )["inputTokens"]
    assert via_converse == counted, "the same conversation counts the same in both forms"


@pytest.mark.parametrize("model", [NOVA_LITE, "meta.llama3-3-70b-instruct-v1:0",
                                   TITAN_EXPRESS, HAIKU3])
def test_models_without_counting_are_refused(client, model):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.count_tokens(modelId=model, input={"converse": {"messages": [user("hi")]}})
    msg = e.value.response["Error"]["Message"]
    assert "doesn't support counting tokens" in msg, msg
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_model_is_refused(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.count_tokens(modelId="anthropic.claude-nonexistent-v9:0",
                            input={"converse": {"messages": [user("hi")]}})
    assert e.value.response["Error"]["Message"] == "The provided model identifier is invalid."
