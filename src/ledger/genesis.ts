import { CodexError } from "../core/CodexError.ts";
import type { LedgerAppend } from "./ledgerEntry.ts";
import { LEDGER_SCHEMA_VERSION } from "./ledgerSchema.ts";

/** The first entry of every ledger, on either backend: it names the schema, the origin and the verifier key. */
export function genesisAppend(origin: string, verifierKey: string): LedgerAppend {
  return {
    eventType: "GENESIS",
    level: "info",
    actor: "maos-codex",
    payload: {
      schemaVersion: LEDGER_SCHEMA_VERSION,
      origin,
      publicKey: verifierKey,
      createdBy: "maos-codex",
    },
    correlationId: "genesis",
    sealVersion: null,
  };
}

/** The genesis at seq 0 (its canonical text, the hashed bytes) names this key and origin; `path` names the ledger. */
export function assertGenesis(canonical: unknown, path: string, verifierKey: string, origin: string): void {
  let genesis: { event_type?: unknown; payload?: { publicKey?: unknown; origin?: unknown } } | undefined;
  try {
    genesis = typeof canonical === "string" ? JSON.parse(canonical) : undefined;
  } catch {
    genesis = undefined;
  }
  const payload = genesis?.payload;
  if (genesis?.event_type !== "GENESIS" || typeof payload !== "object" || payload === null) {
    throw new CodexError("LEDGER_BROKEN", `ledger ${path} has no valid genesis entry at seq 0`, {
      hint: "run `maos ledger verify`; restore the ledger from a backup",
    });
  }
  if (payload.publicKey !== verifierKey) {
    throw new CodexError(
      "LEDGER_BROKEN",
      `ledger ${path} was created with key ${String(payload.publicKey)}, not ${verifierKey}`,
      {
        hint: "start with the ledger's own key (MAOS_HOME/ledger.key or MAOS_LEDGER_KEY); keys cannot be rotated in place",
      },
    );
  }
  if (payload.origin !== origin) {
    throw new CodexError(
      "CONFIG_INVALID",
      `ledger ${path} has origin ${JSON.stringify(payload.origin)}, not ${JSON.stringify(origin)}`,
      { hint: "keep the origin the ledger was created with, or point MAOS_HOME at a fresh folder" },
    );
  }
}
