import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import { utcIso } from "../core/timestamps.ts";
import type { AutonomyDeps } from "./AutonomyDeps.ts";
import type { AutonomyKernel } from "./AutonomyKernel.ts";

/** What noting a guardrail block needs: the charter, the ledger, and the kernel to apply SRR. */
export type GuardrailDeps = Pick<AutonomyDeps, "charter" | "clock" | "ledger"> & {
  autonomy(): Pick<AutonomyKernel, "srr" | "heartbeat" | "stop">;
};

/**
 * After a run the guardrails blocked: the block itself is the charter working (GUARDRAIL_BLOCKED, the
 * run failed, the requester told why). Only when one actor's blocks within drift.window_minutes go
 * beyond guardrails.max_blocks_per_actor is it a violation of the system — recorded once, at the first
 * block past the threshold — and STOP–RESET–REALIGN applies at once (a heartbeat now), as for a refused
 * egress. Returns the violation's seq when one was recorded.
 */
export async function noteGuardrailBlock(app: GuardrailDeps, requester: string): Promise<number | undefined> {
  const charter = app.charter();
  const threshold = charter.guardrails.maxBlocksPerActor;
  const since = utcIso(new Date(app.clock.now().getTime() - charter.drift.windowMinutes * 60_000));
  const blocks = app
    .ledger()
    .query({ eventType: "GUARDRAIL_BLOCKED", newestFirst: true, limit: 500 })
    .filter((e) => e.timestampUtc >= since && e.actorIdentity === requester);
  if (blocks.length !== threshold + 1) return undefined;
  const violation = await app.ledger().append({
    eventType: "GOVERNANCE_VIOLATION",
    level: "error",
    actor: actorIdentity(SYSTEM_ACTOR),
    correlationId: blocks[0]?.correlationId ?? "guardrails",
    payload: {
      rule: "repeated_guardrail_blocks",
      actor: requester,
      blocks: blocks.length,
      threshold,
      windowMinutes: charter.drift.windowMinutes,
      evidence: blocks.map((b) => b.seq).reverse(),
    },
  });
  const kernel = app.autonomy();
  if ((await kernel.srr()).state !== "RUNNING" || !charter.srr.haltOn.includes("governance_violation"))
    return violation.seq;
  await kernel.heartbeat("governance");
  if ((await kernel.srr()).state === "RUNNING") {
    // The very first heartbeat only sets the scan mark, so it could not count the violation.
    await kernel.stop(
      SYSTEM_ACTOR,
      `${requester} had ${blocks.length} runs blocked by the guardrails within ${charter.drift.windowMinutes} min (over ${threshold}); GOVERNANCE_VIOLATION seq ${violation.seq}`,
      [],
    );
  }
  return violation.seq;
}
