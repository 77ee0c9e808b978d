/**
 * A loopback stand-in for Anthropic's Messages API. It validates what the SDK sends (model, max_tokens,
 * messages, anthropic-version, credentials, tools and tool_choice) and answers from a script; when
 * tool_choice forces a tool it answers with a tool_use block. A request with `stream: true` is answered
 * as the Messages API streams: server-sent message_start, content_block_start, ping, text_delta pieces cut
 * mid-line, content_block_stop, message_delta (stop_reason, usage) and message_stop events. Never
 * touches the network beyond 127.0.0.1.
 */
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";

import { sendJson } from "./http.ts";
import { type RecordedRequest, startScriptedServer } from "./scriptedServer.ts";

export type { RecordedRequest };

/** The same script vocabulary as the OpenAI fake: an error status, a forced-tool JSON answer, text, or a hang. */
export type FakeReply =
  | { status: number; retryAfter?: string; retryAfterMs?: string; message?: string }
  | { json: unknown; usage?: { input: number; output: number } }
  | {
      text: string;
      usage?: { input: number; output: number };
      /** Streamed: the connection is cut after this many text deltas (no message_stop). */
      dropAfter?: number;
    }
  | { hang: true };

export interface FakeAnthropic {
  /** Base URL for ANTHROPIC_BASE_URL (the SDK appends /v1/messages). */
  url: string;
  requests: RecordedRequest[];
  script(responses: FakeReply[]): void;
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/anthropic/${name}`, import.meta.url), "utf8"));
const MESSAGE_TEMPLATE = fixture("message.json") as Record<string, unknown>;
const ERRORS = fixture("errors.json") as Record<string, { type: string; message: string }>;

const tokens = (text: string): number => Math.ceil(text.length / 4);

interface Tool {
  name: string;
  input_schema: Record<string, unknown>;
}

/** Why the Messages API would refuse this body, or undefined. */
export function validateMessagesRequest(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "body: expected a JSON object";
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string" || b.model.length === 0) return "model: Field required";
  if (!Number.isInteger(b.max_tokens) || (b.max_tokens as number) < 1)
    return "max_tokens: Field required (a positive integer)";
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    return "messages: at least one message is required";
  for (const [i, m] of b.messages.entries()) {
    const msg = m as Record<string, unknown>;
    if (msg?.role !== "user" && msg?.role !== "assistant")
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const ok =
      typeof msg.content === "string" ||
      (Array.isArray(msg.content) &&
        msg.content.every((c) => typeof (c as { type?: unknown })?.type === "string"));
    if (!ok) return `messages.${i}.content: expected a string or an array of content blocks`;
  }
  if ((b.messages[0] as { role: string }).role !== "user")
    return 'messages: first message must use the "user" role';
  if (b.system !== undefined && typeof b.system !== "string" && !Array.isArray(b.system)) {
    return "system: expected a string or an array of text blocks";
  }
  if (b.stream !== undefined && typeof b.stream !== "boolean")
    return "stream: Input should be a valid boolean";
  const tools = (b.tools ?? []) as Tool[];
  if (!Array.isArray(tools)) return "tools: expected an array";
  for (const [i, t] of tools.entries()) {
    if (typeof t?.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(t.name))
      return `tools.${i}.name: invalid`;
    if (t.input_schema?.type !== "object") return `tools.${i}.input_schema.type: Input should be 'object'`;
  }
  if (b.tool_choice !== undefined) {
    const tc = b.tool_choice as { type?: unknown; name?: unknown };
    if (!["auto", "any", "tool", "none"].includes(tc?.type as string)) return "tool_choice.type: invalid";
    if (tc.type === "tool" && !tools.some((t) => t.name === tc.name)) {
      return `tool_choice.name: no tool named '${String(tc.name)}' in tools`;
    }
  }
  return undefined;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, body, { "request-id": `req_fake_${status}`, ...headers });
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
  const known = ERRORS[String(status)] ?? { type: "api_error", message: `HTTP ${status}` };
  send(
    res,
    status,
    { type: "error", error: { ...known, ...(override ? { message: override } : {}) } },
    headers,
  );
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((c) => (c as { text?: string }).text ?? "").join("");
  return "";
}

/** Pieces of a streamed answer: short and cut mid-word and mid-line, as models stream. */
function streamPieces(text: string, size = 19): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/** Server-sent Messages API events for one text answer, as api.anthropic.com sends them. */
function streamMessage(
  res: ServerResponse,
  o: { message: Record<string, unknown>; text: string; outputTokens: number; dropAfter: number | undefined },
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "request-id": "req_fake_stream",
  });
  const event = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const opening =
    event("message_start", { message: o.message }) +
    event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }) +
    event("ping", {});
  const deltas = streamPieces(o.text).map((text) =>
    event("content_block_delta", { index: 0, delta: { type: "text_delta", text } }),
  );
  if (o.dropAfter !== undefined) {
    // What was written reaches the client, then the connection is cut without finishing the body.
    res.write(opening + deltas.slice(0, o.dropAfter).join(""), () => res.socket?.destroy());
    return;
  }
  res.write(opening);
  for (const d of deltas) res.write(d);
  res.end(
    event("content_block_stop", { index: 0 }) +
      event("message_delta", {
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: o.outputTokens },
      }) +
      event("message_stop", {}),
  );
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  let served = 0;

  const base = await startScriptedServer<FakeReply>(async (req, res, call) => {
    const { path, body } = call;
    // The API takes x-api-key; SDK 1.x sends the key as `Authorization: Bearer`, which it also accepts.
    const credential = req.headers["x-api-key"] ?? req.headers.authorization?.replace(/^Bearer\s+/, "");
    if (!credential) {
      sendError(res, 401, "x-api-key header is required");
      return;
    }
    if (!req.headers["anthropic-version"]) {
      sendError(res, 400, "anthropic-version: header is required");
      return;
    }
    if (req.method === "GET" && path === "/v1/models") {
      send(res, 200, {
        data: [
          {
            type: "model",
            id: "claude-sonnet-5",
            display_name: "Claude Sonnet 5",
            created_at: "2026-06-01T00:00:00Z",
          },
        ],
        has_more: false,
        first_id: "claude-sonnet-5",
        last_id: "claude-sonnet-5",
      });
      return;
    }
    if (req.method !== "POST" || path !== "/v1/messages") {
      sendError(res, 404, `Not found: ${req.method} ${path}`);
      return;
    }
    const invalid = validateMessagesRequest(body);
    if (invalid) {
      sendError(res, 400, invalid);
      return;
    }

    const b = body as {
      model: string;
      system?: unknown;
      messages: { content: unknown }[];
      tools?: Tool[];
      tool_choice?: { type: string; name?: string };
      stream?: boolean;
    };
    const reply = call.next();
    if (reply && "hang" in reply) return;
    if (reply && "status" in reply) {
      const headers: Record<string, string> = {};
      if (reply.retryAfter !== undefined) headers["retry-after"] = reply.retryAfter;
      if (reply.retryAfterMs !== undefined) headers["retry-after-ms"] = reply.retryAfterMs;
      sendError(res, reply.status, reply.message, headers);
      return;
    }

    const forced =
      b.tool_choice?.type === "tool" ? b.tools?.find((t) => t.name === b.tool_choice?.name) : undefined;
    served += 1;
    let content: unknown[];
    let outText: string;
    if (forced) {
      const input = reply && "json" in reply ? reply.json : {};
      outText = JSON.stringify(input);
      content = [
        { type: "tool_use", id: `toolu_fake_${String(served).padStart(4, "0")}`, name: forced.name, input },
      ];
    } else {
      outText =
        reply && "text" in reply
          ? reply.text
          : reply && "json" in reply
            ? JSON.stringify(reply.json)
            : `Fake answer from ${b.model} to: ${textOf(b.messages.at(-1)?.content).slice(0, 60)}`;
      content = [{ type: "text", text: outText, citations: null }];
    }
    const inputTokens =
      reply && "usage" in reply && reply.usage
        ? reply.usage.input
        : tokens(textOf(b.system) + b.messages.map((m) => textOf(m.content)).join(""));
    const outputTokens = reply && "usage" in reply && reply.usage ? reply.usage.output : tokens(outText);
    const template = structuredClone(MESSAGE_TEMPLATE) as { usage: Record<string, unknown> } & Record<
      string,
      unknown
    >;
    if (b.stream === true && !forced) {
      streamMessage(res, {
        message: {
          ...template,
          id: `msg_fake_${String(served).padStart(4, "0")}`,
          model: b.model,
          content: [],
          stop_reason: null,
          usage: { ...template.usage, input_tokens: inputTokens, output_tokens: 1 },
        },
        text: outText,
        outputTokens,
        dropAfter: reply && "dropAfter" in reply ? reply.dropAfter : undefined,
      });
      return;
    }
    // A scripted cut applies to a whole answer too: half of its body, then the connection drops.
    const answer = reply && "dropAfter" in reply && reply.dropAfter !== undefined ? sendCut : sendOk;
    answer(res, {
      ...template,
      id: `msg_fake_${String(served).padStart(4, "0")}`,
      model: b.model,
      content,
      stop_reason: forced ? "tool_use" : "end_turn",
      usage: { ...template.usage, input_tokens: inputTokens, output_tokens: outputTokens },
    });
  });
  return { ...base, url: `http://127.0.0.1:${base.port}` };
}
