/**
 * The ledger's and the CLI's costs at scale, on homes built with the app's own code (createApp, then
 * app.ledger().appendBatchSync, the path every batch append takes): a small home (SMALL_ENTRIES, about
 * ten runs' worth) and one of LARGE_ENTRIES (1M by default). Reported, each with its ratio to the
 * small home where one exists:
 * - the steady heartbeat's ledger part: app.custody() after 20 new entries (median of BEATS);
 * - `maos status --json` as a fresh process: the first after a full pass is kept, then steady (median,
 *   the two homes interleaved);
 * - a full verification of the large ledger on one thread and with one worker (two threads);
 * - /health latency from the headless bot while its first heartbeat does a full pass of the large ledger;
 * - `maos --help`, `maos stacks list`, `maos ledger tail` start times against `node -e 0`.
 * Run alone: `node bench/ledgerScale.ts` (LEDGER_SCALE_ENTRIES=<n> for a smaller large home).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createApp } from "../src/app/createApp.ts";
import { VERIFIED_MARK_KEY } from "../src/audit/verifiedMark.ts";
import { loadEnv } from "../src/config/loadEnv.ts";
import { createLogger } from "../src/core/logger.ts";
import { localLedger } from "../src/ledger/LedgerHandle.ts";
import type { LedgerAppend } from "../src/ledger/ledgerEntry.ts";
import { verifyLedger } from "../src/ledger/verifyLedger.ts";
import { benchCliStart, type CliStartResult } from "./cliStart.ts";
import { percentile } from "./mcpBench.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const NODE24 = path.dirname(process.execPath);
const SMALL_ENTRIES = 130;
const LARGE_ENTRIES = Number(process.env.LEDGER_SCALE_ENTRIES) || 1_000_000;
const BEATS = 9;
const STATUS_RUNS = 7;
const CHUNK = 20_000;

export interface LedgerScaleFigures {
  entries: { small: number; large: number };
  buildLargeSeconds: number;
  heartbeatLedgerMs: { small: number; large: number; ratio: number };
  statusJsonMs: { small: number; large: number; ratio: number; largeFirstAfterFullMs: number };
  verifyLargeMs: { oneThread: number; twoThreads: number };
  /** heartbeatMs: how long the /heartbeat that waited for the full pass took. */
  healthDuringFullPass: {
    requests: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** Answers slower than 25 ms: how often, not only how bad the worst was. */
    over25: number;
    heartbeatMs: number;
  };
  cliStart: CliStartResult[];
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function envFor(home: string): Record<string, string> {
  return {
    MAOS_HOME: home,
    MAOS_STACKS: path.join(REPO, "stacks"),
    MAOS_CHARTER: path.join(REPO, "charter.yml"),
  };
}

function appFor(home: string) {
  return createApp({ env: loadEnv(envFor(home), REPO), log: createLogger({ level: "silent" }) });
}

function entry(i: number): LedgerAppend {
  return {
    eventType: i % 10 === 0 ? "AGENT_ATTEMPT" : "NOTE",
    level: "info",
    actor: "agent:prime",
    correlationId: `bench-${Math.floor(i / 13)}`,
    payload: { step: i, agent: "prime", provider: "offline", tokens: 400 + (i % 97), ms: 1200 + (i % 311) },
  };
}

/** A home whose ledger holds `entries` entries, written by the app (key, genesis, batches, checkpoint). */
export async function buildHome(entries: number): Promise<string> {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-scale-"));
  const app = appFor(home);
  const ledger = localLedger(app.ledger());
  while (ledger.size() < entries) {
    const n = Math.min(CHUNK, entries - ledger.size());
    const base = ledger.size();
    ledger.appendBatchSync(Array.from({ length: n }, (_, i) => entry(base + i)));
  }
  await app.close(); // signs the closing checkpoint, kept in state.db
  return home;
}

/** Median time of app.custody() after 20 appends, once a first (full) verification is done. */
async function steadyHeartbeat(home: string): Promise<number> {
  const app = appFor(home);
  try {
    await app.custody();
    const times: number[] = [];
    for (let b = 0; b < BEATS; b++) {
      for (let i = 0; i < 20; i++) localLedger(app.ledger()).appendSync(entry(i));
      const t0 = performance.now();
      const r = await app.custody();
      times.push(performance.now() - t0);
      if (!r.ok) throw new Error(`heartbeat verification failed: ${JSON.stringify(r.firstBad)}`);
    }
    return median(times);
  } finally {
    await app.close();
  }
}

function maosStatus(home: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(REPO, "bin", "maos.js"), "status", "--json"], {
    env: { ...process.env, ...envFor(home) },
    cwd: home,
    stdio: ["ignore", "ignore", "ignore"],
  });
  if (r.status !== 0) throw new Error(`maos status --json exited ${r.status}`);
  return performance.now() - t0;
}

/** Removes the kept verification mark, so the next process starts with a full pass. */
async function forgetMark(home: string): Promise<void> {
  const app = appFor(home);
  try {
    app.state().setValue(VERIFIED_MARK_KEY, null);
  } finally {
    await app.close();
  }
}

/**
 * Each home's first status after its mark is removed (a full pass), then STATUS_RUNS steady ones per
 * home, the homes interleaved so that a change in the machine's load weighs on both alike.
 */
async function statusTimes(homes: string[]): Promise<{ first: number; steady: number }[]> {
  const firsts: number[] = [];
  for (const home of homes) {
    await forgetMark(home);
    firsts.push(maosStatus(home));
  }
  const times = homes.map(() => [] as number[]);
  for (let i = 0; i < STATUS_RUNS; i++) {
    homes.forEach((home, k) => {
      times[k]?.push(maosStatus(home));
    });
  }
  return homes.map((_, k) => ({ first: firsts[k] as number, steady: median(times[k] ?? []) }));
}

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as net.AddressInfo).port;
  s.close();
  await once(s, "close");
  return port;
}

function get(url: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      })
      .on("error", reject);
  });
}

/** The headless bot on the large home, its kept mark removed: /health polled while /heartbeat's full pass runs. */
export async function healthDuringFullPass(
  home: string,
  /** The bot's entry point; another checkout's, to compare builds on one home. */
  main = path.join(REPO, "src", "main.ts"),
): Promise<LedgerScaleFigures["healthDuringFullPass"]> {
  await forgetMark(home);
  const port = await freePort();
  const bot: ChildProcess = spawn(process.execPath, [main], {
    env: { ...process.env, ...envFor(home), PORT: String(port), LOG_LEVEL: "warn" },
    cwd: home,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (i > 600) throw new Error("the headless bot did not answer /health within 60 s");
      const up = await get(`${base}/health`).catch(() => undefined);
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The process's first verification is a full pass (no mark kept): the autonomy loop's first beat or
    // this /heartbeat, which waits for any verification already running; /health is polled until it answers.
    const latencies: number[] = [];
    const t0 = performance.now();
    let done = false;
    const beat = get(`${base}/heartbeat`).finally(() => {
      done = true;
    });
    while (!done) {
      latencies.push((await get(`${base}/health`)).ms);
      await new Promise((r) => setTimeout(r, 5));
    }
    const heartbeatMs = performance.now() - t0;
    const b = await beat;
    if (b.status !== 200) throw new Error(`/heartbeat answered ${b.status}`);
    return {
      requests: latencies.length,
      p50Ms: round(median(latencies)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(Math.max(...latencies)),
      over25: latencies.filter((ms) => ms > 25).length,
      heartbeatMs: Math.round(heartbeatMs),
    };
  } finally {
    bot.kill("SIGTERM");
    if (bot.exitCode === null) await once(bot, "exit");
  }
}

export async function benchLedgerScale(): Promise<LedgerScaleFigures> {
  const t0 = performance.now();
  const large = await buildHome(LARGE_ENTRIES);
  const buildLargeSeconds = round((performance.now() - t0) / 1000);
  const small = await buildHome(SMALL_ENTRIES);
  try {
    const hbSmall = await steadyHeartbeat(small);
    const hbLarge = await steadyHeartbeat(large);
    const [stSmall, stLarge] = (await statusTimes([small, large])) as [
      { first: number; steady: number },
      { first: number; steady: number },
    ];
    const db = path.join(large, "ledger.db");
    const keyApp = appFor(large);
    const vkey = keyApp.ledgerKey().verifierKey;
    await keyApp.close();
    const timeVerify = (workers: number) => {
      const s = performance.now();
      const r = verifyLedger({ path: db, verifierKey: vkey, workers });
      if (!r.ok) throw new Error(`the large ledger failed verification: ${JSON.stringify(r.firstBad)}`);
      return performance.now() - s;
    };
    const oneThread = median([timeVerify(0), timeVerify(0), timeVerify(0)]);
    const twoThreads = median([timeVerify(1), timeVerify(1), timeVerify(1)]);
    const health = await healthDuringFullPass(large);
    const cliStart = [
      benchCliStart({ home: mkdtempSync(path.join(os.tmpdir(), "maos-fresh-")), pathFirst: NODE24 }),
      benchCliStart({ home: large, pathFirst: NODE24 }),
      benchCliStart({ home: large, pathFirst: "/usr/bin" }),
    ];
    return {
      entries: { small: SMALL_ENTRIES, large: LARGE_ENTRIES },
      buildLargeSeconds,
      heartbeatLedgerMs: {
        small: round(hbSmall, 2),
        large: round(hbLarge, 2),
        ratio: round(hbLarge / hbSmall, 2),
      },
      statusJsonMs: {
        small: Math.round(stSmall.steady),
        large: Math.round(stLarge.steady),
        ratio: round(stLarge.steady / stSmall.steady, 2),
        largeFirstAfterFullMs: Math.round(stLarge.first),
      },
      verifyLargeMs: { oneThread: Math.round(oneThread), twoThreads: Math.round(twoThreads) },
      healthDuringFullPass: health,
      cliStart,
    };
  } finally {
    rmSync(large, { recursive: true, force: true });
    rmSync(small, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  process.stdout.write(`${JSON.stringify(await benchLedgerScale())}\n`);
}
