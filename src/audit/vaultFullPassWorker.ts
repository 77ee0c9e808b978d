import { parentPort, workerData } from "node:worker_threads";
import { lowerThreadPriority } from "../core/threadPriority.ts";

/**
 * Worker entry for the vault's full custody pass (see VaultWatch): the result, or the error's text, goes
 * back as one message. The import is dynamic so that even a load failure is reported.
 */
// The pass (and the git processes it starts) yields the CPU to the bot's event loop.
lowerThreadPriority();
const input = workerData as { vaultDir: string; ledgerPath: string; upTo?: number };
try {
  const { fullVaultPass } = await import("./vaultFullPass.ts");
  parentPort?.postMessage({ ok: true, result: await fullVaultPass(input) });
} catch (err) {
  parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
}
