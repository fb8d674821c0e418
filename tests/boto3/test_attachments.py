"""Attachments through boto3: images, documents (with citations) and video in Converse,
ConverseStream and CountTokens, the service's refusals, S3 locations read from the
endpoint's own S3 store, and what the request log tells of each request's media."""

import base64
import struct
import urllib.parse
import zlib

import pytest

from support import HAIKU45, NOVA_LITE, assert_shape, make_s3_client, post_json

CLAUDE = f"us.{HAIKU45}"
NOVA_MICRO = "amazon.nova-micro-v1:0"
QUESTION = "What do these attachments show?"


def png(width: int, height: int) -> bytes:
    """A real PNG of the given size, all black."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def pdf(pages) -> bytes:
    """A minimal PDF whose pages show the given lines in Helvetica, one text object a line."""
    bodies = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    kids = []
    next_id = 4
    for lines in pages:
        ops = []
        for i, line in enumerate(lines):
            text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"BT /F1 12 Tf 72 {720 - 14 * i} Td ({text}) Tj ET")
        stream = "\n".join(ops).encode()
        content_id, page_id = next_id, next_id + 1
        next_id += 2
        bodies[content_id] = (b"<< /Length %d >>\nstream\n" % len(stream)) + stream + b"\nendstream"
        bodies[page_id] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>").encode()
        kids.append(f"{page_id} 0 R")
    bodies[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for n in range(1, next_id):
        offsets[n] = len(out)
        out += f"{n} 0 obj\n".encode() + bodies[n] + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {next_id}\n0000000000 65535 f \n".encode()
    for n in range(1, next_id):
        out += b"%010d 00000 n \n" % offsets[n]
    out += f"trailer\n<< /Size {next_id} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def mp4(seconds: int) -> bytes:
    """An MP4 whose movie header declares `seconds` (no frames: enough for counting)."""
    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    mvhd = (struct.pack(">IIIII", 0, 0, 0, 1000, seconds * 1000)
            + struct.pack(">IH", 0x00010000, 0x0100) + b"\x00" * 10
            + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
            + b"\x00" * 24 + struct.pack(">I", 2))
    return (box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
            + box(b"moov", box(b"mvhd", mvhd)) + box(b"mdat", b"\x00" * 64))


def image_tokens(width: int, height: int) -> int:
    """The endpoint's rule: fit 1568 px on the long side and 1.2 MP, then area / 750."""
    scale = min(1568 / max(width, height), (1_200_000 / (width * height)) ** 0.5, 1.0)
    w, h = max(int(width * scale), 1), max(int(height * scale), 1)
    return -(-w * h // 750)


REPORT = pdf([
    ["Quarterly report.", "Revenue grew by twelve percent."],
    ["Costs fell sharply in the second half."],
])


def user(*blocks) -> dict:
    return {"role": "user", "content": [*blocks, {"text": QUESTION}]}


def image_block(data: bytes) -> dict:
    return {"image": {"format": "png", "source": {"bytes": data}}}


def cited_report(name="report") -> dict:
    return {"document": {"format": "pdf", "name": name, "source": {"bytes": REPORT},
                         "citations": {"enabled": True}}}


def log_entry(server, resp) -> dict:
    request_id = resp["ResponseMetadata"]["RequestId"]
    return next(e for e in server.request_log() if e["requestId"] == request_id)


def refusal(client, model_id, *blocks) -> str:
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.converse(modelId=model_id, messages=[user(*blocks)])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return e.value.response["Error"]["Message"]


def test_an_image_and_a_document_in_one_turn(client, server):
    picture = png(1000, 500)
    notes = {"document": {"format": "txt", "name": "notes (v2)",
                          "source": {"bytes": b"Bring the slides. Book the room."}}}
    resp = client.converse(modelId=NOVA_LITE, messages=[user(image_block(picture), notes)])
    assert resp["stopReason"] == "end_turn"
    assert resp["output"]["message"]["content"][0]["text"]
    without_image = client.converse(modelId=NOVA_LITE, messages=[user(notes)])
    assert (resp["usage"]["inputTokens"] - without_image["usage"]["inputTokens"]
            == image_tokens(1000, 500))
    entry = log_entry(server, resp)
    assert entry["blocks"] == [["image", "document", "text"]]
    assert entry["media"] == [[
        {"kind": "image", "format": "png", "source": "bytes", "size": len(picture),
         "width": 1000, "height": 500},
        {"kind": "document", "format": "txt", "source": "bytes", "size": 32,
         "name": "notes (v2)", "citations": False},
    ]]
    assert "media" not in log_entry(server, client.converse(
        modelId=NOVA_LITE, messages=[{"role": "user", "content": [{"text": "hi"}]}]))


def test_a_pdf_question_is_answered_with_citations(client, server):
    resp = client.converse(modelId=CLAUDE, messages=[user(cited_report())])
    content = resp["output"]["message"]["content"]
    assert "report" in content[0]["text"]
    cited = content[1]["citationsContent"]
    quote = "Quarterly report."
    assert cited["content"] == [{"text": quote}]
    assert cited["citations"] == [{
        "title": "report",
        "sourceContent": [{"text": quote}],
        "location": {"documentPage": {"documentIndex": 0, "start": 1, "end": 2}},
    }]
    assert resp["usage"]["outputTokens"] > 0
    assert log_entry(server, resp)["media"][0][0]["citations"] is True

    # The raw JSON, unparsed by the SDK, fits the service model's ConverseResponse.
    path = f"/model/{urllib.parse.quote(CLAUDE, safe='')}/converse"
    raw_doc = {"document": {"format": "pdf", "name": "report",
                            "source": {"bytes": base64.b64encode(REPORT).decode()},
                            "citations": {"enabled": True}}}
    raw = post_json(server.url, path, {"messages": [user(raw_doc)]})
    assert_shape(client, "ConverseResponse", raw)
    assert raw["output"] == resp["output"]


def test_the_question_picks_the_quote(client):
    resp = client.converse(modelId=CLAUDE, messages=[{"role": "user", "content": [
        cited_report(), {"text": "Why did costs fall?"}]}])
    cited = resp["output"]["message"]["content"][1]["citationsContent"]
    assert cited["content"] == [{"text": "Costs fell sharply in the second half."}]
    assert cited["citations"][0]["location"]["documentPage"] == {
        "documentIndex": 0, "start": 2, "end": 3}


def test_converse_stream_sends_the_citation_as_a_delta(client):
    whole = client.converse(modelId=CLAUDE, messages=[user(cited_report())])
    resp = client.converse_stream(modelId=CLAUDE, messages=[user(cited_report())])
    deltas = []
    for event in resp["stream"]:
        if "contentBlockDelta" in event:
            d = event["contentBlockDelta"]
            deltas.append((d["contentBlockIndex"], d["delta"]))
        if "metadata" in event:
            usage = event["metadata"]["usage"]
    on_cited = [d for i, d in deltas if i == 1]
    assert "citation" in on_cited[0], "the citation comes before the text it backs"
    citation = on_cited[0]["citation"]
    expected = whole["output"]["message"]["content"][1]["citationsContent"]
    assert citation == expected["citations"][0]
    assert "".join(d["text"] for d in on_cited[1:]) == expected["content"][0]["text"]
    lead = "".join(d["text"] for i, d in deltas if i == 0)
    assert lead == whole["output"]["message"]["content"][0]["text"]
    assert usage["outputTokens"] == whole["usage"]["outputTokens"]


def test_a_cited_answer_can_be_sent_back(client):
    first = client.converse(modelId=CLAUDE, messages=[user(cited_report())])
    history = [user(cited_report()), first["output"]["message"],
               {"role": "user", "content": [{"text": "And then?"}]}]
    again = client.converse(modelId=CLAUDE, messages=history)
    assert again["stopReason"] == "end_turn"


def test_count_tokens_counts_an_image_by_its_size(client):
    def count(*blocks):
        return client.count_tokens(
            modelId=HAIKU45, input={"converse": {"messages": [user(*blocks)]}})["inputTokens"]

    plain = count()
    assert count(image_block(png(200, 100))) - plain == 27
    assert count(image_block(png(3000, 2000))) - plain == image_tokens(3000, 2000) == 1599
    # What CountTokens says is what the turn is billed.
    with_image = [user(image_block(png(640, 480)))]
    billed = client.converse(modelId=CLAUDE, messages=with_image)["usage"]["inputTokens"]
    assert billed == count(image_block(png(640, 480)))


def test_an_image_on_a_text_only_model_is_refused(client):
    assert refusal(client, NOVA_MICRO, image_block(png(10, 10))) == (
        "This model doesn't support the image content block that you provided. "
        "Try again with a model that supports images.")


def test_an_s3_location_on_claude_is_refused(client):
    s3_image = {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://media/a.png"}}}}
    assert refusal(client, CLAUDE, s3_image) == (
        "This model doesn't support an Amazon S3 location as the source of the image content "
        "block that you provided. Try again with the image as bytes.")


def test_a_bad_document_name_is_refused(client):
    doc = {"document": {"format": "txt", "name": "notes.txt", "source": {"bytes": b"hi"}}}
    message = refusal(client, NOVA_LITE, doc)
    assert message.startswith(
        "The document file name can only contain alphanumeric characters, whitespace "
        "characters, hyphens, parentheses, and square brackets.")
    twice = [{"document": {"format": "txt", "name": "notes", "source": {"bytes": b"a"}}},
             {"document": {"format": "md", "name": "notes", "source": {"bytes": b"b"}}}]
    assert refusal(client, NOVA_LITE, *twice) == (
        "Messages can't contain duplicate document names. Rename the document and retry your request.")


def test_citations_on_a_model_without_them_are_refused(client):
    assert "doesn't support citations" in refusal(client, NOVA_LITE, cited_report())


def test_an_s3_video_on_nova_is_read_from_the_endpoints_store(client, server):
    s3 = make_s3_client(server.url)
    s3.create_bucket(Bucket="attach-media")
    s3.put_object(Bucket="attach-media", Key="clips/demo.mp4", Body=mp4(12))
    uri = "s3://attach-media/clips/demo.mp4"
    video = {"video": {"format": "mp4", "source": {"s3Location": {"uri": uri}}}}
    resp = client.converse(modelId=NOVA_LITE, messages=[user(video)])
    assert resp["stopReason"] == "end_turn"
    text_only = client.converse(modelId=NOVA_LITE, messages=[
        {"role": "user", "content": [{"text": QUESTION}]}])
    # One frame a second, 288 tokens a frame.
    assert resp["usage"]["inputTokens"] - text_only["usage"]["inputTokens"] == 12 * 288
    assert log_entry(server, resp)["media"] == [[
        {"kind": "video", "format": "mp4", "source": "s3", "uri": uri}]]

    missing = {"video": {"format": "mp4",
                         "source": {"s3Location": {"uri": "s3://attach-media/none.mp4"}}}}
    message = refusal(client, NOVA_LITE, missing)
    assert "s3://attach-media/none.mp4 does not exist or access to it is denied" in message
    stream = client.converse_stream(modelId=NOVA_LITE, messages=[user(video)])
    assert any("messageStop" in e for e in stream["stream"])
