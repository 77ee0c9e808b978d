import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import { runContext } from "../core/runContext.ts";
import type { EgressRefusal } from "../egress/EgressGuard.ts";
import type { App } from "./createApp.ts";

/**
 * A refused outbound request is a governance violation ("no third-party relays"): it is written to the
 * ledger and STOP–RESET–REALIGN is triggered through the autonomy kernel — a heartbeat now, whose SRR
 * checks see the new violation (trigger governance_violation); if that heartbeat could not count it
 * (the very first heartbeat only sets the scan mark), the kernel is stopped with the violation as the
 * reason. Nothing happens to SRR when the charter's srr.halt_on leaves governance_violation out.
 */
export async function recordEgressRefusal(
  app: App,
  refusal: EgressRefusal,
  react: (refusal: EgressRefusal, seq: number) => Promise<void> = (r, seq) =>
    reactToEgressRefusal(app, r, seq),
): Promise<void> {
  app.log.error(
    { host: refusal.host, target: refusal.target, method: refusal.method },
    "egress refused: host not in the allowlist",
  );
  const run = runContext.getStore();
  const entry = await app.ledger().append({
    eventType: "GOVERNANCE_VIOLATION",
    level: "error",
    actor: actorIdentity(SYSTEM_ACTOR),
    correlationId: run?.correlationId ?? "egress",
    payload: {
      rule: "egress_refused",
      host: refusal.host,
      target: refusal.target,
      method: refusal.method,
      allowed: refusal.allowed,
      ...(run ? { runId: run.runId } : {}),
    },
  });
  await react(refusal, entry.seq);
}

/**
 * STOP–RESET–REALIGN's answer to a refused egress recorded at `seq`, by the kernel of the bot: a run on
 * the run worker thread records the violation there and sends it here (see WorkerRuns).
 */
export async function reactToEgressRefusal(
  app: Pick<App, "autonomy" | "charter">,
  refusal: EgressRefusal,
  seq: number,
): Promise<void> {
  const kernel = app.autonomy();
  if ((await kernel.srr()).state !== "RUNNING" || !app.charter().srr.haltOn.includes("governance_violation"))
    return;
  await kernel.heartbeat("governance");
  if ((await kernel.srr()).state === "RUNNING") {
    await kernel.stop(
      SYSTEM_ACTOR,
      `egress refused: ${refusal.host} (GOVERNANCE_VIOLATION, ledger seq ${seq})`,
      [],
    );
  }
}
