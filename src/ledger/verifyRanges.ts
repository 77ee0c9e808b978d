import { availableParallelism } from "node:os";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import { workerEnv } from "../core/workerEnv.ts";
import { MerkleFrontier } from "./MerkleFrontier.ts";
import type { VerifyOptions } from "./verifyLedger.ts";
import { type ChunkJob, chunkTask, type RangeResult, verifyRange } from "./verifyRange.ts";

/** Ledgers below this are verified on one thread: a worker's start (~0.1-0.2 s) would cost more than it saves. */
const PARALLEL_THRESHOLD = 131_072;
/** Chunks per thread: small enough that the threads end within a chunk of each other (~20 ms at 1M entries). */
const CHUNKS_PER_THREAD = 32;
const WORKER_TIMEOUT_MS = 600_000;
const WAIT_STEP_MS = 50;
/** A worker loads in ~0.1-0.3 s; one not loaded after this never started. */
const READY_TIMEOUT_MS = 30_000;

/**
 * Splits [0, expected) into aligned chunks and scans them on this thread and in worker threads. Each
 * thread claims the next chunk from a shared counter until none is left, so the work divides itself
 * whatever each thread's start-up time and share of the CPU: the calling thread scans from the first
 * moment, a worker joins once it has loaded. Workers post each chunk's result and flag it done; this
 * thread then waits (Atomics.wait, so verifyLedger stays synchronous) for the chunks still being scanned.
 */
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
      verifyRange({ startSeq: 0, endSeq: Number.POSITIVE_INFINITY, blockSize: 2 ** 52, sizes, deep }, db),
    ];
  }
  // Each chunk is one block: a power of two, so block roots are complete RFC 6962 subtrees.
  let blockSize = 1;
  while (blockSize * 2 <= Math.ceil(expected / (parts * CHUNKS_PER_THREAD))) blockSize *= 2;
  const job: ChunkJob = {
    source,
    chunks: Math.ceil(expected / blockSize),
    blockSize,
    sizes,
    deep,
    mapFile: opts.mapFile ?? true,
  };
  const claim = new Int32Array(new SharedArrayBuffer(4));
  // Per chunk: 0 while unfinished, 1 when a worker posted its result, 2 when the worker failed on it.
  const done = new Int32Array(new SharedArrayBuffer(4 * job.chunks));
  // Per worker: 1 once it has loaded (its native SQLite binding registered) or failed.
  const ready = new Int32Array(new SharedArrayBuffer(4 * (parts - 1)));
  const started = Array.from({ length: parts - 1 }, (_, index) => {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL("./verifyWorker.ts", import.meta.url), {
      workerData: { job, port: port2, claim, done, ready, index },
      transferList: [port2],
      env: workerEnv(),
    });
    worker.unref();
    return { port: port1, worker };
  });
  const results: (RangeResult | undefined)[] = new Array(job.chunks);
  try {
    while (opts.scanHere !== false) {
      const k = Atomics.add(claim, 0, 1);
      if (k >= job.chunks) break;
      results[k] = verifyRange(chunkTask(job, k), db);
    }
    const failures: string[] = [];
    const drain = () => {
      for (const s of started) {
        for (let m = receiveMessageOnPort(s.port); m !== undefined; m = receiveMessageOnPort(s.port)) {
          const msg = m.message as
            | { k: number; ok: true; result: RangeResult }
            | { ok: false; error: string };
          if (msg.ok) results[msg.k] = msg.result;
          else failures.push(msg.error);
        }
      }
    };
    // A chunk not yet done is being scanned by a worker (or, with scanHere false, waits for one): wait in
    // short steps, so that a worker that failed, even before claiming anything, ends the wait at once.
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    for (let k = 0; k < job.chunks; k++) {
      while (results[k] === undefined) {
        Atomics.wait(done, k, 0, WAIT_STEP_MS);
        drain();
        if (results[k] !== undefined) break;
        if (failures.length > 0 || Date.now() > deadline) {
          throw new CodexError("INTERNAL", "a ledger verification worker failed", {
            hint: "retry with workers: 0 (single-threaded)",
            details: { error: failures[0] ?? "timed out", chunk: k },
          });
        }
      }
    }
    return results as RangeResult[];
  } finally {
    // No chunk is left to claim (on a failure, none is handed out any more), so each worker ends by itself
    // once loaded. It is never stopped while loading: terminating a thread while it registers
    // better-sqlite3's native binding aborts the whole process (napi_get_last_error_info), which a fast
    // pass on this thread made possible. Waiting for the load costs nothing when the worker took a chunk.
    Atomics.store(claim, 0, job.chunks);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    started.forEach((s, i) => {
      while (Atomics.load(ready, i) === 0 && Date.now() < deadline) Atomics.wait(ready, i, 0, WAIT_STEP_MS);
      s.port.close();
      // A thread that never got as far as loading (it died before its first line) is stopped.
      if (Atomics.load(ready, i) === 0) void s.worker.terminate();
    });
  }
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
