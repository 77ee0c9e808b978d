/**
 * The IPC side of an ack-bench child process (ackAppServer.ts, ackBareBolt.ts, ackFakeSlack.ts): it
 * announces itself once ready, answers `idle` when its post-ack work is done and `stats` with its own
 * event-loop delay, and shuts down on `stop`. The bench process drives it through benchChildren.ts.
 */
import diagnostics from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";

export type ChildRequest = { id: number; cmd: "idle" | "stats" | "stop" };
export type ChildReply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string };
export type ChildReady = { ready: true; url: string };

/** Event-loop delay in ms since the last `stats` (the histogram resets on each read). */
export interface LoopStats {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Server-side time of the HTTP requests served since the last `stats`, in ms: from the 'request'
 * event (headers parsed) to the response's end. What a client sees on top is time spent before Node
 * read the request: accepting, and waiting for the event loop.
 */
export interface ServedStats {
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/** A child's answer to `stats`: its event-loop delay, its requests, and what else it counts (`info`). */
export interface ChildStats {
  loop: LoopStats;
  served: ServedStats;
  /** Resident memory: child_process.spawn blocks the loop for longer the larger this is. */
  rssMb: number;
  info?: unknown;
}

export interface ChildHooks {
  idle?: () => Promise<void>;
  /** Counters worth reporting (calls served, …), sent with `stats`. */
  info?: () => unknown;
  stop: () => Promise<void>;
}

/** Sampling period: a block longer than this is seen in full; a shorter period would cost the loop it measures. */
const LOOP_RESOLUTION_MS = 10;

/** With ACK_DEBUG and --expose-gc: memory after a full collection, to tell retained from garbage. */
function debugMemory(): NodeJS.MemoryUsage {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage();
}

export function serveChild(url: string, hooks: ChildHooks): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("an ack-bench child must be started with an IPC channel (child_process.fork)");
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  let served: number[] = [];
  const started = new WeakMap<ServerResponse, number>();
  diagnostics.subscribe("http.server.request.start", (m) => {
    started.set((m as { response: ServerResponse }).response, performance.now());
  });
  diagnostics.subscribe("http.server.response.finish", (m) => {
    const t0 = started.get((m as { response: ServerResponse; request: IncomingMessage }).response);
    if (t0 !== undefined) served.push(performance.now() - t0);
  });
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return Math.round((s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? 0) * 100) / 100;
  };
  const answer = async (req: ChildRequest): Promise<unknown> => {
    switch (req.cmd) {
      case "idle":
        await hooks.idle?.();
        return undefined;
      case "stats": {
        const s: ChildStats = {
          loop: { p50Ms: ms(loop.percentile(50)), p99Ms: ms(loop.percentile(99)), maxMs: ms(loop.max) },
          served: { count: served.length, p50Ms: pct(served, 50), p99Ms: pct(served, 99) },
          rssMb: Math.round(process.memoryUsage().rss / 1e6),
          ...(process.env.ACK_DEBUG ? { info: debugMemory() } : {}),
          ...(hooks.info ? { info: hooks.info() } : {}),
        };
        loop.reset();
        served = [];
        return s;
      }
      case "stop":
        loop.disable();
        await hooks.stop();
        return undefined;
    }
  };
  process.on("message", (raw) => {
    const req = raw as ChildRequest;
    answer(req).then(
      (value) => {
        send({ id: req.id, ok: true, value } satisfies ChildReply);
        if (req.cmd === "stop") process.disconnect();
      },
      (err: unknown) => send({ id: req.id, ok: false, error: String(err) } satisfies ChildReply),
    );
  });
  send({ ready: true, url } satisfies ChildReady);
}
