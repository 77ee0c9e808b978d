import { parentPort, workerData } from "node:worker_threads";
import { lowerThreadPriority } from "../core/threadPriority.ts";

/**
 * Worker entry for verifyLedgerInWorker: one full verification (which may start range workers of its own)
 * off the calling thread. A CodexError crosses as its fields and is rebuilt on the other side. The import is
 * dynamic so that even a load failure is reported.
 */
const { background, ...opts } = workerData as import("./verifyLedger.ts").VerifyOptions & {
  background?: boolean;
};
// A background pass (the heartbeat's) yields the CPU to the event loop's thread.
if (background) lowerThreadPriority();
try {
  const { verifyLedgerDetailed } = await import("./verifyLedger.ts");
  parentPort?.postMessage({ ok: true, detail: verifyLedgerDetailed(opts) });
} catch (err) {
  const e = err as { code?: unknown; message?: unknown; hint?: unknown; details?: unknown; stack?: unknown };
  parentPort?.postMessage({
    ok: false,
    error: {
      codex: err instanceof Error && err.name === "CodexError",
      code: e?.code,
      message: typeof e?.message === "string" ? e.message : String(err),
      hint: e?.hint,
      details: safeClone(e?.details),
      stack: typeof e?.stack === "string" ? e.stack : undefined,
    },
  });
}

function safeClone(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return undefined;
  }
}
