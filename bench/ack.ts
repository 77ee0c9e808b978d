/**
 * Ack latency of `/codex` in HTTP mode, measured across process boundaries: the app under test
 * (ackAppServer.ts: the real startSlack over a real createApp, the repo's stacks and charter, a temp
 * MAOS_HOME), the baseline (ackBareBolt.ts: a bare Bolt app that only acks) and the fake Slack Web API
 * (ackFakeSlack.ts) each run in a child process of their own; this process only generates load. A
 * burst is 50 concurrent signed `/codex run marketing_ops event=…` requests, one fresh connection each
 * for both apps; latency is the time from sending a request to its HTTP 200. Ours is measured while
 * stacks are running (background runs started just before, and the burst's own 50 runs). Both are
 * warmed up, measured for ROUNDS rounds (interleaved), and the median of the rounds' p99s is reported.
 * Targets: our p99 ≤ 50 ms, our p99 / bare p99 ≤ 1.3. Run alone: `node bench/ack.ts`.
 * Knobs for investigating, never for reporting: ACK_ROUNDS=<n>; ACK_BG=<n> background runs (0 isolates
 * the ack path from the runs' work); ACK_CPU_PROF=<dir> writes a CPU profile of the app under test;
 * ACK_DEBUG=1 prints each request's [connect, response] ms and the app's memory after a full GC;
 * ACK_RUN_WORKERS=<n> run worker threads in the app under test (0: runs on its main thread, as before
 * they moved off it; default: as `npm start`, defaultRunWorkers()).
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { systemClock } from "../src/core/clock.ts";
import { BOT_TOKEN, SIGNING_SECRET, sign, slashCommand } from "../test/slack/slackTestKit.ts";
import type { ChildStats, LoopStats, ServedStats } from "./ackChild.ts";
import { type BenchChild, startBenchChild } from "./benchChild.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const CONCURRENT = 50;
/** Runs started just before each measured burst, so it lands while stacks are running. */
const BACKGROUND_RUNS = Number(process.env.ACK_BG ?? 4);
/** Lets the background runs get past their start, into agent steps, ledger writes and commits. */
const BACKGROUND_HEAD_START_MS = 25;
const WARMUP_ROUNDS = 2;
/** ACK_ROUNDS overrides, for quick looks while profiling. */
const ROUNDS = Number(process.env.ACK_ROUNDS) || 5;

export interface AckFigures {
  /** Medians over the rounds of each round's p50 and p99, ours and the bare Bolt app's. */
  p50Ms: number;
  p99Ms: number;
  bareP50Ms: number;
  bareP99Ms: number;
  /** p99Ms / bareP99Ms. */
  ratio: number;
  rounds: number;
  /** Each round's p99, ours and bare, in round order. */
  p99sMs: number[];
  bareP99sMs: number[];
  /** The app's worst event-loop delay during a burst's acks, and during the post-ack work (medians). */
  appLoopDuringBurst: LoopStats;
  appLoopDuringWork: LoopStats;
  /** Server-side time of a burst's requests (request event to response end), ours and bare (medians). */
  appServed: ServedStats;
  bareServed: ServedStats;
  /** The app's and the fake Slack's resident memory at the end, MB. */
  appRssMb: number;
  fakeSlackRssMb: number;
  /** Runs the app was asked for, and the Slack Web API calls it made (by method). */
  runs: number;
  slackCalls: Record<string, number>;
  /** error and warn lines the app logged; a healthy bench logs none. */
  appLogErrors: number;
  appLogWarnings: number;
}

interface Prepared {
  body: string;
  headers: Record<string, string>;
}

/** Signed ahead of the burst, so signing is not in the timed path of either app. */
function prepare(texts: string[], channelOf: (i: number) => string): Prepared[] {
  const ts = String(Math.floor(systemClock.now().getTime() / 1000));
  return texts.map((text, i) => {
    const body = slashCommand(text, "U0OPERATOR", channelOf(i));
    return {
      body,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "content-length": String(Buffer.byteLength(body)),
        "x-slack-request-timestamp": ts,
        "x-slack-signature": sign(SIGNING_SECRET, ts, body),
      },
    };
  });
}

/** A fresh connection per request (no keep-alive), as for both apps alike. */
const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

/** Milliseconds from sending `req` to its status line; rejects unless the status is 200. */
function timedPost(url: URL, req: Prepared): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const r = http.request(url, { method: "POST", headers: req.headers, agent }, (res) => {
      const ms = performance.now() - t0;
      lastTimings.push({ connect: connectAt - t0, total: ms });
      res.resume();
      res.on("end", () => {
        if (res.statusCode === 200) resolve(ms);
        else reject(new Error(`${url.href} answered ${res.statusCode}`));
      });
      res.on("error", reject);
    });
    let connectAt = Number.NaN;
    r.on("socket", (sock) =>
      sock.once("connect", () => {
        connectAt = performance.now();
      }),
    );
    r.on("error", reject);
    r.end(req.body);
  });
}

const lastTimings: { connect: number; total: number }[] = [];
function burst(url: URL, reqs: Prepared[]): Promise<number[]> {
  lastTimings.length = 0;
  return Promise.all(reqs.map((r) => timedPost(url, r)));
}

function runTexts(tag: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `run marketing_ops event=${tag}${i}`);
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

function median(xs: number[]): number {
  return percentile(xs, 50);
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function medianLoop(xs: LoopStats[]): LoopStats {
  return {
    p50Ms: median(xs.map((x) => x.p50Ms)),
    p99Ms: median(xs.map((x) => x.p99Ms)),
    maxMs: median(xs.map((x) => x.maxMs)),
  };
}

function medianServed(xs: ServedStats[]): ServedStats {
  return {
    count: median(xs.map((x) => x.count)),
    p50Ms: median(xs.map((x) => x.p50Ms)),
    p99Ms: median(xs.map((x) => x.p99Ms)),
  };
}

/** error (50+) and warn (40) lines of a pino JSON log. */
function countLogLevels(file: string): { errors: number; warnings: number; firstError?: string } {
  let errors = 0;
  let warnings = 0;
  let firstError: string | undefined;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    const level = (JSON.parse(line) as { level?: number }).level ?? 0;
    if (level >= 50) {
      errors++;
      firstError ??= line;
    } else if (level >= 40) warnings++;
  }
  return firstError === undefined ? { errors, warnings } : { errors, warnings, firstError };
}

export async function benchAck(): Promise<AckFigures> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "maos-ack-"));
  const logFile = path.join(tmp, "app.log");
  const logFd = openSync(logFile, "w");
  const children: BenchChild[] = [];
  const start = async (script: string, env: NodeJS.ProcessEnv, extra: object = {}) => {
    const c = await startBenchChild(path.join(import.meta.dirname, script), { env, ...extra });
    children.push(c);
    return c;
  };
  try {
    const base = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: "info",
      ...(process.env.ACK_DEBUG ? { ACK_DEBUG: "1" } : {}),
    };
    const fake = await start("ackFakeSlack.ts", { ...base, SLACK_BOT_TOKEN: BOT_TOKEN });
    const profDir = process.env.ACK_CPU_PROF;
    const ours = await start(
      "ackAppServer.ts",
      {
        ...base,
        MAOS_HOME: path.join(tmp, "home"),
        MAOS_STACKS: path.join(REPO, "stacks"),
        MAOS_CHARTER: path.join(REPO, "charter.yml"),
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: fake.url,
        ...(process.env.ACK_RUN_WORKERS ? { ACK_RUN_WORKERS: process.env.ACK_RUN_WORKERS } : {}),
      },
      {
        output: logFd,
        execArgv: [
          ...(profDir ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(profDir)] : []),
          ...(process.env.ACK_DEBUG ? ["--expose-gc"] : []),
        ],
      },
    );
    const bare = await start("ackBareBolt.ts", { ...base, SLACK_SIGNING_SECRET: SIGNING_SECRET });
    const oursUrl = new URL(ours.url);
    const bareUrl = new URL(bare.url);
    let runs = 0;

    const measureBare = async () => {
      const reqs = prepare(runTexts("Bare", CONCURRENT), (i) => `C0BARE${i}`);
      await bare.stats();
      const samples = await burst(bareUrl, reqs);
      if (process.env.ACK_DEBUG)
        process.stderr.write(
          `bare ${JSON.stringify(lastTimings.map((t) => [Math.round(t.connect), Math.round(t.total)]))}\n`,
        );
      return { samples, served: (await bare.stats()).served };
    };
    const measureOurs = async (r: number) => {
      // The background runs, each acked before the next is sent; their work then goes on.
      for (const req of prepare(runTexts(`Background${r}-`, BACKGROUND_RUNS), (i) => `C0BG${i}`))
        await timedPost(oursUrl, req);
      await systemClock.sleep(BACKGROUND_HEAD_START_MS);
      // One channel per request: Slack's ~1 message/s is per channel, and 50 runs in one channel
      // would only measure that queue, not the ack.
      const reqs = prepare(runTexts(`Burst${r}-`, CONCURRENT), (i) => `C0BURST${i}`);
      await ours.stats();
      const samples = await burst(oursUrl, reqs);
      if (process.env.ACK_DEBUG)
        process.stderr.write(
          `ours ${JSON.stringify(lastTimings.map((t) => [Math.round(t.connect), Math.round(t.total)]))}\n`,
        );
      const during = await ours.stats();
      await ours.idle();
      const after = await ours.stats();
      runs += BACKGROUND_RUNS + CONCURRENT;
      return { samples, during: during.loop, after: after.loop, served: during.served };
    };

    // Warm-up: JIT, the vault's first commits, the prepared statements, Bolt's first requests.
    for (let r = 0; r < WARMUP_ROUNDS; r++) {
      await measureBare();
      await measureOurs(-1 - r);
    }

    const p50s: number[] = [];
    const p99s: number[] = [];
    const bareP50s: number[] = [];
    const bareP99s: number[] = [];
    const loopBurst: LoopStats[] = [];
    const loopWork: LoopStats[] = [];
    const served: ServedStats[] = [];
    const bareServed: ServedStats[] = [];
    // Interleaved, so drift on the machine touches both; each burst starts with both apps idle.
    for (let r = 0; r < ROUNDS; r++) {
      const b = await measureBare();
      bareP50s.push(percentile(b.samples, 50));
      bareP99s.push(percentile(b.samples, 99));
      bareServed.push(b.served);
      const o = await measureOurs(r);
      p50s.push(percentile(o.samples, 50));
      p99s.push(percentile(o.samples, 99));
      loopBurst.push(o.during);
      loopWork.push(o.after);
      served.push(o.served);
    }
    const fakeStats: ChildStats = await fake.stats();
    const appStats: ChildStats = await ours.stats();
    if (process.env.ACK_DEBUG) process.stderr.write(`app memory ${JSON.stringify(appStats.info)}\n`);
    const log = countLogLevels(logFile);
    if (log.firstError) process.stderr.write(`ack bench: the app logged an error: ${log.firstError}\n`);
    const p99 = median(p99s);
    const bareP99 = median(bareP99s);
    return {
      p50Ms: round2(median(p50s)),
      p99Ms: round2(p99),
      bareP50Ms: round2(median(bareP50s)),
      bareP99Ms: round2(bareP99),
      ratio: round2(p99 / bareP99),
      rounds: ROUNDS,
      p99sMs: p99s.map(round2),
      bareP99sMs: bareP99s.map(round2),
      appLoopDuringBurst: medianLoop(loopBurst),
      appLoopDuringWork: medianLoop(loopWork),
      appServed: medianServed(served),
      bareServed: medianServed(bareServed),
      appRssMb: appStats.rssMb,
      fakeSlackRssMb: fakeStats.rssMb,
      runs,
      slackCalls: (fakeStats.info ?? {}) as Record<string, number>,
      appLogErrors: log.errors,
      appLogWarnings: log.warnings,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    closeSync(logFd);
    agent.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  console.log(JSON.stringify({ ack: await benchAck() }));
}
