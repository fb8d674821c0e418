"""Constants and helpers shared by the boto3 conformance tests."""

import json
import os
import re
import signal
import ssl
import subprocess
import threading
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]

HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0"
HAIKU45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA_LITE = "amazon.nova-lite-v1:0"
TITAN_EXPRESS = "amazon.titan-text-express-v1"
LLAMA31_8B = "meta.llama3-1-8b-instruct-v1:0"
MISTRAL_LARGE = "mistral.mistral-large-2402-v1:0"
COMMAND_R = "cohere.command-r-v1:0"
JAMBA_MINI = "ai21.jamba-1-5-mini-v1:0"
TITAN_EMBED = "amazon.titan-embed-text-v2:0"
NOVA_EMBED = "amazon.nova-2-multimodal-embeddings-v1:0"


ACCESS_KEY = "AKIDBOTO3TEST"


def binary() -> Path:
    env = os.environ.get("BEDROCK_TUI_BIN")
    if not env:
        return REPO / "target" / "debug" / "bedrock-tui"
    path = Path(env)
    if not path.is_absolute() and not path.exists():
        path = REPO / path  # relative to the repository root rather than the cwd
    return path.resolve()


def isolated_env(config_home) -> dict:
    """The environment of a CLI run with no AWS or user configuration of its own."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("AWS_") and k != "BEDROCK_TUI_CONFIG"
    }
    env.update({
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "XDG_CONFIG_HOME": str(config_home),
    })
    return env


class Server:
    """A running `serve-local` process."""

    def __init__(self, url: str, proc: subprocess.Popen, data_dir: Path, banner: str):
        self.url = url
        self.proc = proc
        self.data_dir = data_dir
        # The first stdout line, then (once the server has stopped) the rest of
        # stdout and stderr, filled in by the threads that drain them.
        self.banner = banner
        self.rest = {"stdout": [], "stderr": []}
        self.readers = []

    @property
    def cert(self) -> Path:
        """The certificate of a server started with --tls."""
        return self.data_dir / "tls" / "cert.pem"

    def request_log(self) -> list:
        context = None
        if self.url.startswith("https://"):
            context = ssl.create_default_context(cafile=str(self.cert))
        with urllib.request.urlopen(self.url + "/_local/requests", timeout=30,
                                    context=context) as r:
            return json.loads(r.read())["requests"]

    def output(self) -> str:
        """Everything the server printed on stdout and stderr; call after stop_server."""
        for reader in self.readers:
            reader.join(timeout=10)
        return self.banner + "".join(self.rest["stdout"]) + "".join(self.rest["stderr"])


def start_server(data_dir: Path, *extra: str, env=None, pacing=False) -> Server:
    """Starts `serve-local` with `extra` options; without pacing unless asked for (then
    --ttft-ms and --tokens-per-second may be among `extra`)."""
    exe = binary()
    if not exe.exists():
        pytest.exit(f"bedrock-tui binary not found at {exe}; run `cargo build` "
                    "or set BEDROCK_TUI_BIN", returncode=2)
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [str(exe), "serve-local", "--addr", "127.0.0.1:0",
         *([] if pacing else ["--no-pacing"]),
         "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    first = []

    def read_first_line():
        first.append(proc.stdout.readline())

    reader = threading.Thread(target=read_first_line, daemon=True)
    reader.start()
    reader.join(timeout=30)
    line = first[0] if first else ""
    m = re.search(r"(https?://127\.0\.0\.1:\d+)\s*$", line)
    if not m:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(
            f"no URL on the first stdout line: {line!r}; stderr: {err[-2000:]}")
    server = Server(m.group(1), proc, data_dir, line)
    # Keep draining stdout/stderr so the server never blocks on a full pipe.
    for name, stream in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        reader = threading.Thread(
            target=lambda s=stream, out=server.rest[name]: out.append(s.read()), daemon=True)
        reader.start()
        server.readers.append(reader)
    return server


def stop_server(server: Server) -> int:
    server.proc.send_signal(signal.SIGTERM)
    try:
        return server.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=10)
        raise AssertionError("serve-local did not stop within 30 s of SIGTERM")


def make_client(url=None, region="us-east-1", retries=None, **config):
    """A bedrock-runtime client with test credentials; retries off unless given."""
    kwargs = {}
    if url is not None:
        kwargs["endpoint_url"] = url
    return boto3.client(
        "bedrock-runtime",
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key="x",
        config=Config(
            retries=retries or {"max_attempts": 1},
            connect_timeout=10,
            read_timeout=60,
            **config,
        ),
        **kwargs,
    )


def make_s3_client(url: str, region="us-east-1"):
    """An S3 client for the endpoint's S3 API: same base URL, path-style addressing."""
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key="x",
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            connect_timeout=10,
            read_timeout=60,
        ),
    )


def user(text: str) -> dict:
    return {"role": "user", "content": [{"text": text}]}


def assistant(text: str) -> dict:
    return {"role": "assistant", "content": [{"text": text}]}


def text_of(resp: dict) -> str:
    return "".join(b["text"] for b in resp["output"]["message"]["content"] if "text" in b)


def headers_of(resp: dict) -> dict:
    return resp["ResponseMetadata"]["HTTPHeaders"]


WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city", "unit"],
            }
        },
    }
}


def thinking(budget: int) -> dict:
    return {"thinking": {"type": "enabled", "budget_tokens": budget}}


def post_json(url: str, path: str, body: dict) -> dict:
    """An unsigned POST to the endpoint, returning the raw JSON body (no SDK parsing)."""
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def shape_errors(shape, value, path="") -> list:
    """How `value` (raw JSON) departs from a botocore shape: unknown or missing required
    members, wrong types, values outside an enum."""
    errors = []
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        for name in shape.required_members:
            if name not in value:
                errors.append(f"{path}.{name}: required member missing")
        for name, v in value.items():
            if name not in shape.members:
                errors.append(f"{path}.{name}: not a member of {shape.name}")
            else:
                errors += shape_errors(shape.members[name], v, f"{path}.{name}")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        for i, v in enumerate(value):
            errors += shape_errors(shape.member, v, f"{path}[{i}]")
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: not a map"]
        for k, v in value.items():
            errors += shape_errors(shape.value, v, f"{path}.{k}")
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: not a string")
        elif shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} not in {shape.name}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: not an integer")
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: not a boolean")
    elif kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append(f"{path}: not a number")
    return errors


def assert_shape(client, shape_name: str, value) -> None:
    """Checks raw JSON against a shape of the client's own service model."""
    shape = client.meta.service_model.shape_for(shape_name)
    errors = shape_errors(shape, value, shape_name)
    assert not errors, "\n".join(errors)
