"""`bedrock-tui guardrail apply --json` against the endpoint: its JSON is what boto3's
apply_guardrail returns for the same text, source and output scope, and its exit code
says whether the guardrail intervened."""

import json
import subprocess

import pytest

from support import binary, isolated_env

CASES = [
    ("My SSN is 123-45-6789", "INPUT", False),
    ("Should I buy Apple stock?", "INPUT", True),
    ("What is the capital of France?", "OUTPUT", False),
    ("What is the capital of France?", "INPUT", True),
]


def apply_cli(endpoint_url, tmp_path, *args):
    return subprocess.run(
        [str(binary()), "guardrail", "apply", "--endpoint-url", endpoint_url,
         "--region", "us-east-1", *args],
        env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60,
    )


def without_latency(response):
    """The response with the processing latency, which differs between calls, left out."""
    for a in response.get("assessments", []):
        a.get("invocationMetrics", {}).pop("guardrailProcessingLatency", None)
    response.pop("ResponseMetadata", None)
    return response


@pytest.mark.parametrize("text,source,full", CASES)
def test_apply_json_is_boto3_apply_guardrail(client, endpoint_url, tmp_path, text, source, full):
    kwargs = {"outputScope": "FULL"} if full else {}
    expected = client.apply_guardrail(
        guardrailIdentifier="demo", guardrailVersion="1", source=source,
        content=[{"text": {"text": text}}], **kwargs,
    )
    args = ["--id", "demo:1", "--source", source.lower(), "--json", text]
    if full:
        args.insert(0, "--full")
    out = apply_cli(endpoint_url, tmp_path, *args)
    assert out.returncode == (2 if expected["action"] == "GUARDRAIL_INTERVENED" else 0), out.stderr
    assert without_latency(json.loads(out.stdout)) == without_latency(expected)


def test_an_unknown_guardrail_exits_1(endpoint_url, tmp_path):
    out = apply_cli(endpoint_url, tmp_path, "--id", "nosuchguardrail", "hello")
    assert out.returncode == 1
    assert out.stdout == ""
    assert "Guardrail nosuchguardrail version DRAFT not found." in out.stderr
