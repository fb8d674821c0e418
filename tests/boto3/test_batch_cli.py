"""`bedrock-tui batch submit --wait`, `get`, `list` and `download` against the endpoint,
seen from boto3: the job the CLI submitted is the one boto3's `bedrock` client gets and
lists, with the same members, and the files the CLI downloads are the objects boto3
reads from S3."""

import json
import subprocess
from datetime import datetime

from support import HAIKU3, binary, isolated_env
# This module shares the batch endpoint, its clients and its bucket.
from test_batch import BUCKET, ROLE, bedrock, record, s3, server  # noqa: F401

TIMES = ("submitTime", "lastModifiedTime", "endTime", "jobExpirationTime")


def batch_cli(server, tmp_path, *args):
    out = subprocess.run(
        [str(binary()), "batch", *args, "--endpoint-url", server.url, "--region", "us-east-1"],
        env=isolated_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out


def as_boto3(job):
    """A job of the CLI's JSON with its ISO 8601 times parsed, as boto3 returns them."""
    return {k: datetime.fromisoformat(v) if k in TIMES else v for k, v in job.items()}


def test_a_submitted_job_is_the_one_boto3_sees_and_downloads_as_s3_has_it(
        bedrock, s3, server, tmp_path):  # noqa: F811
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps(record(i)) + "\n" for i in range(100)))
    out = batch_cli(
        server, tmp_path, "submit", str(records), "--model", HAIKU3, "--role-arn", ROLE,
        "--input-s3", f"s3://{BUCKET}/cli", "--output", f"s3://{BUCKET}/cli-out",
        "--name", "cli-eval", "--wait", "--poll-interval", "0.1",
    )
    arn = out.stdout.strip()
    job_id = arn.rsplit("/", 1)[1]
    assert f"{job_id} completed in" in out.stderr, out.stderr

    seen = bedrock.get_model_invocation_job(jobIdentifier=arn)
    seen.pop("ResponseMetadata")
    assert seen["status"] == "Completed" and seen["jobName"] == "cli-eval", seen
    assert seen["modelId"] == HAIKU3 and seen["roleArn"] == ROLE
    assert seen["inputDataConfig"]["s3InputDataConfig"]["s3Uri"] == \
        f"s3://{BUCKET}/cli/cli-eval.jsonl"
    assert seen["processedRecordCount"] == seen["successRecordCount"] == 100
    uploaded = s3.get_object(Bucket=BUCKET, Key="cli/cli-eval.jsonl")["Body"].read().decode()
    assert [json.loads(line) for line in uploaded.splitlines()] == \
        [record(i) for i in range(100)]

    # get --json is GetModelInvocationJob's response, member for member (the CLI's
    # times are to the second).
    got = as_boto3(json.loads(batch_cli(server, tmp_path, "get", job_id, "--json").stdout))
    seen_s = {k: v.replace(microsecond=0) if k in TIMES else v for k, v in seen.items()}
    assert got == {k: v for k, v in seen_s.items() if k != "clientRequestToken"}

    # list --json --name: the summaries boto3 lists with nameContains.
    listed = json.loads(
        batch_cli(server, tmp_path, "list", "--json", "--name", "cli-eval").stdout)
    summaries = bedrock.list_model_invocation_jobs(nameContains="cli-eval")
    assert [j["jobArn"] for j in listed["invocationJobSummaries"]] == \
        [j["jobArn"] for j in summaries["invocationJobSummaries"]] == [arn]

    # download: the objects of the job's folder, byte for byte.
    dest = tmp_path / "dl"
    out = batch_cli(server, tmp_path, "download", job_id, str(dest))
    written = out.stdout.splitlines()
    # In key order, as S3 lists them.
    assert written == [str(dest / job_id / "cli-eval.jsonl.out"),
                       str(dest / job_id / "manifest.json.out")], written
    for name in ("cli-eval.jsonl.out", "manifest.json.out"):
        body = s3.get_object(Bucket=BUCKET, Key=f"cli-out/{job_id}/{name}")["Body"].read()
        assert (dest / job_id / name).read_bytes() == body, name
    manifest = json.loads((dest / job_id / "manifest.json.out").read_text())
    # The pricing file has no batch price for Claude 3 Haiku, and says so rather than
    # guess one.
    assert (f"{job_id}: 100 records, 100 succeeded, 0 failed; "
            f"{manifest['inputTokenCount']} input and {manifest['outputTokenCount']} output "
            f"tokens, no batch price known for {HAIKU3}") in out.stderr, out.stderr
