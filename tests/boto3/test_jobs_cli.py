"""`bedrock-tui jobs list --json` and `jobs get --json` against the endpoint: the same
jobs, members and times as boto3's list_async_invokes (every page) and get_async_invoke
return on the same endpoint."""

import json
import subprocess
import time
from datetime import datetime

import pytest

from support import binary, isolated_env
# This module gets an endpoint of its own whose jobs end after one second.
from test_async import client, server  # noqa: F401

REEL = "amazon.nova-reel-v1:0"
MARENGO = "twelvelabs.marengo-embed-2-7-v1:0"
TIMES = ("submitTime", "lastModifiedTime", "endTime")


@pytest.fixture(scope="module")
def arns(client):
    """Four finished jobs: two videos (one failed) and two embeddings."""
    started = []
    for model, model_input in [
        (REEL, {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "A heron"}}),
        (MARENGO, {"inputType": "text", "inputText": "a dog"}),
        (REEL, {"taskType": "TEXT_VIDEO",
                "textToVideoParams": {"text": "A storm [[fault:job-fail]]"}}),
        (MARENGO, {"inputType": "text", "inputText": "a cat"}),
    ]:
        started.append(client.start_async_invoke(
            modelId=model, modelInput=model_input, clientRequestToken=f"cli-{len(started)}",
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://cli-jobs/runs"}},
        )["invocationArn"])
        time.sleep(0.01)
    deadline = time.monotonic() + 30
    while any(client.get_async_invoke(invocationArn=a)["status"] == "InProgress"
              for a in started):
        assert time.monotonic() < deadline, "jobs still in progress after 30 s"
        time.sleep(0.1)
    return started


def jobs_cli(server, tmp_path, *args):
    out = subprocess.run(
        [str(binary()), "jobs", *args, "--endpoint-url", server.url, "--region", "us-east-1"],
        env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def as_boto3(job):
    """A job of the CLI's JSON with its ISO 8601 times parsed, as boto3 returns them."""
    return {k: datetime.fromisoformat(v) if k in TIMES else v for k, v in job.items()}


def boto3_list(client, **kwargs):
    pages = client.get_paginator("list_async_invokes").paginate(
        PaginationConfig={"PageSize": 2}, **kwargs)
    return [s for p in pages for s in p["asyncInvokeSummaries"]]


@pytest.mark.parametrize("status", [None, "Completed", "Failed"])
def test_list_json_is_boto3_list_async_invokes(server, client, arns, tmp_path, status):
    args, kwargs = (["--status", status], {"statusEquals": status}) if status else ([], {})
    cli = jobs_cli(server, tmp_path, "list", "--json", "--page-size", "1", *args)
    expected = boto3_list(client, **kwargs)
    assert [as_boto3(j) for j in cli["asyncInvokeSummaries"]] == expected
    assert len(expected) == {None: 4, "Completed": 3, "Failed": 1}[status]


def test_list_is_newest_first(server, arns, tmp_path):
    cli = jobs_cli(server, tmp_path, "list", "--json")
    assert [j["invocationArn"] for j in cli["asyncInvokeSummaries"]] == arns[::-1]


def test_get_json_is_boto3_get_async_invoke(server, client, arns, tmp_path):
    for arn in arns:
        expected = client.get_async_invoke(invocationArn=arn)
        expected.pop("ResponseMetadata")
        assert as_boto3(jobs_cli(server, tmp_path, "get", arn, "--json")) == expected
    failed = jobs_cli(server, tmp_path, "get", arns[2], "--json")
    assert failed["status"] == "Failed" and "[[fault:job-fail]]" in failed["failureMessage"]
