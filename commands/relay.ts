import { randomUUID } from "node:crypto";
import type { App } from "../src/app/App.ts";
import { type Actor, actorIdentity } from "../src/core/Actor.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { OutboxRow } from "../src/relays/Outbox.ts";
import type { PassResult } from "../src/relays/OutboxDispatcher.ts";
import type { Outcome } from "./governed.ts";

export interface RedriveResult {
  redriven: { id: number; sink: string; title: string; lastError: string | undefined }[];
  pass: PassResult | undefined;
  counts: { pending: number; delivered: number; dead: number };
}

/**
 * `maos relay redrive [ID…]`: dead letters (all, or the given outbox ids) go back to pending with a
 * fresh attempt budget, recorded in the ledger; then one delivery pass runs here for the sinks this
 * process can reach (Slack rows wait for the bot). Refused (exit 1) when a named id is not a dead letter.
 */
export async function redriveOutcome(
  app: Pick<App, "relays" | "ledger">,
  actor: Actor,
  ids: readonly string[],
): Promise<Outcome<RedriveResult>> {
  const numbers = ids.map((s) => {
    const n = Number(s.replace(/^#/, ""));
    if (!Number.isInteger(n) || n <= 0)
      throw new CodexError("USAGE", `"${s}" is not an outbox id`, {
        hint: "ids are the numbers maos status shows (dead #12 …)",
      });
    return n;
  });
  const relays = app.relays();
  const rows: OutboxRow[] = await relays.outbox().redrive(numbers);
  if (rows.length > 0) {
    await app.ledger().append({
      eventType: "EVIDENCE_REDRIVEN",
      level: "info",
      actor: actorIdentity(actor),
      correlationId: randomUUID(),
      payload: { outboxIds: rows.map((r) => r.id), sinks: [...new Set(rows.map((r) => r.sink))] },
    });
  }
  const pass = relays.dispatcher().sinks().length > 0 ? await relays.dispatcher().deliverDue() : undefined;
  const c = await relays.counts();
  const data: RedriveResult = {
    redriven: rows.map((r) => ({ id: r.id, sink: r.sink, title: r.body.item.title, lastError: r.lastError })),
    pass,
    counts: { pending: c.pending, delivered: c.delivered, dead: c.dead },
  };
  // Named ids that were not dead letters: the caller asked for something that did not happen.
  const notDead = numbers.filter((n) => !rows.some((r) => r.id === n));
  const text =
    (rows.length === 0
      ? `No dead letters${numbers.length > 0 ? ` among ${numbers.map((n) => `#${n}`).join(", ")}` : ""} to redrive.`
      : `Redrove ${rows.length} dead letter(s): ${rows.map((r) => `#${r.id} ${r.sink}`).join(", ")}.`) +
    (notDead.length > 0 && rows.length > 0
      ? ` Not dead letters: ${notDead.map((n) => `#${n}`).join(", ")}.`
      : "");
  const after = pass
    ? ` Delivered ${pass.delivered} now, ${pass.retried} will be retried, ${pass.deadLettered} dead again.`
    : " No sink is configured in this process; the bot delivers them.";
  return {
    // 0 when every dead letter asked for (all, by default) went back to pending, or there were none.
    ok: notDead.length === 0,
    data,
    reply: {
      summary: `${text}${after}`,
      parts: [
        { kind: "text", text: `${text}${after}` },
        { kind: "context", text: `outbox: ${c.pending} pending, ${c.delivered} delivered, ${c.dead} dead` },
      ],
    },
  };
}
