"""Async invocations through boto3: StartAsyncInvoke to Completed or Failed, outputs read
with boto3's S3 client from the same base URL, idempotent starts, listing with filters
and the paginator, faults, bad input, and a job that outlives a restart."""

import io
import json
import re
import time
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from boto3.s3.transfer import TransferConfig

from support import (
    HAIKU3,
    NOVA_EMBED,
    make_client,
    make_s3_client,
    start_server,
    stop_server,
)

REEL = "amazon.nova-reel-v1:0"
REEL_11 = "amazon.nova-reel-v1:1"
MARENGO = "twelvelabs.marengo-embed-2-7-v1:0"
ARN = re.compile(r"^arn:aws:bedrock:us-east-1:123456789012:async-invoke/[a-z0-9]{12}$")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("async"), "--async-seconds", "1")
    yield srv
    assert stop_server(srv) == 0


@pytest.fixture(scope="module")
def client(server):
    return make_client(server.url)


@pytest.fixture(scope="module")
def s3(server):
    return make_s3_client(server.url)


def video(text, seconds=6):
    return {
        "taskType": "TEXT_VIDEO",
        "textToVideoParams": {"text": text},
        "videoGenerationConfig": {"durationSeconds": seconds, "fps": 24,
                                  "dimension": "1280x720", "seed": 5},
    }


def start(client, model, model_input, uri, **extra):
    resp = client.start_async_invoke(
        modelId=model, modelInput=model_input,
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": uri}}, **extra)
    return resp["invocationArn"]


def wait(client, arn, timeout=30):
    """Polls GetAsyncInvoke until the job leaves InProgress, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = client.get_async_invoke(invocationArn=arn)
        if got["status"] != "InProgress":
            return got
        assert time.monotonic() < deadline, f"{arn} still in progress"
        time.sleep(0.1)


def inv_id(arn):
    return arn.rsplit("/", 1)[1]


def keys(s3, bucket, prefix):
    resp = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in resp.get("Contents", [])]


def read(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_reel_job_completes_and_writes_its_video(client, s3):
    arn = start(client, REEL, video("A heron over a lake"), "s3://boto-videos/out/")
    assert ARN.match(arn), arn
    first = client.get_async_invoke(invocationArn=arn)
    assert first["status"] == "InProgress"
    assert "endTime" not in first
    done = wait(client, arn)
    assert done["status"] == "Completed"
    assert done["modelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/" + REEL
    assert done["endTime"] >= done["submitTime"]
    assert done["submitTime"].tzinfo is not None
    i = inv_id(arn)
    assert done["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"] == f"s3://boto-videos/out/{i}"
    assert keys(s3, "boto-videos", f"out/{i}/") == [f"out/{i}/manifest.json", f"out/{i}/output.mp4"]
    obj = s3.get_object(Bucket="boto-videos", Key=f"out/{i}/output.mp4")
    assert obj["ContentType"] == "video/mp4"
    body = obj["Body"].read()
    assert body[4:8] == b"ftyp" and b"moov" in body
    manifest = json.loads(read(s3, "boto-videos", f"out/{i}/manifest.json"))
    assert manifest["invocationArn"] == arn


def test_multi_shot_and_failed_reel_jobs(client, s3):
    arn = start(client, REEL_11, {
        "taskType": "MULTI_SHOT_AUTOMATED",
        "multiShotAutomatedParams": {"text": "A documentary about glaciers"},
        "videoGenerationConfig": {"durationSeconds": 12, "fps": 24, "dimension": "1280x720"},
    }, "s3://boto-reels")
    assert wait(client, arn)["status"] == "Completed"
    i = inv_id(arn)
    assert keys(s3, "boto-reels", f"{i}/") == [
        f"{i}/manifest.json", f"{i}/output.mp4", f"{i}/shot_0001.mp4",
        f"{i}/shot_0002.mp4", f"{i}/video-generation-status.json"]
    status = json.loads(read(s3, "boto-reels", f"{i}/video-generation-status.json"))
    assert status["fullVideo"]["status"] == "SUCCESS"
    assert [s["status"] for s in status["shots"]] == ["SUCCESS", "SUCCESS"]

    arn = start(client, REEL_11, video("A storm [[fault:job-fail]]"), "s3://boto-reels/bad")
    done = wait(client, arn)
    assert done["status"] == "Failed"
    assert "[[fault:job-fail]]" in done["failureMessage"]
    i = inv_id(arn)
    assert keys(s3, "boto-reels", f"bad/{i}/") == [f"bad/{i}/video-generation-status.json"]
    failed = json.loads(read(s3, "boto-reels", f"bad/{i}/video-generation-status.json"))
    assert failed["fullVideo"]["status"] == "FAILURE"


def test_embeddings_of_uploaded_text_and_marengo(client, s3):
    s3.create_bucket(Bucket="boto-docs")
    text = "Glaciers carve valleys. " * 100
    s3.put_object(Bucket="boto-docs", Key="notes/glaciers.txt", Body=text.encode())
    arn = start(client, NOVA_EMBED, {
        "taskType": "SEGMENTED_EMBEDDING",
        "segmentedEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "embeddingDimension": 384,
            "text": {"truncationMode": "END",
                     "source": {"s3Location": {"uri": "s3://boto-docs/notes/glaciers.txt"}},
                     "segmentationConfig": {"maxLengthChars": 1000}},
        },
    }, "s3://boto-embeddings")
    assert wait(client, arn)["status"] == "Completed"
    i = inv_id(arn)
    assert keys(s3, "boto-embeddings", f"{i}/") == [
        f"{i}/embedding-text.jsonl", f"{i}/manifest.json", f"{i}/segmented-embedding-result.json"]
    result = json.loads(read(s3, "boto-embeddings", f"{i}/segmented-embedding-result.json"))
    assert result["sourceFileUri"] == "s3://boto-docs/notes/glaciers.txt"
    assert result["embeddingResults"] == [{
        "embeddingType": "TEXT", "status": "SUCCESS",
        "outputFileUri": f"s3://boto-embeddings/{i}/embedding-text.jsonl"}]
    lines = [json.loads(l) for l in read(s3, "boto-embeddings", f"{i}/embedding-text.jsonl").splitlines()]
    assert len(lines) == 3  # 2,400 characters in segments of at most 1,000
    assert [l["segmentMetadata"]["segmentStartCharPosition"] for l in lines][0] == 0
    assert lines[-1]["segmentMetadata"]["segmentEndCharPosition"] == len(text)
    assert all(len(l["embedding"]) == 384 for l in lines)

    arn = start(client, MARENGO, {"inputType": "text", "inputText": "a dog on a beach"}, "s3://boto-marengo")
    assert wait(client, arn)["status"] == "Completed"
    out = json.loads(read(s3, "boto-marengo", f"{inv_id(arn)}/output.json"))
    assert len(out["data"]) == 1 and len(out["data"][0]["embedding"]) == 1024


def test_idempotent_start_and_conflict(client):
    kwargs = dict(clientRequestToken="boto-token-7", modelId=REEL,
                  modelInput=video("A windmill"),
                  outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://boto-idem"}},
                  tags=[{"key": "team", "value": "video"}])
    a = client.start_async_invoke(**kwargs)["invocationArn"]
    b = client.start_async_invoke(**kwargs)["invocationArn"]
    assert a == b
    got = client.get_async_invoke(invocationArn=a)
    assert got["clientRequestToken"] == "boto-token-7"
    with pytest.raises(client.exceptions.ConflictException):
        client.start_async_invoke(**{**kwargs, "modelInput": video("Another windmill")})
    # boto3 fills in a fresh token when none is given.
    assert start(client, REEL, video("A windmill"), "s3://boto-idem") != a


def test_bad_input_and_faults(client):
    with pytest.raises(client.exceptions.ValidationException, match="doesn't support async inference"):
        start(client, HAIKU3, {"x": 1}, "s3://boto-bad")
    with pytest.raises(client.exceptions.ValidationException, match="s3Uri"):
        start(client, REEL, video("ok"), "s3://NO")
    with pytest.raises(client.exceptions.ValidationException, match="durationSeconds"):
        start(client, REEL, video("ok", seconds=9), "s3://boto-bad")
    with pytest.raises(client.exceptions.ValidationException, match="invalid or does not exist"):
        client.get_async_invoke(
            invocationArn="arn:aws:bedrock:us-east-1:123456789012:async-invoke/000000000000")
    with pytest.raises(client.exceptions.ValidationException, match="sortOrder"):
        client.list_async_invokes(sortOrder="Sideways")
    with pytest.raises(client.exceptions.ThrottlingException) as e:
        start(client, REEL, video("A fox [[fault:throttle]]"), "s3://boto-bad")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    with pytest.raises(client.exceptions.InternalServerException):
        start(client, REEL, video("A fox [[fault:internal]]"), "s3://boto-bad")
    listed = client.list_async_invokes()["asyncInvokeSummaries"]
    assert not [s for s in listed if "boto-bad" in s["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]]


def test_listing_filters_sort_and_paginator(server):
    client = make_client(server.url, region="eu-west-1")
    arns = []
    for n in range(5):
        fail = " [[fault:job-fail]]" if n in (1, 2) else ""
        arns.append(start(client, REEL, video(f"Scene {n}{fail}"), "s3://boto-list"))
        time.sleep(0.02)  # distinct submission milliseconds for the time-window filter
    done = {a: wait(client, a) for a in arns}
    newest_first = list(reversed(arns))

    listed = client.list_async_invokes()["asyncInvokeSummaries"]
    assert [s["invocationArn"] for s in listed] == newest_first
    asc = client.list_async_invokes(sortBy="SubmissionTime", sortOrder="Ascending")
    assert [s["invocationArn"] for s in asc["asyncInvokeSummaries"]] == arns

    page = client.list_async_invokes(maxResults=2)
    assert len(page["asyncInvokeSummaries"]) == 2 and "nextToken" in page
    pages = list(client.get_paginator("list_async_invokes").paginate(
        PaginationConfig={"PageSize": 2}))
    assert [len(p["asyncInvokeSummaries"]) for p in pages] == [2, 2, 1]
    assert [s["invocationArn"] for p in pages for s in p["asyncInvokeSummaries"]] == newest_first
    limited = client.get_paginator("list_async_invokes").paginate(
        PaginationConfig={"MaxItems": 3, "PageSize": 2}).build_full_result()
    assert [s["invocationArn"] for s in limited["asyncInvokeSummaries"]] == newest_first[:3]
    assert "NextToken" in limited

    failed = client.list_async_invokes(statusEquals="Failed")["asyncInvokeSummaries"]
    assert [s["invocationArn"] for s in failed] == [arns[2], arns[1]]
    assert all(s["failureMessage"] for s in failed)
    completed = client.list_async_invokes(statusEquals="Completed")["asyncInvokeSummaries"]
    assert len(completed) == 3

    window = client.list_async_invokes(
        submitTimeAfter=done[arns[0]]["submitTime"],
        submitTimeBefore=done[arns[4]]["submitTime"],
        sortOrder="Ascending")["asyncInvokeSummaries"]
    assert [s["invocationArn"] for s in window] == arns[1:4]

    # Other regions see none of these jobs.
    other = make_client(server.url, region="ap-southeast-2")
    assert other.list_async_invokes()["asyncInvokeSummaries"] == []


def test_a_job_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    srv = start_server(data, "--async-seconds", "3")
    try:
        client = make_client(srv.url)
        arn = start(client, REEL, video("Across a restart"), "s3://boto-restart/jobs",
                    clientRequestToken="restart-1")
        submitted = client.get_async_invoke(invocationArn=arn)
        assert submitted["status"] == "InProgress"
    finally:
        assert stop_server(srv) == 0
    assert (data / "async-invokes" / f"{inv_id(arn)}.json").exists()

    srv = start_server(data, "--async-seconds", "3")
    try:
        client = make_client(srv.url)
        done = wait(client, arn)
        assert done["status"] == "Completed"
        assert done["submitTime"] == submitted["submitTime"]
        s3 = make_s3_client(srv.url)
        i = inv_id(arn)
        assert f"jobs/{i}/output.mp4" in keys(s3, "boto-restart", f"jobs/{i}/")
        again = client.start_async_invoke(
            clientRequestToken="restart-1", modelId=REEL, modelInput=video("Across a restart"),
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://boto-restart/jobs"}})
        assert again["invocationArn"] == arn
    finally:
        assert stop_server(srv) == 0
    # The outputs are plain files under the data folder's s3/ tree.
    assert (data / "s3" / "boto-restart" / "jobs" / i / "output.mp4").exists()


def test_s3_api_with_boto3(s3):
    s3.create_bucket(Bucket="boto-plain")
    s3.put_object(Bucket="boto-plain", Key="a/b.txt", Body=b"hello", ContentType="text/plain")
    s3.upload_fileobj(io.BytesIO(b"x" * 200_000), "boto-plain", "big.bin")
    assert read(s3, "boto-plain", "big.bin") == b"x" * 200_000
    # Large enough for a multipart upload in two parts.
    data = bytes(range(256)) * (6 * 1024 * 1024 // 256)
    s3.upload_fileobj(io.BytesIO(data), "boto-plain", "multi.bin", Config=TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
    assert s3.head_object(Bucket="boto-plain", Key="multi.bin")["ContentLength"] == len(data)
    assert read(s3, "boto-plain", "multi.bin") == data
    s3.delete_object(Bucket="boto-plain", Key="multi.bin")
    got = s3.get_object(Bucket="boto-plain", Key="a/b.txt")
    assert got["Body"].read() == b"hello" and got["ContentType"] == "text/plain"
    assert "boto-plain" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    paginator = s3.get_paginator("list_objects_v2")
    listed = [o["Key"] for p in paginator.paginate(Bucket="boto-plain", PaginationConfig={"PageSize": 1})
              for o in p.get("Contents", [])]
    assert listed == ["a/b.txt", "big.bin"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket="boto-plain", Key="nope")
    assert e.value.response["Error"]["Code"] == "NoSuchKey"
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "boto-plain", "Key": "a/b.txt"})
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.read() == b"hello"
    # A SigV4 presigned URL, as from `Config(signature_version="s3v4")`.
    v4 = boto3.client("s3", endpoint_url=s3.meta.endpoint_url, region_name="us-east-1",
                      aws_access_key_id="AKIDV4", aws_secret_access_key="x",
                      config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    url = v4.generate_presigned_url("get_object", Params={"Bucket": "boto-plain", "Key": "a/b.txt"})
    assert "X-Amz-Credential=" in url
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.read() == b"hello"
