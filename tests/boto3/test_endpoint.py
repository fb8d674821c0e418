"""The endpoint as a process and as a service any boto3 program can be pointed at: the
AWS_ENDPOINT_URL_BEDROCK_RUNTIME variable, the request log, and a clean stop."""

import json
import signal

import boto3
import pytest
from botocore.config import Config

from support import ACCESS_KEY, HAIKU3, TITAN_EXPRESS, make_client, start_server, stop_server, text_of, user


def test_endpoint_from_the_service_specific_environment_variable(endpoint_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", endpoint_url)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    session = boto3.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key="x", region_name="us-east-1")
    c = session.client("bedrock-runtime", config=Config(retries={"max_attempts": 1}))
    assert c.meta.endpoint_url == endpoint_url
    resp = c.converse(modelId=HAIKU3, messages=[user("Hello from the environment")])
    assert "hello from the environment" in text_of(resp)
    assert resp["stopReason"] == "end_turn"


def test_temporary_credentials_with_a_session_token_are_accepted(endpoint_url):
    c = boto3.client(
        "bedrock-runtime",
        region_name="us-west-2",
        endpoint_url=endpoint_url,
        aws_access_key_id="ASIATEMPORARY",
        aws_secret_access_key="y",
        aws_session_token="token-" + "z" * 300,
        config=Config(retries={"max_attempts": 1}),
    )
    resp = c.converse(modelId=HAIKU3, messages=[user("hello with a session token")])
    assert resp["stopReason"] == "end_turn"


def test_request_log_records_operations_without_credentials(tmp_path):
    srv = start_server(tmp_path / "log")
    try:
        c = make_client(srv.url)
        c.converse(modelId=HAIKU3, messages=[user("logged")])
        with pytest.raises(c.exceptions.ValidationException):
            c.converse(modelId="nope", messages=[user("x")])
        c.invoke_model(modelId=TITAN_EXPRESS, body=json.dumps({"inputText": "logged too"}))
        log = srv.request_log()
        assert [e["operation"] for e in log] == ["Converse", "Converse", "InvokeModel"]
        assert log[0]["modelId"] == HAIKU3
        assert log[0]["status"] == 200
        assert log[1]["error"] == "ValidationException"
        assert log[1]["status"] == 400
        assert log[2]["modelId"] == TITAN_EXPRESS
        assert len({e["requestId"] for e in log}) == 3
    finally:
        assert stop_server(srv) == 0
    on_disk = (tmp_path / "log" / "requests.jsonl").read_text()
    lines = [json.loads(line) for line in on_disk.splitlines()]
    assert [e["operation"] for e in lines] == ["Converse", "Converse", "InvokeModel"]
    assert ACCESS_KEY not in on_disk
    assert ACCESS_KEY not in json.dumps(log)


def test_sigint_also_stops_cleanly(tmp_path):
    srv = start_server(tmp_path / "int")
    c = make_client(srv.url)
    assert c.converse(modelId=HAIKU3, messages=[user("hi")])["stopReason"] == "end_turn"
    srv.proc.send_signal(signal.SIGINT)
    assert srv.proc.wait(timeout=30) == 0
