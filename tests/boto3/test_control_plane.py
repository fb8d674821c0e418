"""The Bedrock control plane through boto3's `bedrock` client: foundation models with
their filters, inference profiles through the paginator, and the service's errors."""

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from support import ACCESS_KEY, HAIKU3, NOVA_LITE, SONNET45, TITAN_EMBED

ACCOUNT = "123456789012"


def control(url, region="us-east-1", validate=True):
    return boto3.client(
        "bedrock",
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate),
    )


@pytest.fixture(scope="module")
def bedrock(endpoint_url):
    return control(endpoint_url)


def ids(resp):
    return sorted(m["modelId"] for m in resp["modelSummaries"])


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_list_foundation_models_and_filters(bedrock):
    everything = bedrock.list_foundation_models()
    assert everything["ResponseMetadata"]["HTTPStatusCode"] == 200
    all_ids = ids(everything)
    assert len(all_ids) >= 30 and HAIKU3 in all_ids and SONNET45 in all_ids

    anthropic = bedrock.list_foundation_models(byProvider="Anthropic")["modelSummaries"]
    assert anthropic and all(m["providerName"] == "Anthropic" for m in anthropic)
    assert len(anthropic) < len(all_ids)

    embeddings = ids(bedrock.list_foundation_models(byOutputModality="EMBEDDING"))
    assert TITAN_EMBED in embeddings and HAIKU3 not in embeddings

    on_demand = ids(bedrock.list_foundation_models(byInferenceType="ON_DEMAND"))
    assert HAIKU3 in on_demand and SONNET45 not in on_demand

    assert bedrock.list_foundation_models(byCustomizationType="FINE_TUNING")["modelSummaries"] == []

    lite = next(m for m in everything["modelSummaries"] if m["modelId"] == NOVA_LITE)
    assert lite["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_LITE}"
    assert lite["modelName"] == "Nova Lite"
    assert lite["outputModalities"] == ["TEXT"]
    assert lite["responseStreamingSupported"] is True
    assert lite["inferenceTypesSupported"] == ["ON_DEMAND", "INFERENCE_PROFILE"]
    assert lite["modelLifecycle"] == {"status": "ACTIVE"}
    assert lite["customizationsSupported"] == []


def test_bad_filters_are_validation_errors(bedrock):
    assert error_of(bedrock.list_foundation_models, byOutputModality="SMELL") == (
        "ValidationException", 400)
    assert error_of(bedrock.list_foundation_models, byInferenceType="BATCH") == (
        "ValidationException", 400)


def test_get_foundation_model_by_id_and_arn(bedrock):
    by_id = bedrock.get_foundation_model(modelIdentifier=SONNET45)["modelDetails"]
    assert by_id["modelId"] == SONNET45
    assert by_id["providerName"] == "Anthropic"
    assert by_id["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    by_arn = bedrock.get_foundation_model(modelIdentifier=by_id["modelArn"])["modelDetails"]
    assert by_arn == by_id

    with pytest.raises(bedrock.exceptions.ResourceNotFoundException) as e:
        bedrock.get_foundation_model(modelIdentifier="acme.no-such-model-v1:0")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert e.value.response["Error"]["Message"]


def test_profiles_through_the_paginator_once_each(bedrock):
    whole = bedrock.list_inference_profiles()["inferenceProfileSummaries"]
    assert "nextToken" not in bedrock.list_inference_profiles()
    pages = list(bedrock.get_paginator("list_inference_profiles").paginate(
        PaginationConfig={"PageSize": 2}))
    assert len(pages) == (len(whole) + 1) // 2
    paged = [p["inferenceProfileId"] for page in pages for p in page["inferenceProfileSummaries"]]
    assert paged == [p["inferenceProfileId"] for p in whole]
    assert len(set(paged)) == len(paged)

    haiku = next(p for p in whole if p["inferenceProfileId"] == f"us.{HAIKU3}")
    assert haiku["type"] == "SYSTEM_DEFINED"
    assert haiku["status"] == "ACTIVE"
    assert haiku["inferenceProfileArn"] == (
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.{HAIKU3}")
    assert [m["modelArn"] for m in haiku["models"]] == [
        f"arn:aws:bedrock:{r}::foundation-model/{HAIKU3}"
        for r in ("us-east-1", "us-east-2", "us-west-2")]
    apps = bedrock.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"]
    assert [p["inferenceProfileName"] for p in apps] == [
        "support-bot", "team-chat", "nightly-summaries"]


def test_profiles_follow_the_signed_region(endpoint_url):
    eu = control(endpoint_url, region="eu-west-1")
    eu_ids = [p["inferenceProfileId"] for p in eu.list_inference_profiles()["inferenceProfileSummaries"]]
    assert f"eu.{HAIKU3}" in eu_ids and f"us.{HAIKU3}" not in eu_ids
    assert all(i.startswith(("eu.", "global.")) for i in eu_ids)
    lite = eu.get_foundation_model(modelIdentifier=NOVA_LITE)["modelDetails"]
    assert lite["modelArn"].startswith("arn:aws:bedrock:eu-west-1::")


def test_get_inference_profile_and_errors(bedrock, endpoint_url):
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/global.{SONNET45}"
    p = bedrock.get_inference_profile(inferenceProfileIdentifier=arn)
    assert p["inferenceProfileId"] == f"global.{SONNET45}"
    assert p["inferenceProfileArn"] == arn
    assert 1 <= len(p["models"]) <= 5
    same = bedrock.get_inference_profile(inferenceProfileIdentifier=f"global.{SONNET45}")
    assert same["inferenceProfileArn"] == arn

    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_inference_profile(inferenceProfileIdentifier=f"eu.{SONNET45}")
    loose = control(endpoint_url, validate=False)
    assert error_of(loose.list_inference_profiles, maxResults=0) == ("ValidationException", 400)
    assert error_of(loose.list_inference_profiles, nextToken="garbage!") == (
        "ValidationException", 400)


def test_calls_are_in_the_request_log(server, bedrock):
    bedrock.get_foundation_model(modelIdentifier=HAIKU3)
    last = server.request_log()[-1]
    assert last["operation"] == "GetFoundationModel"
    assert last["modelId"] == HAIKU3
    assert last["status"] == 200
