"""`bedrock-tui count` against the endpoint: its count of a prompt and system prompt is
what boto3's count_tokens returns for the same Converse request, and a model without
CountTokens gets an estimate that says so."""

import json
import subprocess

from support import HAIKU45, NOVA_LITE, SONNET45, binary, isolated_env, user

PROMPT = "How do I reverse a list in Python? Show two ways."
SYSTEM = "You are a concise assistant for backend engineers."


def count_cli(endpoint_url, tmp_path, *args):
    """Runs `bedrock-tui count --json` with no AWS or user configuration of its own."""
    env = isolated_env(tmp_path)
    out = subprocess.run(
        [str(binary()), "count", "--json", "--endpoint-url", endpoint_url,
         "--region", "us-east-1", *args],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_claude_count_equals_boto3_count_tokens(client, endpoint_url, tmp_path):
    for model in (HAIKU45, SONNET45):
        expected = client.count_tokens(
            modelId=model,
            input={"converse": {"messages": [user(PROMPT)], "system": [{"text": SYSTEM}]}},
        )["inputTokens"]
        got = count_cli(endpoint_url, tmp_path, "--model", model, "--system", SYSTEM, PROMPT)
        assert got["exact"] is True
        assert got["inputTokens"] == expected
        assert got["price"] is not None and got["costUsd"]["min"] > 0


def test_a_nova_count_is_an_estimate(endpoint_url, tmp_path):
    got = count_cli(endpoint_url, tmp_path, "--model", NOVA_LITE, "--system", SYSTEM, PROMPT)
    assert got["exact"] is False
    assert got["inputTokens"] > 0
