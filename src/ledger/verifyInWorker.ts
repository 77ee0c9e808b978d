import { statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { CodexError, type ErrorCode } from "../core/CodexError.ts";
import { workerEnv } from "../core/workerEnv.ts";
import { type VerifyDetail, type VerifyOptions, verifyLedgerDetailed } from "./verifyLedger.ts";

/** A ledger file below this (~16k entries) is verified on the calling thread, in well under 100 ms. */
export const INLINE_VERIFY_BYTES = 8 * 1024 * 1024;

/**
 * verifyLedgerDetailed, in a worker thread when the file is large enough for the pass to hold the event
 * loop noticeably (a bot answering `/codex ledger verify` keeps acking and serving /health meanwhile).
 */
export async function verifyLedgerOffThread(opts: VerifyOptions): Promise<VerifyDetail> {
  let bytes = 0;
  try {
    bytes = statSync(opts.path).size;
  } catch {
    // A missing file is reported by the verification itself.
  }
  return bytes < INLINE_VERIFY_BYTES ? verifyLedgerDetailed(opts) : verifyLedgerInWorker(opts);
}

interface WorkerReply {
  ok: boolean;
  detail?: VerifyDetail;
  error?: {
    codex: boolean;
    code?: string;
    message: string;
    hint?: string;
    details?: unknown;
    stack?: string;
  };
}

/**
 * verifyLedgerDetailed in a worker thread, awaited: a full pass over a million entries takes seconds, and
 * the bot's event loop (Slack acks, /health) must not wait for it. Same report, same errors. `background`
 * runs it at a lower thread priority (the heartbeat's periodic pass), so it never delays the event loop.
 */
export function verifyLedgerInWorker(
  opts: VerifyOptions,
  run: { background?: boolean } = {},
): Promise<VerifyDetail> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const worker = new Worker(new URL("./fullVerifyWorker.ts", import.meta.url), {
      // Unmapped: this thread's process serves requests meanwhile (see VerifyOptions.mapFile).
      workerData: { mapFile: false, ...opts, background: run.background ?? false },
      env: workerEnv(),
    });
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.once("message", (reply: WorkerReply) =>
      settle(() => {
        if (reply.ok && reply.detail) resolve(reply.detail);
        else reject(rebuild(reply.error));
      }),
    );
    worker.once("error", (err) => settle(() => reject(failed(err.message))));
    worker.once("exit", (code) => settle(() => reject(failed(`the worker exited with code ${code}`))));
  });
}

function rebuild(e: WorkerReply["error"]): Error {
  if (e?.codex && typeof e.code === "string") {
    return new CodexError(e.code as ErrorCode, e.message, {
      ...(e.hint !== undefined ? { hint: e.hint } : {}),
      ...(e.details !== undefined ? { details: e.details } : {}),
    });
  }
  return failed(e?.stack ?? e?.message ?? "no reply");
}

function failed(error: string): CodexError {
  return new CodexError("INTERNAL", "the ledger verification worker failed", {
    hint: "run `maos ledger verify` to verify the ledger in the foreground; set LOG_LEVEL=debug for details",
    details: { error },
  });
}
