"""Routing and cost against the local endpoint: prompt-cache checkpoints and their TTLs,
service tiers and latency-optimized inference, failing routes, application inference
profiles and prompt routers. Responses are checked against botocore's shapes."""

import uuid

import pytest

from support import assert_shape, make_client, start_server, stop_server, user
from test_control_plane import control

ACCOUNT = "123456789012"
SONNET45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0"
TEAM_CHAT = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/k2x7a9m4q1zt"
META_ROUTER = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:default-prompt-router/meta.llama:1"


def point(ttl=None):
    cp = {"type": "default"}
    if ttl:
        cp["ttl"] = ttl
    return {"cachePoint": cp}


def body_of(resp: dict) -> dict:
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def metadata_of(resp) -> dict:
    meta = None
    for ev in resp["stream"]:
        if "metadata" in ev:
            meta = ev["metadata"]
    return meta


def refusal(client, **kwargs) -> str:
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(**kwargs)
    return e.value.response["Error"]["Message"]


# ---- prompt caching ----

def test_cache_point_placement_is_checked(client):
    text = {"text": "rules"}
    too_many = [text, point(), text, point(), text, point(), text, point(), text, point()]
    assert "A maximum of 4 blocks" in refusal(
        client, modelId=f"us.{SONNET45}", messages=[{"role": "user", "content": too_many}])
    assert "must not come after" in refusal(
        client, modelId=f"us.{SONNET45}", system=[text, point("5m")],
        messages=[{"role": "user", "content": [text, point("1h")]}])
    assert "cache TTL of 1h" in refusal(
        client, modelId=HAIKU3, system=[text, point("1h")], messages=[user("hi")])


def test_three_turns_read_what_the_first_wrote(client):
    # A prefix of its own, so no other test's cache entry answers it.
    system = [{"text": f"House rules {uuid.uuid4()}. " + "Be precise and brief. " * 300},
              point("1h")]
    messages = [user("What are the rules?")]
    first = client.converse(modelId=f"us.{SONNET45}", system=system, messages=messages)
    assert_shape(client, "ConverseResponse", body_of(first))
    written = first["usage"]["cacheWriteInputTokens"]
    assert written >= 1024
    assert first["usage"]["cacheReadInputTokens"] == 0
    assert first["usage"]["cacheDetails"] == [{"ttl": "1h", "inputTokens": written}]
    messages += [first["output"]["message"], user("And the second rule?")]
    second = client.converse(modelId=f"us.{SONNET45}", system=system, messages=messages)
    assert second["usage"]["cacheReadInputTokens"] == written
    assert second["usage"]["cacheWriteInputTokens"] == 0
    messages += [second["output"]["message"], user("And the third?")]
    third = metadata_of(client.converse_stream(
        modelId=f"us.{SONNET45}", system=system, messages=messages))
    assert_shape(client, "ConverseStreamMetadataEvent", third)
    assert third["usage"]["cacheReadInputTokens"] == written


# ---- service tiers and latency ----

def test_tiers_and_latency_are_echoed(client):
    asked = {"serviceTier": {"type": "flex"}, "performanceConfig": {"latency": "standard"}}
    resp = client.converse(modelId=f"us.{HAIKU45}", messages=[user("hello")], **asked)
    assert_shape(client, "ConverseResponse", body_of(resp))
    assert resp["serviceTier"] == {"type": "flex"}
    assert resp["performanceConfig"] == {"latency": "standard"}
    meta = metadata_of(client.converse_stream(
        modelId=f"us.{HAIKU45}", messages=[user("hello")], serviceTier={"type": "priority"}))
    assert meta["serviceTier"] == {"type": "priority"}
    assert "performanceConfig" not in meta
    plain = client.converse(modelId=f"us.{HAIKU45}", messages=[user("hello")])
    assert "serviceTier" not in plain and "performanceConfig" not in plain
    assert "not supported" in refusal(
        client, modelId=HAIKU3, messages=[user("hi")], serviceTier={"type": "flex"})
    assert refusal(client, modelId=f"us.{HAIKU45}", messages=[user("hi")],
                   serviceTier={"type": "reserved"}) == "Reservation not found."


def test_optimized_latency_only_where_offered(client):
    fast = client.converse(modelId="us.amazon.nova-pro-v1:0", messages=[user("hello")],
                           performanceConfig={"latency": "optimized"})
    assert fast["performanceConfig"] == {"latency": "optimized"}
    assert "latency-optimized" in refusal(
        client, modelId="us.amazon.nova-lite-v1:0", messages=[user("hello")],
        performanceConfig={"latency": "optimized"})


def test_flex_is_slower_and_priority_faster(tmp_path):
    srv = start_server(tmp_path, "--ttft-ms", "10", "--tokens-per-second", "5000",
                       pacing=True)
    try:
        c = make_client(srv.url)

        def latency(**kwargs):
            resp = c.converse(modelId=f"us.{HAIKU45}",
                              messages=[user("Explain borrowing in Rust [[tokens:100]]")],
                              **kwargs)
            return resp["metrics"]["latencyMs"]

        standard = latency()
        assert standard == latency(), "the reported latency is the simulation's"
        assert abs(latency(serviceTier={"type": "flex"}) - 2 * standard) <= 1
        assert latency(serviceTier={"type": "priority"}) < standard
    finally:
        assert stop_server(srv) == 0


# ---- failing routes ----

def test_fail_route_fails_one_geography(tmp_path):
    srv = start_server(tmp_path, "--fail-route", "us.:throttle")
    try:
        c = make_client(srv.url)
        with pytest.raises(c.exceptions.ThrottlingException):
            c.converse(modelId=f"us.{HAIKU45}", messages=[user("hello")])
        ok = c.converse(modelId=f"global.{HAIKU45}", messages=[user("hello")])
        assert ok["stopReason"] == "end_turn"
        tried = [(e["modelId"], e["status"]) for e in srv.request_log()
                 if e["operation"] == "Converse"]
        # Each attempt is logged with its model id (boto3 may retry a throttled call).
        assert tried[-1] == (f"global.{HAIKU45}", 200)
        assert tried[:-1] and all(t == (f"us.{HAIKU45}", 429) for t in tried[:-1])
    finally:
        assert stop_server(srv) == 0


def test_fault_route_directive(client):
    prompt = "hello [[fault-route:global.:unavailable]]"
    with pytest.raises(client.exceptions.ServiceUnavailableException):
        client.converse(modelId=f"global.{HAIKU45}", messages=[user(prompt)])
    ok = client.converse(modelId=f"us.{HAIKU45}", messages=[user(prompt)])
    assert ok["stopReason"] == "end_turn"


# ---- application profiles and prompt routers ----

def test_application_profiles_are_listed_in_pages(endpoint_url):
    bedrock = control(endpoint_url)
    pages = bedrock.get_paginator("list_inference_profiles").paginate(
        typeEquals="APPLICATION", PaginationConfig={"PageSize": 2})
    names = []
    for page in pages:
        assert len(page["inferenceProfileSummaries"]) <= 2
        names += [p["inferenceProfileName"] for p in page["inferenceProfileSummaries"]]
    assert names == ["support-bot", "team-chat", "nightly-summaries"]
    got = bedrock.get_inference_profile(inferenceProfileIdentifier=TEAM_CHAT)
    assert got["type"] == "APPLICATION"
    assert all(HAIKU45 in m["modelArn"] for m in got["models"])


def test_prompt_routers_are_listed_in_pages(endpoint_url):
    bedrock = control(endpoint_url)
    first = bedrock.list_prompt_routers(maxResults=1)
    assert_shape(bedrock, "ListPromptRoutersResponse",
                 {"promptRouterSummaries": [
                     {k: v for k, v in r.items() if k not in ("createdAt", "updatedAt")}
                     for r in first["promptRouterSummaries"]]})
    second = bedrock.list_prompt_routers(maxResults=1, nextToken=first["nextToken"])
    assert "nextToken" not in second
    names = [r["promptRouterName"] for r in
             first["promptRouterSummaries"] + second["promptRouterSummaries"]]
    assert names == ["Nova Prompt Router", "Meta Prompt Router"]
    meta = bedrock.get_prompt_router(promptRouterArn=META_ROUTER)
    assert meta["fallbackModel"]["modelArn"].endswith("us.meta.llama3-1-70b-instruct-v1:0")


def test_routers_and_application_profiles_answer_as_their_model(client):
    short = client.converse(modelId=META_ROUTER, messages=[user("What is a borrow?")])
    assert_shape(client, "ConverseResponse", body_of(short))
    assert short["trace"]["promptRouter"]["invokedModelId"] == (
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/"
        "us.meta.llama3-1-8b-instruct-v1:0")
    meta = metadata_of(client.converse_stream(
        modelId=META_ROUTER, messages=[user("Why does `v.iter().rev()` not compile?")]))
    assert meta["trace"]["promptRouter"]["invokedModelId"].endswith(
        "us.meta.llama3-1-70b-instruct-v1:0")
    team = client.converse(modelId=TEAM_CHAT, messages=[user("hello")])
    assert team["stopReason"] == "end_turn"
    assert "trace" not in team
