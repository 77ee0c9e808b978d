import { workerData } from "node:worker_threads";

/**
 * Worker entry for parallel verification. The result goes through a MessagePort and the parent is woken
 * with Atomics.notify, so verifyLedger can stay synchronous (it blocks in Atomics.wait and reads the port
 * with receiveMessageOnPort). The import is dynamic so that even a load failure is reported and notified.
 */
const { task, port, signal, slot } = workerData as {
  task: import("./verifyRange.ts").RangeTask;
  port: import("node:worker_threads").MessagePort;
  signal: Int32Array;
  slot: number;
};
try {
  const { verifyRange } = await import("./verifyRange.ts");
  port.postMessage({ ok: true, result: verifyRange(task) });
} catch (err) {
  port.postMessage({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
} finally {
  Atomics.store(signal, slot, 1);
  Atomics.notify(signal, slot);
  port.close();
}
