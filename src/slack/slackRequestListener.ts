import type { IncomingMessage, ServerResponse } from "node:http";
import type { HTTPReceiver } from "@slack/bolt";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { STORE_DOWN_TEXT } from "./notices.ts";
import type { ReplayGuard, ReplaySubject } from "./ReplayGuard.ts";
import { slackSignatureHeaders, verifySlackSignature } from "./verifySlackSignature.ts";

/** The path Slack posts commands, events and interactions to in HTTP mode. */
export const SLACK_EVENTS_PATH = "/slack/events";
/** Slack's payloads are small (a command, an event, an interaction); 1 MiB is far above any of them. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** An oversized body up to this size is read and dropped so its connection stays usable; past it the connection closes. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/** Serves a request when it is one of its routes (the relay server's /health, …); false lets Slack try. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/**
 * The HTTP-mode request listener: the relay routes first; then, at POST /slack/events, the raw body is
 * read and checked with verifySlackSignature against the injected clock (401 when forged or stale)
 * before Bolt's receiver sees it. Bolt reuses `rawBody` when a request already carries one.
 */
export function slackRequestListener(o: {
  receiver: HTTPReceiver;
  signingSecret: string;
  clock: Clock;
  log: Logger;
  routes: RouteHandler | undefined;
  /** Called once per request to /slack/events, before its body is read. */
  onSlackRequest: (res: ServerResponse) => void;
  replays: ReplayGuard;
  onReplay: (recorded: Promise<void>) => void;
}): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (o.routes && (await o.routes(req, res))) return;
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== SLACK_EVENTS_PATH || req.method !== "POST") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    o.onSlackRequest(res);
    const read = await readBody(req, BODY_LIMIT_BYTES);
    if (!read.body) {
      o.log.warn({ path, drained: read.drained }, "refused a Slack request body over 1 MiB");
      res
        .writeHead(413, { "content-type": "text/plain", ...(read.drained ? {} : { connection: "close" }) })
        .end("request body too large\n");
      if (!read.drained) res.once("finish", () => req.destroy());
      return;
    }
    const raw = read.body;
    let body = raw;
    const form = req.headers["content-type"] === "application/x-www-form-urlencoded";
    const params = form ? new URLSearchParams(raw.toString("utf8")) : undefined;
    if (params?.get("ssl_check") === "1") {
      // Slack's SSL check is unsigned; pass on nothing else from it, so it cannot smuggle a payload in.
      body = Buffer.from("ssl_check=1");
    } else {
      const result = verifySlackSignature({
        signingSecret: o.signingSecret,
        ...slackSignatureHeaders(req.headers),
        rawBody: raw,
        nowSeconds: Math.floor(o.clock.now().getTime() / 1000),
      });
      if (!result.ok) {
        o.log.warn(
          { reason: result.reason, path },
          "refused a Slack request that failed signature verification",
        );
        res.writeHead(401, { "content-type": "text/plain" }).end("invalid signature\n");
        return;
      }
      // A signed request seen before in the window is a replay: acknowledged, ignored, recorded once.
      const replay = await admitOrRefuse(o, res, params, {
        by: "signature",
        key: String(req.headers["x-slack-signature"]),
        ...describeRequest(raw, params),
      });
      if (!replay) return;
      if (!replay.fresh) {
        o.onReplay(replay.recorded);
        res.writeHead(200).end();
        return;
      }
    }
    Object.assign(req, { rawBody: body });
    o.receiver.requestListener(req, res);
  };
  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      o.log.error({ err }, "HTTP request failed");
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    });
  };
}

/**
 * The replay check, or undefined when the state store cannot make it (PostgreSQL down under a replica):
 * then nothing runs, since a request that cannot be checked or recorded must not act. A command's author
 * is told so at once (a slash command's response is shown to them); an event or an interaction gets a
 * 503, which Slack retries for an event (three times over about five minutes), so it is not lost.
 */
async function admitOrRefuse(
  o: { replays: ReplayGuard; log: Logger },
  res: ServerResponse,
  params: URLSearchParams | undefined,
  subject: ReplaySubject,
): Promise<{ fresh: boolean; recorded: Promise<void> } | undefined> {
  try {
    return await o.replays.admit(subject);
  } catch (err) {
    o.log.error(
      { err, what: subject.what, user: subject.user },
      "refused a Slack request: the state store does not answer, so it cannot be checked for replays or recorded",
    );
    if (params?.has("command")) {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ response_type: "ephemeral", text: STORE_DOWN_TEXT }));
    } else {
      res.writeHead(503, { "content-type": "text/plain" }).end("the bot's state store does not answer\n");
    }
    return undefined;
  }
}

/**
 * The body, or undefined when it exceeds `limit` bytes. An oversized body is still read to its end
 * (and dropped) up to DRAIN_LIMIT_BYTES, so the 413 leaves the keep-alive connection clean for the
 * next request; `drained` is false when even that was exceeded and the connection must close.
 */
async function readBody(
  req: IncomingMessage,
  limit: number,
): Promise<{ body: Buffer; drained: true } | { body: undefined; drained: boolean }> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > DRAIN_LIMIT_BYTES) return { body: undefined, drained: false };
  const chunks: Buffer[] = [];
  let size = 0;
  // Consumed with events, not `for await`: leaving a for-await early destroys the socket.
  return new Promise((resolve, reject) => {
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) {
        req.pause();
        resolve({ body: undefined, drained: false });
      }
    });
    req.on("end", () =>
      resolve(
        size <= limit ? { body: Buffer.concat(chunks), drained: true } : { body: undefined, drained: true },
      ),
    );
    req.on("error", reject);
  });
}

/** Who and what a signed request is about, for the replay record (never its text). */
function describeRequest(
  raw: Buffer,
  params: URLSearchParams | undefined,
): { user?: string; channel?: string; what?: string } {
  try {
    if (params?.has("command")) {
      const first = (params.get("text") ?? "").trim().split(/\s+/)[0] || "help";
      return {
        user: params.get("user_id") ?? undefined,
        channel: params.get("channel_id") ?? undefined,
        what: `${params.get("command")} ${first}`,
      };
    }
    const payload = params?.get("payload");
    const body = JSON.parse(payload ?? raw.toString("utf8")) as {
      user?: { id?: string } | string;
      channel?: { id?: string };
      actions?: { action_id?: string }[];
      event?: { type?: string; user?: string };
      type?: string;
    };
    const user = typeof body.user === "string" ? body.user : (body.user?.id ?? body.event?.user);
    const what = body.actions?.[0]?.action_id ?? body.event?.type ?? body.type;
    return {
      ...(user ? { user } : {}),
      ...(body.channel?.id ? { channel: body.channel.id } : {}),
      ...(what ? { what } : {}),
    };
  } catch {
    return {};
  }
}
