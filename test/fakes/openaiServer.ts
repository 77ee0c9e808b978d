/**
 * A loopback stand-in for the OpenAI chat-completions API (and OpenAI-compatible servers). It speaks the
 * real wire format, validates what the SDK sends, and answers from a script so tests can drive retries,
 * rate limits, failover and timeouts. A request with `stream: true` is answered as OpenAI streams:
 * server-sent `chat.completion.chunk` events cut mid-line, a finish_reason, a usage chunk when
 * stream_options.include_usage asks, then `data: [DONE]`. It never touches the network beyond 127.0.0.1.
 */
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";

import { sendJson } from "./http.ts";
import { type RecordedRequest, startScriptedServer } from "./scriptedServer.ts";

export type { RecordedRequest };

/**
 * One scripted answer, used by the next chat-completions request:
 * - `{ status }` an OpenAI-style error (with `retryAfter` / `retryAfterMs` headers when given);
 * - `{ json }` a schema-forced answer (the object, serialised into the message content);
 * - `{ text }` a plain answer;
 * - `{ hang: true }` never answers (the socket stays open until the client aborts or the server closes).
 * With the script empty the server gives a deterministic OK answer.
 */
export type FakeReply =
  | { status: number; retryAfter?: string; retryAfterMs?: string; message?: string }
  | { json: unknown; usage?: { input: number; output: number } }
  | {
      text: string;
      usage?: { input: number; output: number };
      /** Streamed: the connection is cut after this many content chunks (no finish_reason, no [DONE]). */
      dropAfter?: number;
    }
  | { hang: true }
  /** Holds the answer until `gate` resolves, then answers as with an empty script. */
  | { gate: Promise<void> };

export interface FakeOpenAI {
  /** Base URL including /v1, for OPENAI_BASE_URL. */
  url: string;
  requests: RecordedRequest[];
  script(responses: FakeReply[]): void;
  /** Resolves once at least `n` requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/openai/${name}`, import.meta.url), "utf8"));
const COMPLETION_TEMPLATE = fixture("chat-completion.json") as Record<string, unknown>;
const ERRORS = fixture("errors.json") as Record<
  string,
  { message: string; type: string; code: string | null }
>;

const tokens = (text: string): number => Math.ceil(text.length / 4);

/** Why the request would be refused by OpenAI, or undefined when it is well-formed. */
export function validateChatRequest(body: unknown): { message: string; param: string | null } | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { message: "We could not parse the JSON body of your request.", param: null };
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string" || b.model.length === 0) {
    return { message: "you must provide a model parameter", param: "model" };
  }
  if (!Array.isArray(b.messages) || b.messages.length === 0) {
    return { message: "'messages' must contain at least one message.", param: "messages" };
  }
  for (const [i, m] of b.messages.entries()) {
    const msg = m as Record<string, unknown>;
    if (!["system", "user", "assistant"].includes(msg?.role as string)) {
      return { message: `Invalid value for 'messages[${i}].role'.`, param: `messages[${i}].role` };
    }
    if (typeof msg.content !== "string") {
      return {
        message: `Invalid type for 'messages[${i}].content': expected a string.`,
        param: `messages[${i}].content`,
      };
    }
  }
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== "boolean") {
    return { message: "Invalid type for 'stream': expected a boolean.", param: "stream" };
  }
  if (b.stream_options !== undefined && b.stream_options !== null && b.stream !== true) {
    return {
      message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      param: "stream_options",
    };
  }
  for (const key of ["max_tokens", "max_completion_tokens"]) {
    if (b[key] !== undefined && b[key] !== null && !(Number.isInteger(b[key]) && (b[key] as number) > 0)) {
      return { message: `Invalid '${key}': expected a positive integer.`, param: key };
    }
  }
  if (b.max_tokens !== undefined && b.max_completion_tokens !== undefined) {
    return { message: "Use max_tokens or max_completion_tokens, not both.", param: "max_tokens" };
  }
  if (b.response_format !== undefined) {
    const rf = b.response_format as Record<string, unknown>;
    if (rf?.type === "json_schema") {
      const js = rf.json_schema as Record<string, unknown> | undefined;
      if (!js || typeof js.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(js.name)) {
        return {
          message: "Invalid 'response_format.json_schema.name'.",
          param: "response_format.json_schema.name",
        };
      }
      if (typeof js.schema !== "object" || js.schema === null || Array.isArray(js.schema)) {
        return {
          message: "Invalid 'response_format.json_schema.schema'.",
          param: "response_format.json_schema.schema",
        };
      }
      if (js.strict !== undefined && typeof js.strict !== "boolean") {
        return {
          message: "Invalid 'response_format.json_schema.strict'.",
          param: "response_format.json_schema.strict",
        };
      }
      if (js.strict === true) {
        const problem = strictSchemaProblem(js.schema as Record<string, unknown>, "schema");
        if (problem)
          return {
            message: `Invalid schema for response_format '${js.name}': ${problem}`,
            param: "response_format",
          };
      }
    } else if (rf?.type !== "text" && rf?.type !== "json_object") {
      return { message: "Invalid 'response_format.type'.", param: "response_format.type" };
    }
  }
  return undefined;
}

/** Structured Outputs' strict mode: every object closes additionalProperties and requires every property. */
function strictSchemaProblem(schema: Record<string, unknown>, at: string): string | undefined {
  if (schema.type === "object") {
    if (schema.additionalProperties !== false) return `${at}: 'additionalProperties' must be false`;
    const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    const required = Array.isArray(schema.required) ? schema.required : [];
    for (const key of Object.keys(props)) {
      if (!required.includes(key)) return `${at}: 'required' must list every property (missing '${key}')`;
      const inner = props[key];
      const p = inner ? strictSchemaProblem(inner, `${at}.${key}`) : undefined;
      if (p) return p;
    }
  }
  if (schema.type === "array" && typeof schema.items === "object" && schema.items !== null) {
    return strictSchemaProblem(schema.items as Record<string, unknown>, `${at}[]`);
  }
  return undefined;
}

/** A minimal instance of a JSON Schema, for unscripted schema-forced requests. */
export function sampleFromSchema(schema: Record<string, unknown>): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (schema.type) {
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(props)) out[key] = sampleFromSchema(sub);
      return out;
    }
    case "array":
      return [];
    case "number":
    case "integer":
      return typeof schema.minimum === "number" ? schema.minimum : 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return "fake";
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, body, { "x-request-id": `req_fake_${status}`, ...headers });
}

function sendOk(res: ServerResponse, body: unknown): void {
  send(res, 200, body);
}

/** Half of a JSON answer, then the connection cut: a body that never arrives whole. */
function sendCut(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.write(text.slice(0, Math.floor(text.length / 2)), () => res.socket?.destroy());
}

function sendError(
  res: ServerResponse,
  status: number,
  override?: string,
  headers: Record<string, string> = {},
): void {
  const known = ERRORS[String(status)] ?? { message: `HTTP ${status}`, type: "server_error", code: null };
  send(
    res,
    status,
    { error: { ...known, param: null, ...(override ? { message: override } : {}) } },
    headers,
  );
}

/** Pieces of a streamed answer: short and cut mid-word and mid-line, as models stream. */
export function streamPieces(text: string, size = 23): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/** Server-sent chat.completion.chunk events for `content`, as api.openai.com sends them. */
function streamCompletion(
  res: ServerResponse,
  o: {
    id: string;
    model: string;
    content: string;
    usage: { prompt_tokens: number; completion_tokens: number } | undefined;
    dropAfter: number | undefined;
  },
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-request-id": "req_fake_stream",
  });
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({
      id: o.id,
      object: "chat.completion.chunk",
      created: 1763737200,
      model: o.model,
      service_tier: "default",
      system_fingerprint: "fp_fake0001",
      choices,
      ...extra,
    })}\n\n`;
  const delta = (d: Record<string, unknown>, finish: string | null = null) => ({
    index: 0,
    delta: d,
    logprobs: null,
    finish_reason: finish,
  });
  const pieces = streamPieces(o.content);
  if (o.dropAfter !== undefined) {
    // What was written reaches the client, then the connection is cut without finishing the body.
    const sent = pieces.slice(0, o.dropAfter).map((piece) => chunk([delta({ content: piece })]));
    res.write(chunk([delta({ role: "assistant", content: "", refusal: null })]) + sent.join(""), () =>
      res.socket?.destroy(),
    );
    return;
  }
  res.write(chunk([delta({ role: "assistant", content: "", refusal: null })]));
  for (const piece of pieces) res.write(chunk([delta({ content: piece })]));
  res.write(chunk([delta({}, "stop")]));
  if (o.usage) {
    const total = o.usage.prompt_tokens + o.usage.completion_tokens;
    res.write(chunk([], { usage: { ...o.usage, total_tokens: total } }));
  }
  res.end("data: [DONE]\n\n");
}

/** Dimension of the fake's embeddings. */
export const FAKE_EMBEDDING_DIM = 24;

/** A deterministic stand-in vector: word counts hashed into buckets (texts sharing words are close). */
function fakeEmbedding(text: string): number[] {
  const v = new Array<number>(FAKE_EMBEDDING_DIM).fill(0);
  for (const w of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 2166136261;
    for (const ch of w) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    v[h % FAKE_EMBEDDING_DIM] = (v[h % FAKE_EMBEDDING_DIM] ?? 0) + 1;
  }
  return v;
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  let served = 0;

  const base = await startScriptedServer<FakeReply>(async (req, res, call) => {
    const { path, body } = call;
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer \S+/.test(auth)) {
      sendError(res, 401, "You didn't provide an API key.");
      return;
    }
    if (req.method === "GET" && path === "/v1/models") {
      send(res, 200, {
        object: "list",
        data: [{ id: "gpt-4o-mini", object: "model", created: 1721172741, owned_by: "system" }],
      });
      return;
    }
    if (req.method === "POST" && path === "/v1/embeddings") {
      const b = body as { model?: unknown; input?: unknown };
      const input = typeof b?.input === "string" ? [b.input] : b?.input;
      if (typeof b?.model !== "string" || !Array.isArray(input) || input.some((x) => typeof x !== "string")) {
        send(res, 400, {
          error: {
            message: "'input' must be a string or an array of strings",
            type: "invalid_request_error",
            param: "input",
            code: null,
          },
        });
        return;
      }
      send(res, 200, {
        object: "list",
        data: (input as string[]).map((text, index) => ({
          object: "embedding",
          index,
          embedding: fakeEmbedding(text),
        })),
        model: b.model,
        usage: { prompt_tokens: tokens(input.join(" ")), total_tokens: tokens(input.join(" ")) },
      });
      return;
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      sendError(res, 404, `Unknown request URL: ${req.method} ${path}.`);
      return;
    }
    const invalid = validateChatRequest(body);
    if (invalid) {
      send(res, 400, {
        error: { message: invalid.message, type: "invalid_request_error", param: invalid.param, code: null },
      });
      return;
    }

    const b = body as {
      model: string;
      messages: { content: string }[];
      response_format?: { type: string; json_schema?: { schema: Record<string, unknown> } };
      stream?: boolean;
      stream_options?: { include_usage?: boolean };
    };
    const next = call.next();
    if (next && "hang" in next) return; // the client's abort (or close()) ends it
    if (next && "gate" in next) await next.gate;
    const reply = next && "gate" in next ? undefined : next;
    if (reply && "status" in reply) {
      const headers: Record<string, string> = {};
      if (reply.retryAfter !== undefined) headers["retry-after"] = reply.retryAfter;
      if (reply.retryAfterMs !== undefined) headers["retry-after-ms"] = reply.retryAfterMs;
      sendError(res, reply.status, reply.message, headers);
      return;
    }

    let content: string;
    if (reply && "json" in reply) content = JSON.stringify(reply.json);
    else if (reply && "text" in reply) content = reply.text;
    else if (b.response_format?.type === "json_schema" && b.response_format.json_schema) {
      content = JSON.stringify(sampleFromSchema(b.response_format.json_schema.schema));
    } else {
      const last = b.messages.at(-1)?.content ?? "";
      content = `Fake answer from ${b.model} to: ${last.slice(0, 60)}`;
    }
    const promptTokens = reply?.usage?.input ?? tokens(b.messages.map((m) => m.content).join(""));
    const completionTokens = reply?.usage?.output ?? tokens(content);
    served += 1;
    const id = `chatcmpl-fake-${String(served).padStart(4, "0")}`;
    if (b.stream === true) {
      streamCompletion(res, {
        id,
        model: b.model,
        content,
        usage: b.stream_options?.include_usage
          ? { prompt_tokens: promptTokens, completion_tokens: completionTokens }
          : undefined,
        dropAfter: reply && "dropAfter" in reply ? reply.dropAfter : undefined,
      });
      return;
    }
    const template = structuredClone(COMPLETION_TEMPLATE) as {
      choices: { message: { content: string } }[];
      usage: Record<string, unknown>;
    } & Record<string, unknown>;
    const choice = template.choices[0];
    if (choice) choice.message.content = content;
    // A scripted cut applies to a whole answer too: half of its body, then the connection drops.
    const answer = reply && "dropAfter" in reply && reply.dropAfter !== undefined ? sendCut : sendOk;
    answer(res, {
      ...template,
      id,
      model: b.model,
      choices: template.choices,
      usage: {
        ...template.usage,
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  });
  return { ...base, url: `http://127.0.0.1:${base.port}/v1` };
}
