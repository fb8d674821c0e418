#!/usr/bin/env python3
"""Benchmark of `bedrock-tui batch run` against boto3, on the local endpoint paced like
a real model under on-demand quotas (BENCHMARKS.md, "batch run").

Each client gets a fresh `serve-local` (so the quota windows start empty) paced at
--tps tokens/s per stream after --ttft-ms, with --rpm/--tpm quotas, and sends prompt
records asking for --max-tokens output tokens each:

- `batch run`: the records of a JSONL file, --concurrency at the start, told the quotas
  (--rpm/--tpm);
- `batch run` not told them: only its concurrency control (halving on throttles) and
  the SDK's retries keep it under them;
- a boto3 thread pool of the same size (ThreadPoolExecutor, one Converse per record,
  botocore's standard retry mode with its default 3 attempts);
- a sequential boto3 loop, over the first --sequential records only (all of them would
  take hours at these speeds): its rate is what it reached on those.

Throttles are what the endpoint answered with HTTP 429, read from its request log
(--data-dir), so every client is counted the same way.

    python3 scripts/bench_batch_run.py [--records 10000] [--bin target/release/bedrock-tui]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[1]
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
SCENARIOS = ("batch run", "batch run, quotas not given", "boto3 thread pool",
             "boto3 sequential")


def start(exe, data, args):
    data.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [exe, "serve-local", "--addr", "127.0.0.1:0", "--data-dir", str(data),
         "--ttft-ms", str(args.ttft_ms), "--tokens-per-second", str(args.tps),
         "--rpm", str(args.rpm), "--tpm", str(args.tpm)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    m = re.search(r"(https?://127\.0\.0\.1:\d+)\s*$", line)
    if not m:
        proc.kill()
        sys.exit(f"serve-local printed no URL: {line!r}")
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, m.group(1)


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


def throttles(data):
    n = 0
    with open(data / "requests.jsonl") as f:
        for line in f:
            if json.loads(line).get("status") == 429:
                n += 1
    return n


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    e.update({"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent",
              "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})
    return e


def prompt(i):
    return f"Write a short note about record number {i}."


def client(url, pool):
    return boto3.client(
        "bedrock-runtime", region_name="us-east-1", endpoint_url=url,
        aws_access_key_id="AKIDBENCH", aws_secret_access_key="x",
        config=Config(retries={"mode": "standard"}, max_pool_connections=pool,
                      read_timeout=120))


def converse(c, i, max_tokens):
    try:
        c.converse(modelId=MODEL,
                   messages=[{"role": "user", "content": [{"text": prompt(i)}]}],
                   inferenceConfig={"maxTokens": max_tokens})
        return True
    except ClientError:
        return False


def run_batch(exe, tmp, url, args, told=True):
    src = tmp / "in.jsonl"
    with open(src, "w") as f:
        for i in range(args.records):
            f.write(json.dumps({"recordId": f"r{i}", "prompt": prompt(i)}) + "\n")
    out = tmp / "out.jsonl"
    t0 = time.monotonic()
    p = subprocess.run(
        [exe, "batch", "run", str(src), "--out", str(out), "--endpoint-url", url,
         "--region", "us-east-1", "--model", MODEL, "--max-tokens", str(args.max_tokens),
         "--concurrency", str(args.concurrency),
         *(["--rpm", str(args.rpm), "--tpm", str(args.tpm)] if told else [])],
        capture_output=True, text=True, env=env())
    elapsed = time.monotonic() - t0
    ok = sum(1 for line in open(out) if '"error"' not in line)
    summary = p.stderr.strip().splitlines()[-3:]
    return elapsed, ok, summary


def run_pool(url, args):
    c = client(url, args.concurrency)
    t0 = time.monotonic()
    with ThreadPoolExecutor(args.concurrency) as ex:
        results = list(ex.map(lambda i: converse(c, i, args.max_tokens), range(args.records)))
    return time.monotonic() - t0, sum(results)


def run_sequential(url, args):
    c = client(url, 1)
    t0 = time.monotonic()
    ok = sum(converse(c, i, args.max_tokens) for i in range(args.sequential))
    return time.monotonic() - t0, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=str(REPO / "target" / "release" / "bedrock-tui"))
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--sequential", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--tps", type=float, default=200.0)
    ap.add_argument("--ttft-ms", type=int, default=200)
    ap.add_argument("--rpm", type=int, default=3000)
    ap.add_argument("--tpm", type=int, default=300_000)
    ap.add_argument("--only", action="append", choices=SCENARIOS,
                    help="run only this client (repeatable)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for name in args.only or SCENARIOS:
            data = d / re.sub(r"\W+", "-", name)
            proc, url = start(args.bin, data, args)
            try:
                if name.startswith("batch run"):
                    told = name == "batch run"
                    elapsed, ok, summary = run_batch(args.bin, data, url, args, told)
                    n = args.records
                    for line in summary:
                        print(f"  {line}")
                elif name == "boto3 thread pool":
                    elapsed, ok = run_pool(url, args)
                    n = args.records
                else:
                    elapsed, ok = run_sequential(url, args)
                    n = args.sequential
            finally:
                stop(proc)
            # Answered records a second: a record that failed is no throughput.
            rows.append((name, n, ok, elapsed, ok / elapsed, throttles(data)))
            print(f"{name}: {ok}/{n} answered in {elapsed:.1f} s, "
                  f"{ok / elapsed:.2f} answered/s, {rows[-1][5]} throttled (429)", flush=True)
    seq = [r for r in rows if r[0] == "boto3 sequential"]
    base = seq[0][4] if seq else None
    print()
    print("| client | records | answered | time | answered/s | vs sequential | 429s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, n, ok, elapsed, rate, thr in rows:
        ratio = f"{rate / base:.1f}x" if base else "–"
        print(f"| {name} | {n:,} | {ok:,} | {elapsed:.1f} s | {rate:.2f} | {ratio} | {thr:,} |")


if __name__ == "__main__":
    main()
