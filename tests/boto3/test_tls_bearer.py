"""boto3 over HTTPS with a Bedrock API key: `serve-local --tls`, and a client whose
environment holds nothing but the key (AWS_BEARER_TOKEN_BEDROCK), the endpoint's
certificate (AWS_CA_BUNDLE), the endpoint URL and a region.

Each client runs in a subprocess so that its environment cannot leak into other tests
(or theirs into it)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from support import HAIKU3, start_server, stop_server

# Shaped like a Bedrock API key; nothing the endpoint logs or prints may contain it.
TOKEN = "ABSKQmVkcm9ja0FQSUtleS1sb2NhbC10ZXN0OjEyMzQ1Njc4OTBhYmNkZWY="

# The client: a converse with three messages and a converse_stream, printed as JSON.
CLIENT = r"""
import json, sys
import boto3
import botocore.exceptions

model = sys.argv[1]
def msg(role, text):
    return {"role": role, "content": [{"text": text}]}

c = boto3.client("bedrock-runtime")
out = {}
try:
    r = c.converse(modelId=model, messages=[
        msg("user", "Hello over TLS"), msg("assistant", "Hi."), msg("user", "Again")])
    out["converse"] = {
        "stop": r["stopReason"],
        "text": "".join(b.get("text", "") for b in r["output"]["message"]["content"]),
    }
    s = c.converse_stream(modelId=model, messages=[msg("user", "Stream over TLS")])
    events = list(s["stream"])
    out["stream"] = {
        "text": "".join(e["contentBlockDelta"]["delta"].get("text", "")
                        for e in events if "contentBlockDelta" in e),
        "stop": next(e["messageStop"]["stopReason"] for e in events if "messageStop" in e),
    }
except botocore.exceptions.BotoCoreError as e:
    out["error"] = {"type": type(e).__name__, "message": str(e)}
print(json.dumps(out))
"""


def client_env(tmp_path, url: str, ca_bundle=None) -> dict:
    """Only the key, the endpoint, a region and (if given) the CA bundle: no access
    keys, no configuration or credentials file, no instance metadata."""
    empty = tmp_path / "empty"
    empty.write_text("")
    env = {
        "AWS_BEARER_TOKEN_BEDROCK": TOKEN,
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": url,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
        # An SSL failure is retried by default; once is enough to see it.
        "AWS_MAX_ATTEMPTS": "1",
        "HOME": str(tmp_path),
    }
    if ca_bundle is not None:
        env["AWS_CA_BUNDLE"] = str(ca_bundle)
    return env


def run_client(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CLIENT, HAIKU3], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def tls_server(tmp_path):
    # Debug logging, so that a header logged anywhere in the server would show.
    env = {**os.environ, "RUST_LOG": "debug"}
    srv = start_server(tmp_path / "data", "--tls", env=env)
    yield srv
    if srv.proc.poll() is None:
        stop_server(srv)


def test_banner_gives_an_https_url_and_the_certificate_to_trust(tls_server):
    assert tls_server.url.startswith("https://127.0.0.1:")
    assert tls_server.cert.is_file()
    key = tls_server.cert.parent / "key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    assert stop_server(tls_server) == 0
    assert f"export AWS_CA_BUNDLE={tls_server.cert}\n" in tls_server.output()


def test_converse_and_stream_with_only_a_bearer_token_over_https(tls_server, tmp_path):
    out = run_client(client_env(tmp_path, tls_server.url, tls_server.cert))
    assert "error" not in out, out
    assert out["converse"]["stop"] == "end_turn"
    assert out["converse"]["text"]
    assert out["stream"]["stop"] == "end_turn"
    assert out["stream"]["text"]

    log = tls_server.request_log()
    assert [(e["operation"], e["status"], e["auth"], e.get("roles")) for e in log] == [
        ("Converse", 200, "bearer", ["user", "assistant", "user"]),
        ("ConverseStream", 200, "bearer", ["user"]),
    ]
    assert stop_server(tls_server) == 0
    on_disk = (tls_server.data_dir / "requests.jsonl").read_text()
    assert len(on_disk.splitlines()) == 2
    output = tls_server.output()
    assert output.startswith("local Bedrock endpoint listening on https://")
    for text in (on_disk, json.dumps(log), output):
        assert TOKEN not in text
        assert TOKEN[4:24] not in text


def test_without_the_certificate_the_client_refuses_the_endpoint(tls_server, tmp_path):
    out = run_client(client_env(tmp_path, tls_server.url))
    assert out["error"]["type"] == "SSLError", out
    assert "CERTIFICATE_VERIFY_FAILED" in out["error"]["message"]
    assert tls_server.request_log() == []


def test_the_certificate_outlives_a_restart(tmp_path):
    data = tmp_path / "data"
    first = start_server(data, "--tls")
    cert = first.cert.read_bytes()
    assert stop_server(first) == 0
    second = start_server(data, "--tls")
    try:
        assert second.cert.read_bytes() == cert
        out = run_client(client_env(tmp_path, second.url, second.cert))
        assert "error" not in out, out
    finally:
        assert stop_server(second) == 0


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_aws_cli_converses_with_a_bearer_token_over_https(tls_server, tmp_path):
    env = client_env(tmp_path, tls_server.url, tls_server.cert)
    # A version manager's shim (pyenv) finds the real `aws` through these.
    env.update({k: v for k, v in os.environ.items()
                if k in ("PATH", "HOME") or k.startswith("PYENV")})
    messages = json.dumps([{"role": "user", "content": [{"text": "Hello from the CLI"}]}])
    out = subprocess.run(
        ["aws", "bedrock-runtime", "converse", "--model-id", HAIKU3,
         "--messages", messages, "--output", "json"],
        env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0 and "Unable to locate credentials" in out.stderr:
        pytest.skip(f"this AWS CLI does not support Bedrock API keys: {out.stderr.strip()}")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["stopReason"] == "end_turn"
    log = tls_server.request_log()
    assert [(e["operation"], e["auth"]) for e in log] == [("Converse", "bearer")]
    assert stop_server(tls_server) == 0
    assert TOKEN not in tls_server.output()
    assert TOKEN not in (tls_server.data_dir / "requests.jsonl").read_text()
