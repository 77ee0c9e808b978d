import { availableParallelism } from "node:os";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import { MerkleFrontier } from "./MerkleFrontier.ts";
import type { VerifyOptions } from "./verifyLedger.ts";
import { type RangeResult, type RangeTask, verifyRange } from "./verifyRange.ts";

/**
 * A worker needs ~0.2 s to start (a fresh isolate loading and type-stripping the modules), about what the
 * calling thread verifies in the meantime: WORKER_START_ROWS at ~3 µs a row. Below twice that, one thread
 * is as fast; above it, the calling thread takes that many extra rows so that all parts end together.
 */
const WORKER_START_ROWS = 65_536;
const PARALLEL_THRESHOLD = 2 * WORKER_START_ROWS;
const WORKER_TIMEOUT_MS = 600_000;

/** Splits [0, expected) into aligned block ranges and scans them: one here, the rest in worker threads. */
export function runRanges(
  opts: VerifyOptions,
  source: string,
  sizes: number[],
  expected: number,
  db: Database.Database,
): RangeResult[] {
  const cores = availableParallelism();
  const workers = Math.max(0, opts.workers ?? (expected >= PARALLEL_THRESHOLD ? cores - 1 : 0));
  const parts = Math.max(1, Math.min(workers + 1, expected));
  const deep = opts.deep ?? false;
  if (parts === 1) {
    return [
      verifyRange(
        { source, startSeq: 0, endSeq: Number.POSITIVE_INFINITY, blockSize: 2 ** 52, sizes, deep },
        db,
      ),
    ];
  }
  // 32 blocks per part lets the parts be sized to within ~3% whatever the size; the block size is a power
  // of two so block roots are complete RFC 6962 subtrees.
  let blockSize = 1;
  while (blockSize * 2 <= Math.ceil(expected / (parts * 32))) blockSize *= 2;
  const blocks = Math.ceil(expected / blockSize);
  // The calling thread's head start (see WORKER_START_ROWS), capped so that every worker keeps some work.
  const headStart = Math.min(WORKER_START_ROWS * workers, expected / 2) / blockSize;
  const mainBlocks = Math.min(blocks - workers, Math.round((blocks + headStart) / parts));
  const boundary = (p: number) =>
    p === 0 ? 0 : mainBlocks + Math.floor(((p - 1) * (blocks - mainBlocks)) / (parts - 1));
  const tasks: RangeTask[] = [];
  for (let p = 0; p < parts; p++) {
    const b0 = boundary(p);
    const b1 = boundary(p + 1);
    const last = p === parts - 1;
    tasks.push({
      source,
      startSeq: b0 * blockSize,
      endSeq: last ? Number.POSITIVE_INFINITY : b1 * blockSize,
      blockSize,
      sizes,
      deep,
    });
  }
  const signal = new Int32Array(new SharedArrayBuffer(4 * tasks.length));
  const started = tasks.slice(1).map((task, i) => {
    const slot = i + 1;
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL("./verifyWorker.ts", import.meta.url), {
      workerData: {
        task: { ...task, endSeq: Math.min(task.endSeq, Number.MAX_SAFE_INTEGER) },
        port: port2,
        signal,
        slot,
      },
      transferList: [port2],
    });
    worker.unref();
    return { port: port1, slot, worker };
  });
  const results: RangeResult[] = [verifyRange(tasks[0] as RangeTask, db)];
  for (const s of started) {
    const waited = Atomics.wait(signal, s.slot, 0, WORKER_TIMEOUT_MS);
    const msg = receiveMessageOnPort(s.port)?.message as
      | { ok: true; result: RangeResult }
      | { ok: false; error: string }
      | undefined;
    s.port.close();
    void s.worker.terminate();
    if (waited === "timed-out" || msg === undefined || !msg.ok) {
      throw new CodexError("INTERNAL", "a ledger verification worker failed", {
        hint: "retry with workers: 0 (single-threaded)",
        details: { error: msg && !msg.ok ? msg.error : waited },
      });
    }
    results.push(msg.result);
  }
  return results;
}

/**
 * Frontier at each requested size from block roots and block-local frontiers: the frontier of an aligned
 * prefix is a frontier over its complete block roots; appending a block-local frontier gives the frontier
 * at any size inside the next block (every prefix node covers at least a block, every block-local node
 * less), and foldRootHex turns it into the RFC 6962 root.
 */
export function combineFrontiers(
  ranges: readonly RangeResult[],
  sizes: readonly number[],
): Map<number, string[]> {
  const frontiers = new Map<number, string[]>();
  if (sizes.includes(0)) frontiers.set(0, []);
  const snapshots = new Map<number, string[]>();
  for (const r of ranges) for (const s of r.snapshots) snapshots.set(s.size, s.nodes);
  const prefix = new MerkleFrontier();
  const blocks = ranges.flatMap((r) => r.blocks);
  const blockSize = blocks.reduce((m, b) => Math.max(m, b.size), 0);
  for (const b of blocks) {
    for (const s of sizes) {
      const nodes = s > b.start && s <= b.start + b.size ? snapshots.get(s) : undefined;
      if (nodes) frontiers.set(s, [...prefix.nodesHex(), ...nodes]);
    }
    if (b.size === blockSize) prefix.push(b.root);
  }
  return frontiers;
}
