import assert from "node:assert/strict";
import { after, test } from "node:test";
import { localLedger } from "../../src/ledger/LedgerHandle.ts";
import type { LedgerAppend } from "../../src/ledger/ledgerEntry.ts";
import { testApp } from "../helpers/testApp.ts";

const t = testApp();
after(t.cleanup);

test("a heartbeat's agent and run signals count the window's entries, field by field", async () => {
  const { app, clock } = t;
  const ledger = localLedger(app.ledger());
  const attempt = (provider: string, outcome: "ok" | "error"): LedgerAppend => ({
    eventType: "AGENT_ATTEMPT",
    actor: "agent:prime",
    correlationId: "run-1",
    payload: {
      runId: "run-1",
      agent: "prime",
      provider,
      kind: "offline",
      model: "m",
      slot: "prime",
      attempt: 1,
      outcome,
      ms: 5,
      tokens: { input: 1, output: 1 },
    },
  });
  const end = (status: "completed" | "failed", score: number, code?: string): LedgerAppend => ({
    eventType: status === "completed" ? "RUN_COMPLETED" : "RUN_FAILED",
    actor: "agent:prime",
    correlationId: `run-${score}`,
    payload: {
      runId: `run-${score}`,
      status,
      score,
      pass: status === "completed",
      ...(code ? { error: { code, message: "m" } } : {}),
    },
  });
  // Outside the window (a day ago): never counted.
  ledger.appendSync(attempt("offline:old", "error"));
  ledger.appendSync(end("failed", 1, "AGENT_FAILED"));
  clock.set(new Date(clock.now().getTime() + 24 * 3_600_000));
  for (const [provider, outcome] of [
    ["offline:a", "ok"],
    ["offline:a", "error"],
    ["offline:b", "error"],
    ["offline:b", "error"],
  ] as const) {
    ledger.appendSync(attempt(provider, outcome));
  }
  ledger.appendSync(end("completed", 90));
  ledger.appendSync(end("completed", 70));
  ledger.appendSync(end("failed", 10, "GUARDRAIL_VIOLATION"));
  ledger.appendSync(end("failed", 20, "AGENT_FAILED"));

  const beat = await app.autonomy().heartbeat("relay");
  assert.deepEqual(beat.signals.agents, {
    status: "failing",
    attempts: 4,
    failed: 3,
    byProvider: { "offline:a": { attempts: 2, failed: 1 }, "offline:b": { attempts: 2, failed: 2 } },
  });
  const detail = (name: string) => beat.drift.components.find((c) => c.name === name)?.detail ?? "";
  assert.equal(detail("provider_errors"), "3 of 4 provider attempts failed");
  // Two scored runs; the guardrail's block is governance's, not a failed run, and the other failure is one.
  assert.match(detail("score_shortfall"), /^3 runs against target [\d.]+ \(1 failed\)$/);
});
