"""Batch inference through boto3's `bedrock` client: CreateModelInvocationJob over JSONL
written with boto3's S3 client to the endpoint's own S3 store, the job's stages to
Completed, PartiallyCompleted and Stopped, its `.out` files and `manifest.json.out`, the
list filters and paginator, and the service's validation errors; and the on-demand
quotas of `serve-local --rpm/--tpm`."""

import json
import re
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from support import (
    ACCESS_KEY,
    HAIKU3,
    assert_shape,
    make_client,
    make_s3_client,
    start_server,
    stop_server,
    user,
)

ROLE = "arn:aws:iam::123456789012:role/BedrockBatch"
ARN = re.compile(r"^arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/[a-z0-9]{12}$")
TERMINAL = {"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"}
BUCKET = "boto-batch"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("batch"), "--batch-step-ms", "100")
    yield srv
    assert stop_server(srv) == 0


@pytest.fixture(scope="module")
def bedrock(server):
    return boto3.client(
        "bedrock",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def s3(server):
    client = make_s3_client(server.url)
    client.create_bucket(Bucket=BUCKET)
    return client


def record(i, text=None):
    return {"recordId": f"REC{i:08d}", "modelInput": {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": text or f"Summarize call number {i}."}]}],
    }}


def put_jsonl(s3, key, records):
    body = "".join(json.dumps(r) + "\n" for r in records)
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
    return f"s3://{BUCKET}/{key}"


def create(bedrock, name, input_uri, output_uri=f"s3://{BUCKET}/out/", **extra):
    return bedrock.create_model_invocation_job(
        jobName=name, roleArn=ROLE, modelId=HAIKU3,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": input_uri, "s3InputFormat": "JSONL"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": output_uri}},
        **extra,
    )["jobArn"]


def wait(bedrock, arn, timeout=30):
    """Polls GetModelInvocationJob until the job ends; returns it and the statuses seen."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        job = bedrock.get_model_invocation_job(jobIdentifier=arn)
        if not seen or seen[-1] != job["status"]:
            seen.append(job["status"])
        if job["status"] in TERMINAL:
            return job, seen
        assert time.monotonic() < deadline, f"{arn} still {job['status']}"
        time.sleep(0.02)


def job_id(arn):
    return arn.rsplit("/", 1)[1]


def read_lines(s3, key):
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def error_code(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    err = e.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


def test_job_completes_and_writes_outputs_and_manifest(bedrock, s3, server):
    uri = put_jsonl(s3, "in/calls.jsonl", [record(i) for i in range(100)])
    arn = create(bedrock, "calls-summary", uri, timeoutDurationInHours=48)
    assert ARN.match(arn), arn
    job, seen = wait(bedrock, arn)
    assert job["status"] == "Completed", job
    assert seen[0] in ("Submitted", "Validating") and seen[-1] == "Completed", seen
    assert "InProgress" in seen or "Scheduled" in seen, seen
    assert job["jobName"] == "calls-summary" and job["roleArn"] == ROLE
    assert job["modelId"] == HAIKU3
    assert job["timeoutDurationInHours"] == 48
    assert job["endTime"] >= job["submitTime"] and job["lastModifiedTime"] >= job["submitTime"]
    assert (job["jobExpirationTime"] - job["submitTime"]).total_seconds() == 48 * 3600
    assert (job["totalRecordCount"], job["processedRecordCount"],
            job["successRecordCount"], job["errorRecordCount"]) == (100, 100, 100, 0)
    assert job["inputDataConfig"]["s3InputDataConfig"]["s3Uri"] == uri
    # By id as well as by ARN.
    assert bedrock.get_model_invocation_job(jobIdentifier=job_id(arn))["jobArn"] == arn

    i = job_id(arn)
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"out/{i}/")["Contents"]
    assert sorted(o["Key"] for o in listed) == [f"out/{i}/calls.jsonl.out",
                                                f"out/{i}/manifest.json.out"]
    lines = read_lines(s3, f"out/{i}/calls.jsonl.out")
    assert [line["recordId"] for line in lines] == [f"REC{n:08d}" for n in range(100)]
    first = lines[0]
    assert first["modelInput"] == record(0)["modelInput"]
    assert first["modelOutput"]["type"] == "message"
    assert first["modelOutput"]["content"][0]["text"]
    # The answer is what InvokeModel gives the same body.
    runtime = make_client(server.url)
    direct = json.loads(runtime.invoke_model(
        modelId=HAIKU3, body=json.dumps(record(0)["modelInput"]))["body"].read())
    assert first["modelOutput"]["content"] == direct["content"]
    assert first["modelOutput"]["usage"] == direct["usage"]
    manifest = json.loads(s3.get_object(
        Bucket=BUCKET, Key=f"out/{i}/manifest.json.out")["Body"].read())
    assert manifest["totalRecordCount"] == 100
    assert manifest["processedRecordCount"] == 100
    assert manifest["successRecordCount"] == 100 and manifest["errorRecordCount"] == 0
    assert manifest["inputTokenCount"] == sum(
        line["modelOutput"]["usage"]["input_tokens"] for line in lines)
    assert manifest["outputTokenCount"] == sum(
        line["modelOutput"]["usage"]["output_tokens"] for line in lines)

    # The raw response has the service model's shape.
    with urllib.request.urlopen(f"{server.url}/model-invocation-job/{i}", timeout=30) as r:
        raw = json.loads(r.read())
    assert_shape(bedrock, "GetModelInvocationJobResponse", raw)


def test_bad_records_give_a_partially_completed_job(bedrock, s3):
    records = [record(i) for i in range(98)]
    records.append(record(98, "Please [[fault:model-error]]"))
    records.append({"recordId": "NOINPUT0001"})
    put_jsonl(s3, "folder/part-1.jsonl", records[:50])
    put_jsonl(s3, "folder/part-2.jsonl", records[50:])
    s3.put_object(Bucket=BUCKET, Key="folder/readme.txt", Body=b"not an input")
    arn = create(bedrock, "with-bad-records", f"s3://{BUCKET}/folder/")
    job, _ = wait(bedrock, arn)
    assert job["status"] == "PartiallyCompleted", job
    assert job["message"]
    assert (job["successRecordCount"], job["errorRecordCount"]) == (98, 2)
    i = job_id(arn)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(
        Bucket=BUCKET, Prefix=f"out/{i}/")["Contents"])
    assert keys == [f"out/{i}/manifest.json.out", f"out/{i}/part-1.jsonl.out",
                    f"out/{i}/part-2.jsonl.out"]
    lines = read_lines(s3, f"out/{i}/part-2.jsonl.out")
    faulted, missing = lines[-2], lines[-1]
    assert faulted["recordId"] == "REC00000098" and "modelOutput" not in faulted
    assert faulted["error"]["errorCode"] == 424
    assert faulted["error"]["errorMessage"]
    assert missing["recordId"] == "NOINPUT0001" and missing["error"]["errorCode"] == 400
    manifest = json.loads(s3.get_object(
        Bucket=BUCKET, Key=f"out/{i}/manifest.json.out")["Body"].read())
    assert (manifest["successRecordCount"], manifest["errorRecordCount"]) == (98, 2)


def test_a_stopped_job_ends_stopped(bedrock, s3):
    uri = put_jsonl(s3, "in/stop.jsonl", [record(i) for i in range(100)])
    arn = create(bedrock, "to-be-stopped", uri)
    bedrock.stop_model_invocation_job(jobIdentifier=arn)
    assert bedrock.get_model_invocation_job(jobIdentifier=arn)["status"] == "Stopping"
    job, _ = wait(bedrock, arn)
    assert job["status"] == "Stopped"
    code, status, _ = error_code(bedrock.stop_model_invocation_job, jobIdentifier=arn)
    assert (code, status) == ("ValidationException", 400)


def test_list_filters_and_paginator(bedrock, s3):
    uri = put_jsonl(s3, "in/list.jsonl", [record(i) for i in range(100)])
    arns = [create(bedrock, f"listing-{n}", uri) for n in range(3)]
    for arn in arns:
        wait(bedrock, arn)
    named = bedrock.list_model_invocation_jobs(nameContains="listing-")["invocationJobSummaries"]
    assert [j["jobArn"] for j in named] == arns[::-1]
    oldest_first = bedrock.list_model_invocation_jobs(
        nameContains="listing-", sortBy="CreationTime", sortOrder="Ascending")
    assert [j["jobArn"] for j in oldest_first["invocationJobSummaries"]] == arns
    stopped = bedrock.list_model_invocation_jobs(statusEquals="Stopped")["invocationJobSummaries"]
    assert stopped and all(j["status"] == "Stopped" for j in stopped)
    first = bedrock.get_model_invocation_job(jobIdentifier=arns[0])
    after = bedrock.list_model_invocation_jobs(
        nameContains="listing-", submitTimeAfter=first["submitTime"])
    assert arns[0] not in [j["jobArn"] for j in after["invocationJobSummaries"]]
    pages = bedrock.get_paginator("list_model_invocation_jobs").paginate(
        nameContains="listing-", PaginationConfig={"PageSize": 2})
    sizes = [len(p["invocationJobSummaries"]) for p in pages]
    assert sizes == [2, 1]
    code, _, _ = error_code(bedrock.list_model_invocation_jobs, statusEquals="Done")
    assert code == "ValidationException"


def test_idempotent_create(bedrock, s3):
    uri = put_jsonl(s3, "in/idem.jsonl", [record(i) for i in range(100)])
    a = create(bedrock, "idem", uri, clientRequestToken="token-1")
    assert create(bedrock, "idem", uri, clientRequestToken="token-1") == a
    code, status, _ = error_code(
        bedrock.create_model_invocation_job, jobName="idem-other", roleArn=ROLE,
        modelId=HAIKU3, clientRequestToken="token-1",
        inputDataConfig={"s3InputDataConfig": {"s3Uri": uri}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/out/"}})
    assert (code, status) == ("ConflictException", 400)


def test_validation_errors(bedrock, s3):
    good = put_jsonl(s3, "in/valid.jsonl", [record(i) for i in range(100)])
    few = put_jsonl(s3, "in/few.jsonl", [record(i) for i in range(99)])

    def attempt(**change):
        args = dict(jobName="checks", roleArn=ROLE, modelId=HAIKU3,
                    inputDataConfig={"s3InputDataConfig": {"s3Uri": good}},
                    outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/out/"}})
        args.update(change)
        return error_code(bedrock.create_model_invocation_job, **args)

    code, status, message = attempt(inputDataConfig={"s3InputDataConfig": {"s3Uri": few}})
    assert (code, status) == ("ValidationException", 400)
    assert "minimum of 100 records" in message
    code, _, message = attempt(roleArn="arn:aws:iam::123:role/x")
    assert code == "ValidationException" and "roleArn" in message
    code, _, message = attempt(
        inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{BUCKET}/in/nothing.jsonl"}})
    assert code == "ValidationException" and "No JSONL input files" in message
    code, _, message = attempt(timeoutDurationInHours=200)
    assert code == "ValidationException" and "168" in message
    code, _, message = attempt(modelId="amazon.nova-reel-v1:0")
    assert code == "ValidationException" and "batch inference" in message
    code, status, _ = error_code(bedrock.get_model_invocation_job, jobIdentifier="zzzzzzzzzzzz")
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_requests_per_minute_throttle(tmp_path):
    srv = start_server(tmp_path / "rpm", "--rpm", "3", "--quota-window-ms", "1500")
    try:
        client = make_client(srv.url, retries={"max_attempts": 1})
        started = time.monotonic()
        for _ in range(3):
            client.converse(modelId=HAIKU3, messages=[user("hello")])
        with pytest.raises(client.exceptions.ThrottlingException) as e:
            client.converse(modelId=HAIKU3, messages=[user("hello")])
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert e.value.response["Error"]["Message"] == \
            "Too many requests, please wait before trying again."
        # Once the window has passed the first requests, the model answers again.
        while True:
            try:
                client.converse(modelId=HAIKU3, messages=[user("hello")])
                break
            except client.exceptions.ThrottlingException:
                assert time.monotonic() - started < 20
                time.sleep(0.05)
        assert time.monotonic() - started >= 1.5
    finally:
        assert stop_server(srv) == 0


def test_tokens_per_minute_reserve_max_tokens(tmp_path):
    srv = start_server(tmp_path / "tpm", "--tpm", "1000")
    try:
        client = make_client(srv.url, retries={"max_attempts": 1})
        # Input plus 600 reserved fits, and settles to what it used ...
        first = client.converse(modelId=HAIKU3, messages=[user("hi")],
                                inferenceConfig={"maxTokens": 600})
        assert first["usage"]["totalTokens"] < 180
        # ... which leaves room for another 800 within the minute (not so if the first
        # still held its 600).
        client.converse(modelId=HAIKU3, messages=[user("hi")],
                        inferenceConfig={"maxTokens": 800})
        # 1,001 reserved tokens never fit a 1,000-token quota.
        with pytest.raises(client.exceptions.ThrottlingException):
            client.converse(modelId=HAIKU3, messages=[user("hi")],
                            inferenceConfig={"maxTokens": 1001})
        # CountTokens is not counted against the quota.
        client.count_tokens(modelId="anthropic.claude-haiku-4-5-20251001-v1:0",
                            input={"converse": {"messages": [user("hi")]}})
    finally:
        assert stop_server(srv) == 0
