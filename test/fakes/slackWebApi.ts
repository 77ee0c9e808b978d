/**
 * A fake Slack Web API on 127.0.0.1: a real HTTP server speaking Slack's wire format (POST, form-encoded
 * or JSON, bearer token, `{ ok, ... }` answers), so tests drive it with the real WebClient. It checks
 * what Slack checks that matters here (Block Kit limits, required arguments, known ids), refuses any
 * message that names a workspace member by email (close() then fails the test), and records every call. Its limits are restated from Slack's docs, not imported from src/, so it cannot agree
 * with a bug in the code under test. Over 500 lines because it is one server with one handler per Web
 * API method the bot calls, plus Slack's Block Kit and modal limits those handlers check.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeSlackCall {
  method: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface FakeSlackUser {
  name: string;
  realName?: string;
  email?: string;
}

export interface FakeSlackUsergroup {
  id: string;
  handle: string;
  name: string;
  users: string[];
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  threadTs: string | undefined;
  reactions: string[];
  updates: number;
  /** A streamed message (chat.startStream): "streaming" until chat.stopStream, then "stopped". */
  stream?: "streaming" | "stopped";
  /** Its markdown, as appended. */
  streamed?: string;
  /** chat.appendStream calls it took. */
  appends?: number;
  /** Message metadata ({event_type, event_payload}), as posted. */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/** Slack's rule for message metadata: an alphanumeric event_type and an object payload. */
function metadataError(m: unknown): boolean {
  if (m === undefined) return false;
  const v = m as { event_type?: unknown; event_payload?: unknown };
  return (
    typeof v !== "object" ||
    v === null ||
    typeof v.event_type !== "string" ||
    !/^[A-Za-z0-9_]+$/.test(v.event_type) ||
    typeof v.event_payload !== "object" ||
    v.event_payload === null
  );
}

export interface FakeSlackUpload {
  fileId: string;
  filename: string;
  length: number;
  bytes: Buffer | undefined;
  completed: boolean;
  channelId: string | undefined;
  threadTs: string | undefined;
  title: string | undefined;
}

export interface FakeSlackFailure {
  /** HTTP status; 429 by default when retryAfter is given, else 200 (an `ok: false` answer). */
  status?: number;
  /** Seconds, sent as the Retry-After header. */
  retryAfter?: number;
  /** The `error` string; "ratelimited" for a 429. */
  error?: string;
}

export interface FakeSlackOptions {
  /** The bot token the fake accepts; any non-empty bearer token when unset. */
  token?: string;
  users?: Record<string, FakeSlackUser>;
  usergroups?: FakeSlackUsergroup[];
  /** Text characters per message; our safety margin (12000) under Slack's ~13k. */
  maxMessageChars?: number;
  /** The app-level token apps.connections.open accepts (Socket Mode); none when unset. */
  appToken?: string;
}

export interface FakeSlack {
  /** Base URL ending in /api/, for WebClient's slackApiUrl. */
  url: string;
  calls: FakeSlackCall[];
  messages: FakeSlackMessage[];
  uploads: FakeSlackUpload[];
  /** The Home tab view last published per user id. */
  homeViews: Map<string, Record<string, unknown>>;
  /** Modals opened with views.open, in order, with the id the fake gave each. */
  openedViews: { id: string; triggerId: string; view: Record<string, unknown> }[];
  /** The next call to `method` fails this way (queued: call twice to fail twice). */
  failNext(method: string, failure: FakeSlackFailure): void;
  /** Calls to one method, in order. */
  callsTo(method: string): FakeSlackCall[];
  /**
   * Resolves with the first call to `method` (past or future) that `match` accepts: tests wait on an
   * arrival another process causes, never on a timer.
   */
  waitForCall(method: string, match?: (call: FakeSlackCall) => boolean): Promise<FakeSlackCall>;
  /** Calls refused because they named a workspace member by email; close() throws when any. */
  emailLeaks: { method: string; email: string }[];
  /** Answers `method` with `handler` from now on (apps.connections.open for the Socket Mode fake). */
  handle(method: string, handler: (body: Record<string, unknown>) => Record<string, unknown>): void;
  close(): Promise<void>;
}

const DEFAULT_USERS: Record<string, FakeSlackUser> = {
  U0OPERATOR: { name: "operator", realName: "Olive Operator", email: "operator@example.com" },
  U0APPROVER: { name: "approver", realName: "Abe Approver", email: "approver@example.com" },
};

const DEFAULT_USERGROUPS: FakeSlackUsergroup[] = [
  { id: "S0OPERATORS", handle: "operators", name: "Operators", users: ["U0OPERATOR"] },
  { id: "S0APPROVERS", handle: "approvers", name: "Approvers", users: ["U0APPROVER", "U0OPERATOR"] },
];

/** Methods whose arguments a person sees: messages, streams, views and file comments. */
const SHOWN_METHODS = new Set([
  "chat.postMessage",
  "chat.postEphemeral",
  "chat.update",
  "chat.startStream",
  "chat.appendStream",
  "chat.stopStream",
  "views.open",
  "views.update",
  "views.push",
  "views.publish",
  "files.completeUploadExternal",
]);

/** Arguments that travel as JSON strings inside form-encoded bodies. */
const JSON_ARGS = new Set(["blocks", "attachments", "view", "files", "metadata"]);

type Answer = { status?: number; headers?: Record<string, string>; body: Record<string, unknown> };
type Handler = (body: Record<string, unknown>) => Answer;

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const users = opts.users ?? DEFAULT_USERS;
  const usergroups = opts.usergroups ?? DEFAULT_USERGROUPS;
  const maxMessageChars = opts.maxMessageChars ?? 12000;
  const calls: FakeSlackCall[] = [];
  const messages: FakeSlackMessage[] = [];
  const uploads: FakeSlackUpload[] = [];
  const homeViews = new Map<string, Record<string, unknown>>();
  const openedViews: { id: string; triggerId: string; view: Record<string, unknown> }[] = [];
  // A trigger_id may be exchanged for a view once.
  const usedTriggers = new Set<string>();
  const failures = new Map<string, FakeSlackFailure[]>();
  const dms = new Map<string, string>();
  let seq = 0;
  let origin = "";

  // Deterministic message timestamps in Slack's "seconds.micro" shape.
  const nextTs = () => `1790000000.${String(++seq).padStart(6, "0")}`;
  const ok = (extra: Record<string, unknown> = {}): Answer => ({ body: { ok: true, ...extra } });
  const fail = (error: string, extra: Record<string, unknown> = {}): Answer => ({
    body: { ok: false, error, ...extra },
  });
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  const findMessage = (channel: unknown, ts: unknown) =>
    messages.find((m) => m.channel === channel && m.ts === ts);

  function blocksError(blocks: unknown, maxBlocks: number, maxChars: number): string[] | undefined {
    if (blocks === undefined) return undefined;
    if (!Array.isArray(blocks)) return ["blocks must be an array"];
    const errors = blockLimitErrors(blocks, maxBlocks);
    const chars = textLength(blocks);
    if (chars > maxChars) errors.push(`message text totals ${chars} characters, over ${maxChars}`);
    return errors.length > 0 ? errors : undefined;
  }

  function invalidBlocks(errors: string[]): Answer {
    return fail("invalid_blocks", {
      errors,
      response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
    });
  }

  const handlers: Record<string, Handler> = {
    "auth.test": () =>
      ok({
        url: "https://maos-test.slack.com/",
        team: "MAOS Test",
        user: "codex",
        team_id: "T0MAOS",
        user_id: "U0CODEX",
        bot_id: "B0CODEX",
      }),

    "chat.postMessage": (b) => {
      const channel = str(b.channel);
      if (!channel) return fail("channel_not_found");
      if (!str(b.text) && b.blocks === undefined && b.attachments === undefined) return fail("no_text");
      if (typeof b.text === "string" && b.text.length > 40000) return fail("msg_too_long");
      const errors = blocksError(b.blocks, 50, maxMessageChars);
      if (errors) return invalidBlocks(errors);
      const threadTs = str(b.thread_ts);
      if (threadTs && !findMessage(channel, threadTs)) return fail("thread_not_found");
      if (metadataError(b.metadata)) return fail("invalid_metadata_format");
      const msg: FakeSlackMessage = {
        channel,
        ts: nextTs(),
        text: str(b.text),
        blocks: b.blocks as unknown[] | undefined,
        threadTs,
        reactions: [],
        updates: 0,
        ...(b.metadata ? { metadata: b.metadata as FakeSlackMessage["metadata"] & object } : {}),
      };
      messages.push(msg);
      return ok({
        channel,
        ts: msg.ts,
        message: {
          type: "message",
          bot_id: "B0CODEX",
          text: msg.text ?? "",
          blocks: msg.blocks,
          ts: msg.ts,
          thread_ts: threadTs,
        },
      });
    },

    "chat.update": (b) => {
      const msg = findMessage(b.channel, b.ts);
      if (!str(b.channel) || !str(b.ts) || !msg) return fail("message_not_found");
      if (!str(b.text) && b.blocks === undefined) return fail("no_text");
      const errors = blocksError(b.blocks, 50, maxMessageChars);
      if (errors) return invalidBlocks(errors);
      msg.text = str(b.text);
      msg.blocks = b.blocks as unknown[] | undefined;
      msg.updates++;
      return ok({
        channel: msg.channel,
        ts: msg.ts,
        text: msg.text ?? "",
        message: { text: msg.text ?? "", blocks: msg.blocks },
      });
    },

    // Text streaming (docs.slack.dev chat.startStream / appendStream / stopStream): a reply in a
    // thread; outside a DM the recipient user and team are required; markdown_text at most 12,000.
    "chat.startStream": (b) => {
      const channel = str(b.channel);
      if (!channel) return fail("channel_not_found");
      const threadTs = str(b.thread_ts);
      if (!threadTs || !findMessage(channel, threadTs)) return fail("invalid_thread_ts");
      if (!channel.startsWith("D") && (!str(b.recipient_user_id) || !str(b.recipient_team_id)))
        return fail("missing_recipient_team_id");
      const text = b.markdown_text;
      if (text !== undefined && (typeof text !== "string" || text.length > 12000))
        return fail("invalid_arguments");
      if (text === undefined && b.chunks === undefined) return fail("invalid_arguments");
      const msg: FakeSlackMessage = {
        channel,
        ts: nextTs(),
        text: undefined,
        blocks: undefined,
        threadTs,
        reactions: [],
        updates: 0,
        stream: "streaming",
        streamed: typeof text === "string" ? text : "",
        appends: 0,
      };
      messages.push(msg);
      return ok({ channel, ts: msg.ts });
    },

    "chat.appendStream": (b) => {
      const msg = findMessage(b.channel, b.ts);
      if (!msg) return fail("message_not_found");
      if (msg.stream !== "streaming") return fail("message_not_in_streaming_state");
      const text = b.markdown_text;
      if (typeof text !== "string" || text.length === 0 || text.length > 12000)
        return fail("invalid_arguments");
      msg.streamed = `${msg.streamed ?? ""}${text}`;
      msg.appends = (msg.appends ?? 0) + 1;
      return ok({ channel: msg.channel, ts: msg.ts });
    },

    "chat.stopStream": (b) => {
      const msg = findMessage(b.channel, b.ts);
      if (!msg) return fail("message_not_found");
      if (msg.stream !== "streaming") return fail("message_not_in_streaming_state");
      const text = b.markdown_text;
      if (text !== undefined && (typeof text !== "string" || text.length > 12000))
        return fail("invalid_arguments");
      const errors = blocksError(b.blocks, 50, maxMessageChars);
      if (errors) return invalidBlocks(errors);
      if (typeof text === "string") msg.streamed = `${msg.streamed ?? ""}${text}`;
      msg.stream = "stopped";
      return ok({ channel: msg.channel, ts: msg.ts, message: { text: msg.streamed } });
    },

    "chat.postEphemeral": (b) => {
      if (!str(b.channel)) return fail("channel_not_found");
      if (!str(b.user)) return fail("user_not_in_channel");
      if (!str(b.text) && b.blocks === undefined) return fail("no_text");
      const errors = blocksError(b.blocks, 50, maxMessageChars);
      if (errors) return invalidBlocks(errors);
      return ok({ message_ts: nextTs() });
    },

    "views.publish": (b) => {
      const userId = str(b.user_id);
      if (!userId)
        return fail("invalid_arguments", { response_metadata: { messages: ["[ERROR] missing user_id"] } });
      const view = b.view;
      if (!view || typeof view !== "object")
        return fail("invalid_arguments", { response_metadata: { messages: ["[ERROR] missing view"] } });
      const v = view as Record<string, unknown>;
      const errors: string[] = [];
      if (v.type !== "home")
        errors.push(`view type must be "home" to publish, got ${JSON.stringify(v.type)}`);
      errors.push(...(blocksError(v.blocks ?? [], 100, Number.POSITIVE_INFINITY) ?? []));
      if (errors.length > 0)
        return fail("invalid_arguments", {
          response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
        });
      homeViews.set(userId, v);
      return ok({ view: { id: `V${String(++seq).padStart(8, "0")}`, team_id: "T0MAOS", ...v } });
    },

    "views.open": (b) => {
      const triggerId = str(b.trigger_id);
      if (!triggerId) {
        return fail("invalid_arguments", { response_metadata: { messages: ["[ERROR] missing trigger_id"] } });
      }
      // Slack: 'The expected format for the trigger_id argument is "132456.7890123.abcdef"'.
      if (!/^\d+\.\d+\.[0-9a-f]+$/.test(triggerId)) return fail("invalid_trigger_id");
      if (usedTriggers.has(triggerId)) return fail("exchanged_trigger_id");
      const view = b.view;
      if (!view || typeof view !== "object" || Array.isArray(view)) {
        return fail("invalid_arguments", { response_metadata: { messages: ["[ERROR] missing view"] } });
      }
      if (JSON.stringify(view).length > 250 * 1024) return fail("view_too_large");
      const errors = modalErrors(view as Record<string, unknown>);
      if (errors.length > 0) {
        return fail("invalid_arguments", {
          response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
        });
      }
      usedTriggers.add(triggerId);
      const id = `V${String(++seq).padStart(8, "0")}`;
      openedViews.push({ id, triggerId, view: view as Record<string, unknown> });
      return ok({
        view: { id, team_id: "T0MAOS", state: { values: {} }, ...(view as Record<string, unknown>) },
      });
    },

    "users.info": (b) => {
      const id = str(b.user);
      const user = id ? users[id] : undefined;
      if (!id || !user) return fail("user_not_found");
      const profile: Record<string, unknown> = {
        real_name: user.realName ?? user.name,
        display_name: user.name,
      };
      if (user.email) profile.email = user.email;
      return ok({
        user: {
          id,
          team_id: "T0MAOS",
          name: user.name,
          real_name: user.realName ?? user.name,
          is_bot: false,
          profile,
        },
      });
    },

    "usergroups.list": (b) => {
      const includeUsers = b.include_users === true || b.include_users === "true";
      return ok({
        usergroups: usergroups.map((g) => ({
          id: g.id,
          team_id: "T0MAOS",
          handle: g.handle,
          name: g.name,
          user_count: g.users.length,
          ...(includeUsers ? { users: g.users } : {}),
        })),
      });
    },

    "usergroups.users.list": (b) => {
      const group = usergroups.find((g) => g.id === b.usergroup);
      return group ? ok({ users: group.users }) : fail("no_such_subteam");
    },

    "reactions.add": (b) => {
      const name = str(b.name);
      if (!name || !/^[a-z0-9_+'-]+$/.test(name)) return fail("invalid_name");
      const msg = findMessage(b.channel, b.timestamp);
      if (!msg) return fail("message_not_found");
      if (msg.reactions.includes(name)) return fail("already_reacted");
      msg.reactions.push(name);
      return ok();
    },

    "files.getUploadURLExternal": (b) => {
      const filename = str(b.filename);
      const length = Number(b.length);
      if (!filename || !Number.isInteger(length) || length < 1) return fail("invalid_arguments");
      const fileId = `F${String(++seq).padStart(8, "0")}`;
      uploads.push({
        fileId,
        filename,
        length,
        bytes: undefined,
        completed: false,
        channelId: undefined,
        threadTs: undefined,
        title: undefined,
      });
      return ok({ upload_url: `${origin}/upload/${fileId}`, file_id: fileId });
    },

    "files.completeUploadExternal": (b) => {
      if (!Array.isArray(b.files) || b.files.length === 0) return fail("invalid_arguments");
      const done: Record<string, unknown>[] = [];
      for (const f of b.files as { id?: unknown; title?: unknown }[]) {
        const up = uploads.find((u) => u.fileId === f.id);
        if (!up?.bytes) return fail("file_not_found");
        if (up.bytes.length !== up.length) return fail("file_upload_size_mismatch");
        up.completed = true;
        up.channelId = str(b.channel_id);
        up.threadTs = str(b.thread_ts);
        up.title = str(f.title);
        done.push({ id: up.fileId, name: up.filename, title: up.title ?? up.filename, size: up.length });
      }
      return ok({ files: done });
    },

    "conversations.open": (b) => {
      const list = str(b.users);
      if (!list) return fail("users_list_not_supplied");
      const ids = list.split(",").map((u) => u.trim());
      const unknown = ids.find((u) => !users[u]);
      if (unknown) return fail("user_not_found");
      const key = [...ids].sort().join(",");
      let id = dms.get(key);
      if (!id) {
        id = `D${String(dms.size + 1).padStart(8, "0")}`;
        dms.set(key, id);
      }
      return ok({ channel: { id } });
    },
  };

  /**
   * People are named in Slack as mentions or display names, never by email (issue 12): a message that
   * carries a workspace member's email is refused, and close() fails the test that sent it.
   */
  const emails = Object.values(users).flatMap((u) => (u.email ? [u.email.toLowerCase()] : []));
  const emailLeaks: { method: string; email: string }[] = [];
  const callWaiters: {
    method: string;
    match: (c: FakeSlackCall) => boolean;
    resolve: (c: FakeSlackCall) => void;
  }[] = [];
  function personEmailIn(method: string, body: Record<string, unknown>): string | undefined {
    if (!SHOWN_METHODS.has(method)) return undefined;
    const shown = JSON.stringify([
      body.text,
      body.blocks,
      body.markdown_text,
      body.view,
      body.initial_comment,
      body.title,
      body.files,
    ]).toLowerCase();
    return emails.find((e) => shown.includes(e));
  }

  function authError(
    method: string,
    headers: Record<string, string>,
    body: Record<string, unknown>,
  ): string | undefined {
    const bearer = headers.authorization?.match(/^Bearer (\S+)$/)?.[1];
    const token = bearer ?? str(body.token);
    if (!token) return "not_authed";
    // apps.connections.open takes only the app-level token; every other method only the bot token.
    if (method === "apps.connections.open") {
      if (!token.startsWith("xapp-")) return "not_allowed_token_type";
      return opts.appToken !== undefined && token !== opts.appToken ? "invalid_auth" : undefined;
    }
    if (token.startsWith("xapp-")) return "not_allowed_token_type";
    if (opts.token !== undefined && token !== opts.token) return "invalid_auth";
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const headers = flatHeaders(req);
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;

    const upload = path.match(/^\/upload\/(F\w+)$/);
    if (req.method === "POST" && upload) {
      const up = uploads.find((u) => u.fileId === upload[1]);
      const bytes = await uploadedBytes(raw, headers["content-type"]);
      calls.push({ method: "upload", body: { file_id: upload[1], length: bytes.length }, headers });
      if (!up) return send(res, { status: 404, body: { ok: false, error: "file_not_found" } });
      up.bytes = bytes;
      res.writeHead(200, { "content-type": "text/plain" }).end(`OK - ${bytes.length}`);
      return;
    }

    // A slash command's response_url (hooks.slack.com/commands/…): JSON in, "ok" out, no token (the URL
    // itself is the secret). Recorded as calls to "response_url".
    if (req.method === "POST" && path.startsWith("/commands/")) {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      } catch {
        return send(res, { status: 400, body: { ok: false, error: "invalid_json" } });
      }
      calls.push({ method: "response_url", body, headers });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }

    const api = path.match(/^\/api\/([\w.]+)$/);
    if (req.method !== "POST" || !api?.[1])
      return send(res, { status: 404, body: { ok: false, error: "not_found" } });
    const method = api[1];
    const body = parseArgs(raw, headers["content-type"]);
    const call = { method, body, headers };
    calls.push(call);
    for (const w of [...callWaiters]) {
      if (w.method === method && w.match(call)) {
        callWaiters.splice(callWaiters.indexOf(w), 1);
        w.resolve(call);
      }
    }

    const failure = failures.get(method)?.shift();
    if (failure) {
      const status = failure.status ?? (failure.retryAfter !== undefined ? 429 : 200);
      const extra: Record<string, string> =
        failure.retryAfter !== undefined ? { "retry-after": String(failure.retryAfter) } : {};
      return send(res, {
        status,
        headers: extra,
        body: { ok: false, error: failure.error ?? (status === 429 ? "ratelimited" : "fatal_error") },
      });
    }
    const handler = handlers[method];
    if (!handler) return send(res, fail("unknown_method"));
    const auth = authError(method, headers, body);
    if (auth) return send(res, fail(auth));
    const email = personEmailIn(method, body);
    if (email) {
      emailLeaks.push({ method, email });
      return send(res, fail("fake_refuses_person_email", { detail: `${method} names ${email}` }));
    }
    send(res, handler(body));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      send(res, { status: 500, body: { ok: false, error: "fake_slack_crashed", detail: String(err) } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}/api/`,
    calls,
    messages,
    uploads,
    homeViews,
    openedViews,
    failNext(method, failure) {
      const queue = failures.get(method) ?? [];
      queue.push(failure);
      failures.set(method, queue);
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    handle(method, handler) {
      handlers[method] = (b) => ok(handler(b));
    },
    emailLeaks,
    waitForCall(method, match = () => true) {
      const seen = calls.find((c) => c.method === method && match(c));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => callWaiters.push({ method, match, resolve }));
    },
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      if (emailLeaks.length > 0) {
        const list = emailLeaks.map((l) => `${l.method} (${l.email})`).join(", ");
        throw new Error(`the bot named people by email in Slack messages: ${list}`);
      }
    },
  };
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  res.writeHead(answer.status ?? 200, {
    "content-type": "application/json; charset=utf-8",
    ...answer.headers,
  });
  res.end(JSON.stringify(answer.body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function parseArgs(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = raw.toString("utf8");
  if (contentType?.startsWith("application/json")) {
    try {
      const parsed: unknown = JSON.parse(text);
      return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
    } catch {
      return { _unparseable: text };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (JSON_ARGS.has(k)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // Slack refuses it later as the wrong type; keep the raw string for the assertion.
      }
    }
    out[k] = v;
  }
  return out;
}

/** The file bytes of an upload: the first file part of a multipart body, else the raw body. */
async function uploadedBytes(raw: Buffer, contentType: string | undefined): Promise<Buffer> {
  if (!contentType?.startsWith("multipart/form-data")) return raw;
  const form = await new Response(new Uint8Array(raw), {
    headers: { "content-type": contentType },
  }).formData();
  for (const value of form.values()) {
    if (typeof value !== "string") return Buffer.from(await value.arrayBuffer());
  }
  return Buffer.alloc(0);
}

/** Slack's per-block limits (docs.slack.dev/reference/block-kit/blocks), restated independently of src/. */
function blockLimitErrors(blocks: unknown[], maxBlocks: number): string[] {
  const errors: string[] = [];
  if (blocks.length > maxBlocks) errors.push(`${blocks.length} blocks, over ${maxBlocks}`);
  let markdownChars = 0;
  blocks.forEach((block, i) => {
    const at = `blocks[${i}]`;
    if (!block || typeof block !== "object") {
      errors.push(`${at} is not an object`);
      return;
    }
    const b = block as Record<string, unknown>;
    const textOf = (o: unknown) =>
      o && typeof o === "object" && typeof (o as { text?: unknown }).text === "string"
        ? (o as { text: string }).text
        : undefined;
    switch (b.type) {
      case "header": {
        const t = textOf(b.text);
        if (t === undefined || t.length === 0 || t.length > 150)
          errors.push(`${at} header text must be 1-150 characters`);
        break;
      }
      case "section": {
        const t = textOf(b.text);
        const fields = Array.isArray(b.fields) ? b.fields : undefined;
        if (t === undefined && !fields) errors.push(`${at} section needs text or fields`);
        if (t !== undefined && (t.length === 0 || t.length > 3000))
          errors.push(`${at} section text must be 1-3000 characters`);
        if (fields && (fields.length > 10 || fields.some((f) => (textOf(f)?.length ?? 0) > 2000))) {
          errors.push(`${at} section fields: at most 10, each at most 2000 characters`);
        }
        break;
      }
      case "context": {
        const els = Array.isArray(b.elements) ? b.elements : [];
        if (els.length === 0 || els.length > 10) errors.push(`${at} context needs 1-10 elements`);
        break;
      }
      case "actions": {
        const els = Array.isArray(b.elements) ? b.elements : [];
        if (els.length === 0 || els.length > 25) errors.push(`${at} actions needs 1-25 elements`);
        for (const el of els) {
          const label = textOf((el as { text?: unknown }).text);
          if (label !== undefined && label.length > 75) errors.push(`${at} button text over 75 characters`);
        }
        break;
      }
      case "markdown": {
        const t = typeof b.text === "string" ? b.text : undefined;
        if (t === undefined || t.length === 0 || t.length > 12000)
          errors.push(`${at} markdown text must be 1-12000 characters`);
        markdownChars += t?.length ?? 0;
        break;
      }
      case "divider":
      case "image":
      case "rich_text":
      case "input":
        break;
      default:
        errors.push(`${at} unknown block type ${JSON.stringify(b.type)}`);
    }
  });
  if (markdownChars > 12000) errors.push(`markdown blocks total ${markdownChars} characters, over 12000`);
  return errors;
}

/** Every text object's `text` (mrkdwn or plain_text) anywhere under `value`. */
function textLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textLength(v), 0);
  if (!value || typeof value !== "object") return 0;
  const o = value as Record<string, unknown>;
  let n =
    (o.type === "mrkdwn" || o.type === "plain_text" || o.type === "markdown") && typeof o.text === "string"
      ? o.text.length
      : 0;
  for (const [k, v] of Object.entries(o)) if (!(k === "text" && typeof v === "string")) n += textLength(v);
  return n;
}

/**
 * A modal as views.open checks it (docs.slack.dev/reference/views/modal-views and the input block and
 * plain_text_input element pages), restated independently of src/.
 */
function modalErrors(v: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const plainText = (o: unknown, max: number, what: string, required: boolean) => {
    if (o === undefined) {
      if (required) errors.push(`${what} is required`);
      return;
    }
    const t = o as { type?: unknown; text?: unknown };
    if (t.type !== "plain_text") errors.push(`${what} must be a plain_text object`);
    if (typeof t.text !== "string" || t.text.length === 0 || t.text.length > max)
      errors.push(`${what} text must be 1-${max} characters`);
  };
  if (v.type !== "modal") errors.push(`view type must be "modal", got ${JSON.stringify(v.type)}`);
  plainText(v.title, 24, "title", true);
  plainText(v.close, 24, "close", false);
  plainText(v.submit, 24, "submit", false);
  for (const key of ["callback_id", "external_id"]) {
    if (v[key] !== undefined && (typeof v[key] !== "string" || (v[key] as string).length > 255))
      errors.push(`${key} must be a string of at most 255 characters`);
  }
  if (
    v.private_metadata !== undefined &&
    (typeof v.private_metadata !== "string" || v.private_metadata.length > 3000)
  )
    errors.push("private_metadata must be a string of at most 3000 characters");
  if (!Array.isArray(v.blocks)) {
    errors.push("blocks must be an array");
    return errors;
  }
  errors.push(...blockLimitErrors(v.blocks, 100));
  const blockIds = new Set<string>();
  let inputs = 0;
  v.blocks.forEach((block, i) => {
    const b = (block ?? {}) as Record<string, unknown>;
    const at = `blocks[${i}]`;
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== "string" || b.block_id.length > 255)
        errors.push(`${at} block_id over 255 characters`);
      else if (blockIds.has(b.block_id)) errors.push(`${at} duplicate block_id ${b.block_id}`);
      else blockIds.add(b.block_id);
    }
    if (b.type !== "input") return;
    inputs++;
    plainText(b.label, 2000, `${at} label`, true);
    plainText(b.hint, 2000, `${at} hint`, false);
    if (b.optional !== undefined && typeof b.optional !== "boolean")
      errors.push(`${at} optional must be a boolean`);
    const el = (b.element ?? {}) as Record<string, unknown>;
    if (el.type !== "plain_text_input") {
      errors.push(
        `${at} element type ${JSON.stringify(el.type)} is not one this fake knows (plain_text_input)`,
      );
      return;
    }
    if (typeof el.action_id !== "string" || el.action_id.length === 0 || el.action_id.length > 255)
      errors.push(`${at} element action_id must be 1-255 characters`);
    const max = el.max_length === undefined ? 3000 : Number(el.max_length);
    if (!Number.isInteger(max) || max < 1 || max > 3000)
      errors.push(`${at} element max_length must be 1-3000`);
    if (
      el.initial_value !== undefined &&
      (typeof el.initial_value !== "string" || el.initial_value.length > max)
    )
      errors.push(`${at} element initial_value longer than max_length`);
    if (el.multiline !== undefined && typeof el.multiline !== "boolean")
      errors.push(`${at} element multiline must be a boolean`);
    plainText(el.placeholder, 150, `${at} element placeholder`, false);
  });
  if (inputs > 0 && v.submit === undefined) errors.push("a modal with input blocks needs a submit button");
  return errors;
}
