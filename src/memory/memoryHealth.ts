import { existsSync } from "node:fs";
import path from "node:path";
import type { MemoryIndex } from "./MemoryIndex.ts";

/**
 * "Memory online": the index catches up with the ledger, answers a query, and is in step with the
 * ledger head (it has read every entry up to the head's seq).
 */
export async function memoryHealth(
  memory: MemoryIndex,
  ledgerPath: string,
  home: string,
  head: number,
): Promise<{ ok: boolean; detail: string }> {
  if (!existsSync(ledgerPath)) return { ok: false, detail: "no ledger yet: run a stack first" };
  try {
    await memory.sync(ledgerPath, path.join(home, "vault"));
    const probe = await memory.search({ query: "lesson run evaluation", limit: 1 });
    const info = memory.info();
    const inStep = info.through >= head;
    return {
      ok: inStep,
      detail: `memory index ${inStep ? "in step with" : "BEHIND"} the ledger (read through seq ${info.through}, head ${head}); ${info.items} items; ${probe.mode} search answered (${probe.hits.length} hit); vectors: ${info.label ?? "off (MAOS_EMBEDDINGS not set)"}`,
    };
  } catch (err) {
    return {
      ok: false,
      detail: `memory index did not answer: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
