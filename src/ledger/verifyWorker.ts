import { workerData } from "node:worker_threads";

/**
 * Worker entry for parallel verification (see runRanges): claims chunks from the shared counter until none
 * is left, posting each chunk's result through the MessagePort and then flagging it done with
 * Atomics.notify, so verifyLedger can stay synchronous (it blocks in Atomics.wait and reads the port with
 * receiveMessageOnPort). A failure is posted and flagged on the chunk it hit; one before the first claim
 * leaves every chunk to the other threads. The imports are dynamic so that even a load failure is caught.
 */
const { job, port, claim, done, ready, index } = workerData as {
  job: import("./verifyRange.ts").ChunkJob;
  port: import("node:worker_threads").MessagePort;
  claim: Int32Array;
  done: Int32Array;
  /** Set once this worker has loaded (or failed to): from then on it may be stopped safely. */
  ready: Int32Array;
  index: number;
};
const loaded = () => {
  Atomics.store(ready, index, 1);
  Atomics.notify(ready, index);
};
let k = -1;
let db: import("better-sqlite3").Database | undefined;
try {
  const { chunkTask, verifyRange } = await import("./verifyRange.ts");
  const { mapForScan, openLedgerSource } = await import("./openReadOnly.ts");
  db = openLedgerSource(job.source);
  if (job.mapFile) mapForScan(db);
  loaded();
  for (k = Atomics.add(claim, 0, 1); k < job.chunks; k = Atomics.add(claim, 0, 1)) {
    port.postMessage({ k, ok: true, result: verifyRange(chunkTask(job, k), db) });
    Atomics.store(done, k, 1);
    Atomics.notify(done, k);
  }
} catch (err) {
  port.postMessage({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  if (k >= 0 && k < job.chunks) {
    Atomics.store(done, k, 2);
    Atomics.notify(done, k);
  }
} finally {
  loaded();
  db?.close();
  port.close();
}
