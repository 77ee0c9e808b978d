// `npm run bench -- postgres`: the PostgreSQL backend on a throwaway cluster with durable settings
// (fsync on, synchronous_commit on): durable appends/s under 50 producers against the SQLite ledger in
// the same run, leader failover time after kill -9 against the heartbeat interval, and the run queue's
// ack → worker start latency against the in-thread executor's.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { systemClock } from "../src/core/clock.ts";
import { Ledger } from "../src/ledger/Ledger.ts";
import { PgLedger } from "../src/ledger/pg/PgLedger.ts";
import { generateNoteKey, newNoteSigner } from "../src/ledger/signedNote.ts";
import { startPgCluster } from "../test/helpers/pgCluster.ts";
import { benchRunQueue, type QueueLatency } from "./benchRunQueue.ts";

const REPLICA = path.resolve(import.meta.dirname, "../test/postgres/pgReplica.ts");

export interface PostgresBenchResult {
  appendsPerSec: number;
  /** The SQLite ledger, same producers and entries, same run. */
  sqliteAppendsPerSec: number;
  producers: number;
  appends: number;
  heartbeatMs: number;
  /** kill -9 of the leader → the standby printing `leading` (LEADER_ELECTED committed), per round. */
  failoverMs: number[];
  failoverMedianMs: number;
  failoverMaxMs: number;
  /** failoverMaxMs / heartbeatMs; target ≤ 2. */
  failoverHeartbeats: number;
  /** Run queue: ack → a worker starting the run, sequential runs on an idle queue (in-thread baseline). */
  queue: QueueLatency;
}

const sample = (i: number, runId: string) => ({
  eventType: "AGENT_STEP_COMPLETED",
  actor: "agent:bench",
  correlationId: runId,
  payload: { i, agent: "copywriter", output: "x".repeat(200) },
});

async function producersAppend(
  append: (e: ReturnType<typeof sample>) => Promise<unknown>,
  producers: number,
  total: number,
): Promise<number> {
  const per = Math.ceil(total / producers);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async (_, p) => {
      const runId = randomUUID();
      for (let i = 0; i < per; i++) await append(sample(p * per + i, runId));
    }),
  );
  return (per * producers) / ((performance.now() - t0) / 1000);
}

function replica(url: string, name: string, heartbeatMs: number, signerKey: string) {
  const child: ChildProcess = spawn(process.execPath, [REPLICA, url, name, String(heartbeatMs), signerKey], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const waiters: { line: string; resolve: (at: number) => void }[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    const at = performance.now();
    for (const w of waiters.filter((w) => w.line === line)) w.resolve(at);
  });
  const waitFor = (line: string) =>
    new Promise<number>((resolve, reject) => {
      waiters.push({ line, resolve });
      setTimeout(() => reject(new Error(`${name}: no "${line}" within 30 s`)), 30_000).unref();
    });
  return { child, waitFor };
}

export async function benchPostgres(opts: { producers?: number; appends?: number; rounds?: number } = {}) {
  const producers = opts.producers ?? 50;
  const appends = opts.appends ?? 20_000;
  const rounds = opts.rounds ?? 5;
  const heartbeatMs = 1_000;
  const cluster = await startPgCluster({ durable: true });
  const dir = mkdtempSync(path.join(tmpdir(), "maos-pg-bench-"));
  const { signerKey } = generateNoteKey("maos-codex-bench");
  const signer = newNoteSigner(signerKey);
  const ledgerOpts = { signer, clock: systemClock, environment: "bench", origin: "maos-codex/bench" };
  try {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query("CREATE DATABASE appends");
    await admin.query("CREATE DATABASE failover");
    await admin.query("CREATE DATABASE runqueue");
    await admin.end();
    const dbUrl = (name: string) => cluster.url.replace(/\/postgres$/, `/${name}`);

    const pgLedger = await PgLedger.open({ url: dbUrl("appends"), ...ledgerOpts });
    await producersAppend((e) => pgLedger.append(e), producers, 2_000); // warm-up
    const appendsPerSec = await producersAppend((e) => pgLedger.append(e), producers, appends);
    await pgLedger.close();
    const sqlite = Ledger.open({ path: path.join(dir, "ledger.db"), ...ledgerOpts });
    await producersAppend((e) => sqlite.append(e), producers, 2_000);
    const sqliteAppendsPerSec = await producersAppend((e) => sqlite.append(e), producers, appends);
    sqlite.close();

    const url = dbUrl("failover");
    let leader = replica(url, "replica-0", heartbeatMs, signerKey);
    await leader.waitFor("leading");
    const failoverMs: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const standby = replica(url, `replica-${r}`, heartbeatMs, signerKey);
      await standby.waitFor("standby");
      const elected = standby.waitFor("leading");
      const killedAt = performance.now();
      leader.child.kill("SIGKILL");
      failoverMs.push((await elected) - killedAt);
      leader = standby;
    }
    leader.child.kill("SIGKILL");
    const queue = await benchRunQueue(dbUrl("runqueue"));
    const sorted = [...failoverMs].sort((a, b) => a - b);
    const max = sorted[sorted.length - 1] ?? Number.NaN;
    return {
      appendsPerSec: Math.round(appendsPerSec),
      sqliteAppendsPerSec: Math.round(sqliteAppendsPerSec),
      producers,
      appends,
      heartbeatMs,
      failoverMs: failoverMs.map((m) => Math.round(m)),
      failoverMedianMs: Math.round(sorted[Math.floor(sorted.length / 2)] ?? Number.NaN),
      failoverMaxMs: Math.round(max),
      failoverHeartbeats: Math.round((max / heartbeatMs) * 100) / 100,
      queue,
    } satisfies PostgresBenchResult;
  } finally {
    cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
