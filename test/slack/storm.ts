/**
 * A bounded request storm against the HTTP-mode Slack endpoint, over a few keep-alive connections so
 * that refused requests (forged, stale, oversized) sit on the same sockets as valid ones. Shared by the
 * storm test (which asserts what was accepted and refused) and bench/storm.ts (which reports latency).
 */
import http from "node:http";
import { SIGNING_SECRET, sign, slashCommand } from "./slackTestKit.ts";

export type StormKind = "valid" | "forged" | "stale" | "replayed" | "oversized";

export interface StormResult {
  kind: StormKind;
  status: number | undefined;
  /** The transport error, when the request got no response (ECONNRESET, socket hang up). */
  error: string | undefined;
  ms: number;
}

export interface StormFigures {
  sent: Record<StormKind, number>;
  /** 2xx answers per kind (for replays an empty ack). */
  accepted: Record<StormKind, number>;
  refused: Record<StormKind, number>;
  resets: Record<StormKind, number>;
  /** Ack latency of the valid requests, in ms. */
  ackMs: { p50: number; p99: number; max: number };
  results: StormResult[];
}

export interface StormOptions {
  base: string;
  /** Seconds since the epoch the requests are signed at (the server's clock). */
  now: number;
  counts?: Partial<Record<StormKind, number>>;
  /** Keep-alive sockets shared by all requests. */
  sockets?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** The `/codex` text of the valid requests. */
  text?: string;
}

const DEFAULT_COUNTS: Record<StormKind, number> = {
  valid: 120,
  forged: 60,
  stale: 60,
  replayed: 60,
  oversized: 12,
};

interface Planned {
  kind: StormKind;
  headers: Record<string, string>;
  body: Buffer;
}

/** Runs the storm; valid requests always precede their replays. */
export async function runStorm(o: StormOptions): Promise<StormFigures> {
  const counts = { ...DEFAULT_COUNTS, ...o.counts };
  const ts = String(o.now);
  const form = "application/x-www-form-urlencoded";
  const valid: Planned[] = [];
  for (let i = 0; i < counts.valid; i++) {
    const body = slashCommand(o.text ?? "help", "U0OPERATOR", `C0STORM${i % 4}`);
    valid.push({
      kind: "valid",
      headers: {
        "content-type": form,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": sign(SIGNING_SECRET, ts, body),
      },
      body: Buffer.from(body),
    });
  }
  const others: Planned[] = [];
  for (let i = 0; i < counts.forged; i++) {
    const body = slashCommand("run marketing_ops event=Forged");
    others.push({
      kind: "forged",
      headers: {
        "content-type": form,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": sign("0".repeat(32), ts, body),
      },
      body: Buffer.from(body),
    });
  }
  for (let i = 0; i < counts.stale; i++) {
    const old = String(o.now - 301 - i);
    const body = slashCommand("run marketing_ops event=Stale");
    others.push({
      kind: "stale",
      headers: {
        "content-type": form,
        "x-slack-request-timestamp": old,
        "x-slack-signature": sign(SIGNING_SECRET, old, body),
      },
      body: Buffer.from(body),
    });
  }
  for (let i = 0; i < counts.oversized; i++) {
    const body = `${slashCommand("help")}&pad=${"x".repeat(1_200_000)}`;
    others.push({
      kind: "oversized",
      headers: {
        "content-type": form,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": sign(SIGNING_SECRET, ts, body),
      },
      body: Buffer.from(body),
    });
  }
  // Interleave deterministically: every refused kind lands between valid requests on shared sockets.
  const firstHalf: Planned[] = [];
  const rest = [...others];
  for (const [i, v] of valid.entries()) {
    firstHalf.push(v);
    const n = Math.ceil(rest.length / Math.max(1, valid.length - i));
    firstHalf.push(...rest.splice(0, n));
  }
  firstHalf.push(...rest);
  const replays: Planned[] = [];
  for (let i = 0; i < counts.replayed; i++) {
    const original = valid[i % Math.max(1, valid.length)];
    if (original) replays.push({ ...original, kind: "replayed" });
  }

  const agent = new http.Agent({ keepAlive: true, maxSockets: o.sockets ?? 4 });
  const url = new URL("/slack/events", o.base);
  const send = (p: Planned): Promise<StormResult> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.request(
        url,
        { method: "POST", agent, headers: { ...p.headers, "content-length": String(p.body.length) } },
        (res) => {
          res.resume();
          res.on("end", () =>
            resolve({ kind: p.kind, status: res.statusCode, error: undefined, ms: performance.now() - t0 }),
          );
        },
      );
      req.on("error", (err: NodeJS.ErrnoException) =>
        resolve({
          kind: p.kind,
          status: undefined,
          error: err.code ?? err.message,
          ms: performance.now() - t0,
        }),
      );
      req.end(p.body);
    });

  const results: StormResult[] = [];
  const pool = async (list: Planned[]) => {
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const p = list[next++] as Planned;
        results.push(await send(p));
      }
    };
    await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
  };
  try {
    await pool(firstHalf);
    await pool(replays);
  } finally {
    agent.destroy();
  }

  const kinds: StormKind[] = ["valid", "forged", "stale", "replayed", "oversized"];
  const tally = (f: (r: StormResult) => boolean) =>
    Object.fromEntries(kinds.map((k) => [k, results.filter((r) => r.kind === k && f(r)).length])) as Record<
      StormKind,
      number
    >;
  const acks = results
    .filter((r) => r.kind === "valid" && r.status === 200)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  const pct = (p: number) => acks[Math.min(acks.length - 1, Math.floor((p / 100) * acks.length))] ?? 0;
  return {
    sent: tally(() => true),
    accepted: tally((r) => r.status !== undefined && r.status >= 200 && r.status < 300),
    refused: tally((r) => r.status !== undefined && r.status >= 400),
    resets: tally((r) => r.error !== undefined),
    ackMs: { p50: pct(50), p99: pct(99), max: acks.at(-1) ?? 0 },
    results,
  };
}
