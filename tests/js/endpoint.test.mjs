// The AWS SDK for JavaScript v3, with its DEFAULT settings (no requestHandler override),
// against `bedrock-tui serve-local`: Converse, ConverseStream, tools, native Anthropic
// InvokeModel and InvokeModelWithResponseStream, CountTokens, profile ARNs, modeled
// errors, an exception mid-stream, and the HTTP version the default client speaks.
//
// Run: npm ci && BEDROCK_TUI_BIN=/path/to/bedrock-tui npm test
// (BEDROCK_TUI_BIN defaults to ../../target/debug/bedrock-tui, relative to this file.)

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";

import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelStreamErrorException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.BEDROCK_TUI_BIN || path.resolve(HERE, "../../target/debug/bedrock-tui");

const HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0";
const HAIKU45 = "anthropic.claude-haiku-4-5-20251001-v1:0";
const SONNET45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const SONNET45_PROFILE_ARN = `arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.${SONNET45}`;
const CREDENTIALS = { accessKeyId: "AKIDJSTEST", secretAccessKey: "x" };

const utf8 = new TextDecoder("utf-8", { fatal: true });

// ---------------------------------------------------------------------------------------
// The server under test.

let server; // { child, url, exited, stderr() }
const clients = [];

async function startServer() {
  const child = spawn(BIN, ["serve-local", "--addr", "127.0.0.1:0", "--no-pacing"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const spawnFailed = once(child, "error").then(([e]) => {
    throw new Error(`cannot run ${BIN} (build it with \`cargo build\` or set BEDROCK_TUI_BIN): ${e.message}`);
  });
  const lines = createInterface({ input: child.stdout });
  // Keep reading stdout to its end so the server never blocks on a full pipe.
  const firstLine = new Promise((resolve) => lines.once("line", resolve));
  lines.on("line", () => {});
  let timer;
  const first = await Promise.race([
    firstLine,
    spawnFailed,
    exited.then((e) => {
      throw new Error(`serve-local exited (${JSON.stringify(e)}) before printing its URL; stderr:\n${stderr}`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`serve-local printed no URL within 30 s; stderr:\n${stderr}`)), 30_000);
    }),
  ]).finally(() => clearTimeout(timer));
  const m = /^local Bedrock endpoint listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first.trim());
  assert.ok(m, `unexpected first line of serve-local: ${JSON.stringify(first)}`);
  return { child, url: m[1], exited, stderr: () => stderr };
}

/** The endpoint's own request log (a plain GET, not a Bedrock API). */
async function requestLog() {
  const res = await fetch(`${server.url}/_local/requests`);
  assert.equal(res.status, 200);
  return (await res.json()).requests;
}

async function logEntry(requestId) {
  assert.ok(requestId, "the response carries a request id");
  const found = (await requestLog()).filter((e) => e.requestId === requestId);
  assert.equal(found.length, 1, `exactly one log entry for request ${requestId}`);
  return found[0];
}

// ---------------------------------------------------------------------------------------
// What went over the wire, seen from inside the SDK whatever its request handler is.
//
// A middleware at the innermost position (deserialize step, low priority) receives the
// raw HttpResponse straight from the request handler, before any deserialization, also
// for responses the deserializer then turns into errors. Its body is the transport's
// response stream: an http2 ClientHttp2Stream (with `.session.alpnProtocol`, "h2c" on a
// cleartext connection, "h2" after TLS ALPN) or an http.IncomingMessage (`.httpVersion`).

const wire = []; // { command, path, status, protocol, pseudoStatus }

function protocolOf(body) {
  const alpn = body?.session?.alpnProtocol;
  if (typeof alpn === "string") return alpn; // "h2c" or "h2"
  if (typeof body?.httpVersion === "string") return `http/${body.httpVersion}`;
  return "unknown";
}

function recordWire(client) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const res = out.response;
      wire.push({
        command: context.commandName,
        path: args.request.path,
        status: res?.statusCode,
        protocol: protocolOf(res?.body),
        // Only HTTP/2 responses carry the `:status` pseudo-header.
        pseudoStatus: res?.headers?.[":status"],
      });
      return out;
    },
    { step: "deserialize", priority: "low", name: "jsConformanceWireProbe" },
  );
  return client;
}

function lastWire(command) {
  const seen = wire.filter((w) => w.command === command);
  assert.ok(seen.length > 0, `no ${command} response reached the wire probe`);
  return seen[seen.length - 1];
}

/** A client with the SDK's default settings (only region, endpoint and credentials set). */
function newClient(extra = {}) {
  const client = new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: server.url,
    credentials: CREDENTIALS,
    ...extra,
  });
  clients.push(client);
  return recordWire(client);
}

let client;

before(async () => {
  server = await startServer();
  client = newClient();
});

after(async () => {
  for (const c of clients) c.destroy();
  if (!server) return;
  const { child, exited } = server;
  assert.ok(child.kill("SIGTERM"), "SIGTERM delivered to serve-local");
  let timer;
  const status = await Promise.race([
    exited,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve("timeout"), 15_000);
    }),
  ]).finally(() => clearTimeout(timer));
  if (status === "timeout") child.kill("SIGKILL");
  assert.deepEqual(
    status,
    { code: 0, signal: null },
    `serve-local exits 0 on SIGTERM; stderr:\n${server.stderr()}`,
  );
});

// ---------------------------------------------------------------------------------------
// Helpers.

const user = (text) => ({ role: "user", content: [{ text }] });

function converseText(out) {
  return out.output.message.content
    .filter((b) => typeof b.text === "string")
    .map((b) => b.text)
    .join("");
}

/** Reads a ConverseStream to its end: the event names in order, text, tool input, ... */
async function collectConverseStream(out) {
  const r = { events: [], text: "", toolInput: "", toolStarts: [], stop: undefined, metadata: undefined, indexes: [] };
  for await (const ev of out.stream) {
    const keys = Object.keys(ev).filter((k) => ev[k] !== undefined);
    assert.equal(keys.length, 1, `one member per event: ${JSON.stringify(ev)}`);
    const [name] = keys;
    r.events.push(name);
    const body = ev[name];
    switch (name) {
      case "messageStart":
        assert.equal(body.role, "assistant");
        break;
      case "contentBlockStart":
        if (body.start?.toolUse) r.toolStarts.push({ index: body.contentBlockIndex, ...body.start.toolUse });
        break;
      case "contentBlockDelta":
        r.indexes.push(body.contentBlockIndex);
        if (typeof body.delta.text === "string") r.text += body.delta.text;
        else if (body.delta.toolUse) r.toolInput += body.delta.toolUse.input;
        break;
      case "contentBlockStop":
        break;
      case "messageStop":
        r.stop = body.stopReason;
        break;
      case "metadata":
        r.metadata = body;
        break;
      default:
        assert.fail(`unexpected ConverseStream event ${JSON.stringify(ev)}`);
    }
  }
  return r;
}

const weatherTool = {
  toolSpec: {
    name: "get_weather",
    description: "Get the current weather for a city",
    inputSchema: {
      json: {
        type: "object",
        properties: {
          city: { type: "string", description: "City name" },
          unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        },
        required: ["city", "unit"],
      },
    },
  },
};

function anthropicBody(text, extra = {}) {
  return JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 512,
    messages: [{ role: "user", content: [{ type: "text", text }] }],
    ...extra,
  });
}

// ---------------------------------------------------------------------------------------
// Tests. node:test runs the tests of a file one after another, in this order.

test("Converse answers with text, stop reason and consistent usage", async () => {
  const out = await client.send(
    new ConverseCommand({ modelId: HAIKU3, messages: [user("How do I parse JSON in Rust?")] }),
  );
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.equal(out.output.message.role, "assistant");
  const text = converseText(out);
  assert.match(text, /parse JSON in Rust/);
  assert.match(text, /```rust/);
  assert.equal(out.stopReason, "end_turn");
  const u = out.usage;
  assert.ok(u.inputTokens > 5, `inputTokens ${u.inputTokens}`);
  assert.ok(u.outputTokens > 50, `outputTokens ${u.outputTokens}`);
  assert.equal(u.totalTokens, u.inputTokens + u.outputTokens);
  assert.ok(Number.isInteger(out.metrics?.latencyMs), `metrics.latencyMs: ${JSON.stringify(out.metrics)}`);

  const again = await client.send(
    new ConverseCommand({ modelId: HAIKU3, messages: [user("How do I parse JSON in Rust?")] }),
  );
  assert.equal(converseText(again), text, "same request, same answer");

  const entry = await logEntry(out.$metadata.requestId);
  assert.equal(entry.operation, "Converse");
  assert.equal(entry.modelId, HAIKU3);
  assert.equal(entry.status, 200);
});

test("ConverseStream sends its events in order and matches Converse", async () => {
  const prompt = "Compare tabs vs spaces";
  const whole = await client.send(new ConverseCommand({ modelId: HAIKU3, messages: [user(prompt)] }));
  const out = await client.send(new ConverseStreamCommand({ modelId: HAIKU3, messages: [user(prompt)] }));
  assert.equal(out.$metadata.httpStatusCode, 200);
  const s = await collectConverseStream(out);

  assert.equal(s.events[0], "messageStart");
  assert.deepEqual(s.events.slice(-3), ["contentBlockStop", "messageStop", "metadata"]);
  const middle = s.events.slice(1, -3);
  assert.ok(middle.length > 10, `many deltas, got ${middle.length}`);
  assert.ok(
    middle.every((e) => e === "contentBlockDelta"),
    `only deltas between messageStart and contentBlockStop: ${middle.filter((e) => e !== "contentBlockDelta")}`,
  );
  assert.ok(s.indexes.every((i) => i === 0), "every delta is of block 0");

  assert.equal(s.text, converseText(whole), "streamed text equals the Converse text");
  assert.equal(s.stop, "end_turn");
  assert.deepEqual(s.metadata.usage, whole.usage, "metadata usage equals the Converse usage");
  assert.ok(Number.isInteger(s.metadata.metrics?.latencyMs), `metrics: ${JSON.stringify(s.metadata.metrics)}`);

  const w = lastWire("ConverseStreamCommand");
  assert.equal(w.status, 200);
  assert.equal(w.protocol, "h2c", "the streaming call went over cleartext HTTP/2");
});

test("ConverseStream with a tool streams a toolUse whose deltas parse as JSON", async () => {
  const out = await client.send(
    new ConverseStreamCommand({
      modelId: HAIKU3,
      messages: [user("What's the weather in Tokyo in fahrenheit?")],
      toolConfig: { tools: [weatherTool] },
    }),
  );
  const s = await collectConverseStream(out);
  assert.equal(s.toolStarts.length, 1, `one toolUse block: ${JSON.stringify(s.toolStarts)}`);
  const [start] = s.toolStarts;
  assert.equal(start.name, "get_weather");
  assert.match(start.toolUseId, /^tooluse_/);
  assert.ok(s.toolInput.length > 0, "the tool input arrived in deltas");
  let input;
  assert.doesNotThrow(() => (input = JSON.parse(s.toolInput)), `tool input is JSON: ${s.toolInput}`);
  assert.deepEqual(input, { city: "Tokyo", unit: "fahrenheit" });
  assert.equal(s.stop, "tool_use");
  assert.equal(s.events[0], "messageStart");
  assert.deepEqual(s.events.slice(-2), ["messageStop", "metadata"]);
  const toolStartAt = s.events.indexOf("contentBlockStart");
  assert.ok(toolStartAt > 0, "a contentBlockStart opens the tool block");
  assert.equal(s.events.at(-3), "contentBlockStop");

  // The same request without streaming calls the same tool with the same input.
  const whole = await client.send(
    new ConverseCommand({
      modelId: HAIKU3,
      messages: [user("What's the weather in Tokyo in fahrenheit?")],
      toolConfig: { tools: [weatherTool] },
    }),
  );
  const toolUse = whole.output.message.content.find((b) => b.toolUse)?.toolUse;
  assert.ok(toolUse, "Converse answers with a toolUse block");
  assert.equal(toolUse.toolUseId, start.toolUseId);
  assert.deepEqual(toolUse.input, input);
});

test("InvokeModel with an Anthropic messages body answers in the Messages format", async () => {
  const body = anthropicBody("Explain borrowing in Rust");
  const out = await client.send(
    new InvokeModelCommand({ modelId: HAIKU3, body, contentType: "application/json", accept: "application/json" }),
  );
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.match(out.contentType, /^application\/json/);
  const msg = JSON.parse(utf8.decode(out.body));
  assert.equal(msg.type, "message");
  assert.equal(msg.role, "assistant");
  assert.match(msg.id, /^msg_bdrk_/, "Bedrock's Anthropic message ids");
  assert.equal(msg.model, "claude-3-haiku-20240307");
  assert.ok(Array.isArray(msg.content) && msg.content.length > 0, JSON.stringify(msg));
  assert.equal(msg.content[0].type, "text");
  assert.ok(msg.content[0].text.length > 20, msg.content[0].text);
  assert.equal(msg.stop_reason, "end_turn");
  assert.ok(msg.usage.input_tokens > 0, JSON.stringify(msg.usage));
  assert.ok(msg.usage.output_tokens > 0, JSON.stringify(msg.usage));

  const entry = await logEntry(out.$metadata.requestId);
  assert.equal(entry.operation, "InvokeModel");
  assert.equal(entry.status, 200);
});

test("InvokeModelWithResponseStream chunks decode and the last carries invocation metrics", async () => {
  const body = anthropicBody("Explain borrowing in Rust");
  const whole = JSON.parse(
    utf8.decode((await client.send(new InvokeModelCommand({ modelId: HAIKU3, body, contentType: "application/json" }))).body),
  );
  const out = await client.send(
    new InvokeModelWithResponseStreamCommand({ modelId: HAIKU3, body, contentType: "application/json" }),
  );
  assert.equal(out.$metadata.httpStatusCode, 200);
  const chunks = [];
  for await (const ev of out.body) {
    assert.ok(ev.chunk?.bytes instanceof Uint8Array, `a chunk event: ${JSON.stringify(Object.keys(ev))}`);
    chunks.push(JSON.parse(utf8.decode(ev.chunk.bytes)));
  }
  assert.ok(chunks.length > 5, `${chunks.length} chunks`);
  const types = chunks.map((c) => c.type);
  assert.equal(types[0], "message_start");
  assert.equal(types[1], "content_block_start");
  assert.deepEqual(types.slice(-3), ["content_block_stop", "message_delta", "message_stop"]);
  assert.ok(types.slice(2, -3).every((t) => t === "content_block_delta"), types.join(","));

  const text = chunks
    .filter((c) => c.type === "content_block_delta")
    .map((c) => {
      assert.equal(c.delta.type, "text_delta");
      return c.delta.text;
    })
    .join("");
  assert.equal(text, whole.content[0].text, "streamed text equals the InvokeModel text");
  assert.equal(chunks[0].message.role, "assistant");
  assert.equal(chunks[0].message.usage.input_tokens, whole.usage.input_tokens);
  assert.equal(chunks.at(-2).delta.stop_reason, "end_turn");
  assert.equal(chunks.at(-2).usage.output_tokens, whole.usage.output_tokens);

  const withMetrics = chunks.filter((c) => "amazon-bedrock-invocationMetrics" in c);
  assert.equal(withMetrics.length, 1, "exactly one chunk carries the invocation metrics");
  const metrics = chunks.at(-1)["amazon-bedrock-invocationMetrics"];
  assert.ok(metrics, "the last chunk carries amazon-bedrock-invocationMetrics");
  assert.equal(metrics.inputTokenCount, whole.usage.input_tokens);
  assert.equal(metrics.outputTokenCount, whole.usage.output_tokens);
  assert.ok(Number.isInteger(metrics.invocationLatency), JSON.stringify(metrics));
  assert.ok(Number.isInteger(metrics.firstByteLatency), JSON.stringify(metrics));
  assert.ok(metrics.firstByteLatency <= metrics.invocationLatency, JSON.stringify(metrics));

  const w = lastWire("InvokeModelWithResponseStreamCommand");
  assert.equal(w.status, 200);
  assert.equal(w.protocol, "h2c", "the streaming call went over cleartext HTTP/2");
});

test("CountTokens agrees with the input usage of the same conversation", async () => {
  const messages = [
    user("What is ownership?"),
    { role: "assistant", content: [{ text: "Ownership is..." }] },
    user("And borrowing?"),
  ];
  const system = [{ text: "Be helpful." }];
  const counted = await client.send(
    new CountTokensCommand({ modelId: HAIKU45, input: { converse: { messages, system } } }),
  );
  assert.equal(counted.$metadata.httpStatusCode, 200);
  assert.ok(counted.inputTokens > 10, `inputTokens ${counted.inputTokens}`);
  const used = await client.send(new ConverseCommand({ modelId: `us.${HAIKU45}`, messages, system }));
  assert.equal(counted.inputTokens, used.usage.inputTokens);

  // The same conversation as a native body counts the same.
  const native = JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 200,
    system: "Be helpful.",
    messages: [{ role: "user", content: "What is ownership?" }],
  });
  const viaInvoke = await client.send(
    new CountTokensCommand({ modelId: HAIKU45, input: { invokeModel: { body: new TextEncoder().encode(native) } } }),
  );
  const viaConverse = await client.send(
    new CountTokensCommand({ modelId: HAIKU45, input: { converse: { messages: [user("What is ownership?")], system } } }),
  );
  assert.ok(viaInvoke.inputTokens > 0);
  assert.equal(viaInvoke.inputTokens, viaConverse.inputTokens);
});

test("an inference profile ARN works as the model id (percent-encoded in the path)", async () => {
  const out = await client.send(new ConverseCommand({ modelId: SONNET45_PROFILE_ARN, messages: [user("hello")] }));
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.ok(converseText(out).length > 0);
  const w = lastWire("ConverseCommand");
  assert.equal(
    w.path,
    `/model/${encodeURIComponent(SONNET45_PROFILE_ARN)}/converse`,
    "the SDK sends the ARN as one percent-encoded path label",
  );
  assert.match(w.path, /%3A/);
  assert.match(w.path, /%2F/);
  const entry = await logEntry(out.$metadata.requestId);
  assert.equal(entry.modelId, SONNET45_PROFILE_ARN, "the endpoint decodes the label back to the ARN");

  const streamed = await client.send(
    new ConverseStreamCommand({ modelId: SONNET45_PROFILE_ARN, messages: [user("hello")] }),
  );
  const s = await collectConverseStream(streamed);
  assert.equal(s.text, converseText(out));
});

test("[[fault:throttle]] is a ThrottlingException with status 429", async () => {
  const noRetry = newClient({ maxAttempts: 1 });
  const err = await noRetry
    .send(new ConverseCommand({ modelId: HAIKU3, messages: [user("hello [[fault:throttle]]")] }))
    .then(
      (out) => assert.fail(`expected a ThrottlingException, got ${JSON.stringify(out.$metadata)}`),
      (e) => e,
    );
  assert.equal(err.name, "ThrottlingException", `${err.name}: ${err.message}`);
  assert.ok(err instanceof ThrottlingException, "a modeled ThrottlingException");
  assert.equal(err.$metadata.httpStatusCode, 429);
  assert.equal(err.$metadata.attempts, 1);
  assert.equal(err.$fault, "client");
  assert.ok(err.message.length > 0);
  const entry = await logEntry(err.$metadata.requestId);
  assert.equal(entry.status, 429);
  assert.equal(entry.error, "ThrottlingException");
});

test("an unknown model id is a ValidationException", async () => {
  const err = await client
    .send(new ConverseCommand({ modelId: "anthropic.claude-nonexistent-v9:0", messages: [user("hello")] }))
    .then(
      (out) => assert.fail(`expected a ValidationException, got ${JSON.stringify(out.$metadata)}`),
      (e) => e,
    );
  assert.equal(err.name, "ValidationException", `${err.name}: ${err.message}`);
  assert.ok(err instanceof ValidationException, "a modeled ValidationException");
  assert.equal(err.message, "The provided model identifier is invalid.");
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.equal(err.$metadata.attempts, 1, "not retried");
  assert.equal(err.$fault, "client");
});

test("[[fault:stream-error-5]] raises modelStreamErrorException mid-stream", async () => {
  const out = await client.send(
    new ConverseStreamCommand({
      modelId: HAIKU3,
      messages: [user("Tell me about streams [[fault:stream-error-5]]")],
    }),
  );
  assert.equal(out.$metadata.httpStatusCode, 200, "the stream itself starts fine");
  const events = [];
  let text = "";
  let err;
  try {
    for await (const ev of out.stream) {
      const [name] = Object.keys(ev).filter((k) => ev[k] !== undefined);
      events.push(name);
      if (name === "contentBlockDelta") text += ev.contentBlockDelta.delta.text;
    }
  } catch (e) {
    err = e;
  }
  assert.ok(err, `the stream ended without an exception after ${JSON.stringify(events)}`);
  assert.equal(err.name, "ModelStreamErrorException", `${err.name}: ${err.message}`);
  assert.ok(err instanceof ModelStreamErrorException, "a modeled ModelStreamErrorException");
  assert.equal(err.originalStatusCode, 500);
  assert.equal(events[0], "messageStart");
  const deltas = events.filter((e) => e === "contentBlockDelta").length;
  assert.equal(deltas, 5, `five one-token deltas before the exception: ${JSON.stringify(text)}`);
  assert.ok(!events.includes("messageStop") && !events.includes("metadata"), events.join(","));
});

test("the default client speaks cleartext HTTP/2 (h2c) to the endpoint for every operation", (t) => {
  const handler = client.config.requestHandler;
  t.diagnostic(`default requestHandler: ${handler?.constructor?.name} ${JSON.stringify(handler?.metadata)}`);
  const byCommand = new Map();
  for (const w of wire) {
    if (!byCommand.has(w.command)) byCommand.set(w.command, new Set());
    byCommand.get(w.command).add(w.protocol);
  }
  for (const [command, protocols] of byCommand) t.diagnostic(`${command}: ${[...protocols].join(", ")}`);
  for (const command of [
    "ConverseCommand",
    "ConverseStreamCommand",
    "CountTokensCommand",
    "InvokeModelCommand",
    "InvokeModelWithResponseStreamCommand",
  ]) {
    assert.ok(byCommand.has(command), `no ${command} response was seen (did its test above fail before sending it?)`);
  }
  const notH2 = wire.filter((w) => w.protocol !== "h2c" || w.pseudoStatus === undefined);
  assert.deepEqual(notH2, [], "every response came over cleartext HTTP/2");
  // Errors travelled the same way.
  assert.ok(wire.some((w) => w.status === 429 && w.protocol === "h2c"), "the 429 came over h2c");
  assert.ok(wire.some((w) => w.status === 400 && w.protocol === "h2c"), "the 400 came over h2c");
});
