"""Native InvokeModel formats of each text model family, as the real service documents
them: how to write a request, and how to read the text, stop reason and token counts
back from a response body and from the chunks of a response stream."""

import json
from dataclasses import dataclass
from typing import Callable, Optional

from support import (
    COMMAND_R,
    HAIKU3,
    JAMBA_MINI,
    LLAMA31_8B,
    MISTRAL_LARGE,
    NOVA_LITE,
    TITAN_EXPRESS,
)


@dataclass
class Family:
    name: str
    model_id: str
    # body(question, max_tokens or None, system or None) -> dict
    body: Callable[[str, Optional[int], Optional[str]], dict]
    text: Callable[[dict], str]
    stop: Callable[[dict], str]
    end_stop: str
    max_stop: str
    # Output and input token counts a response body reports, where it reports them.
    output_tokens: Callable[[dict], Optional[int]]
    input_tokens: Callable[[dict], Optional[int]]
    # Text carried by one stream chunk.
    chunk_text: Callable[[dict], str]
    # Stop reason carried by a stream chunk, or None.
    chunk_stop: Callable[[dict], Optional[str]]


def _anthropic_body(q, max_tokens, system):
    b = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": max_tokens or 1024,
        "messages": [{"role": "user", "content": [{"type": "text", "text": q}]}],
    }
    if system:
        b["system"] = system
    return b


def _anthropic_chunk_text(c):
    if c.get("type") == "content_block_delta" and c["delta"].get("type") == "text_delta":
        return c["delta"]["text"]
    return ""


def _anthropic_chunk_stop(c):
    if c.get("type") == "message_delta":
        return c["delta"]["stop_reason"]
    return None


ANTHROPIC = Family(
    name="anthropic",
    model_id=HAIKU3,
    body=_anthropic_body,
    text=lambda r: "".join(b["text"] for b in r["content"] if b["type"] == "text"),
    stop=lambda r: r["stop_reason"],
    end_stop="end_turn",
    max_stop="max_tokens",
    output_tokens=lambda r: r["usage"]["output_tokens"],
    input_tokens=lambda r: r["usage"]["input_tokens"],
    chunk_text=_anthropic_chunk_text,
    chunk_stop=_anthropic_chunk_stop,
)


def _nova_body(q, max_tokens, system):
    b = {
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": q}]}],
    }
    if max_tokens:
        b["inferenceConfig"] = {"max_new_tokens": max_tokens}
    if system:
        b["system"] = [{"text": system}]
    return b


NOVA = Family(
    name="nova",
    model_id=NOVA_LITE,
    body=_nova_body,
    text=lambda r: "".join(b.get("text", "") for b in r["output"]["message"]["content"]),
    stop=lambda r: r["stopReason"],
    end_stop="end_turn",
    max_stop="max_tokens",
    output_tokens=lambda r: r["usage"]["outputTokens"],
    input_tokens=lambda r: r["usage"]["inputTokens"],
    chunk_text=lambda c: c.get("contentBlockDelta", {}).get("delta", {}).get("text", ""),
    chunk_stop=lambda c: c.get("messageStop", {}).get("stopReason"),
)


def _titan_body(q, max_tokens, system):
    text = f"{system}\nUser: {q}\nBot:" if system else q
    b = {"inputText": text}
    if max_tokens:
        b["textGenerationConfig"] = {"maxTokenCount": max_tokens}
    return b


TITAN = Family(
    name="titan-text",
    model_id=TITAN_EXPRESS,
    body=_titan_body,
    text=lambda r: r["results"][0]["outputText"],
    stop=lambda r: r["results"][0]["completionReason"],
    end_stop="FINISH",
    max_stop="LENGTH",
    output_tokens=lambda r: r["results"][0]["tokenCount"],
    input_tokens=lambda r: r["inputTextTokenCount"],
    chunk_text=lambda c: c.get("outputText") or "",
    chunk_stop=lambda c: c.get("completionReason"),
)


def _llama_prompt(q, system):
    p = "<|begin_of_text|>"
    if system:
        p += f"<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>"
    p += (f"<|start_header_id|>user<|end_header_id|>\n\n{q}<|eot_id|>"
          "<|start_header_id|>assistant<|end_header_id|>\n\n")
    return p


def _llama_body(q, max_tokens, system):
    b = {"prompt": _llama_prompt(q, system)}
    if max_tokens:
        b["max_gen_len"] = max_tokens
    return b


LLAMA = Family(
    name="llama",
    model_id=f"us.{LLAMA31_8B}",
    body=_llama_body,
    text=lambda r: r["generation"],
    stop=lambda r: r["stop_reason"],
    end_stop="stop",
    max_stop="length",
    output_tokens=lambda r: r["generation_token_count"],
    input_tokens=lambda r: r["prompt_token_count"],
    chunk_text=lambda c: c.get("generation") or "",
    chunk_stop=lambda c: c.get("stop_reason"),
)


def _mistral_body(q, max_tokens, system):
    inst = f"{system}\n\n{q}" if system else q
    b = {"prompt": f"<s>[INST] {inst} [/INST]"}
    if max_tokens:
        b["max_tokens"] = max_tokens
    return b


MISTRAL = Family(
    name="mistral",
    model_id=MISTRAL_LARGE,
    body=_mistral_body,
    text=lambda r: r["outputs"][0]["text"],
    stop=lambda r: r["outputs"][0]["stop_reason"],
    end_stop="stop",
    max_stop="length",
    output_tokens=lambda r: None,
    input_tokens=lambda r: None,
    chunk_text=lambda c: c["outputs"][0].get("text") or "",
    chunk_stop=lambda c: c["outputs"][0].get("stop_reason"),
)


def _cohere_body(q, max_tokens, system):
    b = {"message": q}
    if max_tokens:
        b["max_tokens"] = max_tokens
    if system:
        b["preamble"] = system
    return b


def _cohere_chunk_text(c):
    return c.get("text", "") if c.get("event_type") == "text-generation" else ""


def _cohere_chunk_stop(c):
    return c.get("finish_reason") if c.get("event_type") == "stream-end" else None


COHERE = Family(
    name="cohere-command-r",
    model_id=COMMAND_R,
    body=_cohere_body,
    text=lambda r: r["text"],
    stop=lambda r: r["finish_reason"],
    end_stop="COMPLETE",
    max_stop="MAX_TOKENS",
    output_tokens=lambda r: None,
    input_tokens=lambda r: None,
    chunk_text=_cohere_chunk_text,
    chunk_stop=_cohere_chunk_stop,
)


def _jamba_body(q, max_tokens, system):
    msgs = [{"role": "system", "content": system}] if system else []
    msgs.append({"role": "user", "content": q})
    b = {"messages": msgs}
    if max_tokens:
        b["max_tokens"] = max_tokens
    return b


def _jamba_chunk_text(c):
    return "".join((ch.get("delta") or {}).get("content") or "" for ch in c.get("choices", []))


def _jamba_chunk_stop(c):
    for ch in c.get("choices", []):
        if ch.get("finish_reason"):
            return ch["finish_reason"]
    return None


JAMBA = Family(
    name="jamba",
    model_id=JAMBA_MINI,
    body=_jamba_body,
    text=lambda r: r["choices"][0]["message"]["content"],
    stop=lambda r: r["choices"][0]["finish_reason"],
    end_stop="stop",
    max_stop="length",
    output_tokens=lambda r: r["usage"]["completion_tokens"],
    input_tokens=lambda r: r["usage"]["prompt_tokens"],
    chunk_text=_jamba_chunk_text,
    chunk_stop=_jamba_chunk_stop,
)

TEXT_FAMILIES = [ANTHROPIC, NOVA, TITAN, LLAMA, MISTRAL, COHERE, JAMBA]


def invoke(client, fam: Family, question, max_tokens=None, system=None, **kwargs):
    """InvokeModel; returns (response, parsed body)."""
    resp = client.invoke_model(
        modelId=fam.model_id,
        body=json.dumps(fam.body(question, max_tokens, system)),
        contentType="application/json",
        accept="application/json",
        **kwargs,
    )
    return resp, json.loads(resp["body"].read())


def invoke_stream(client, fam: Family, question, max_tokens=None, system=None):
    """InvokeModelWithResponseStream; returns (response, decoded chunks)."""
    resp = client.invoke_model_with_response_stream(
        modelId=fam.model_id,
        body=json.dumps(fam.body(question, max_tokens, system)),
        contentType="application/json",
        accept="application/json",
    )
    chunks = []
    for event in resp["body"]:
        assert list(event) == ["chunk"], event
        chunks.append(json.loads(event["chunk"]["bytes"]))
    return resp, chunks
