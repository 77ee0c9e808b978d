import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import { rolesFor, rolesOf } from "../governance/roles.ts";
import { type EventType, payloadOf } from "../ledger/events.ts";
import type { LedgerEntry } from "../ledger/Ledger.ts";
import type { AutonomyDeps } from "./AutonomyDeps.ts";
import { link } from "./entryFields.ts";
import type { LedgerLink } from "./IncidentService.ts";
import type { TriggerHit } from "./stopResetRealign.ts";
import type { TelemetryReading } from "./Telemetry.ts";

export type TriggerScanDeps = Pick<AutonomyDeps, "charter" | "extraRoles" | "state" | "ledger">;

/** How far the last heartbeat's scan of new violations and governed acts went (state.db). */
const SCANNED_KEY = "srr.scannedSeq";

/** Ledger events that record a governed act, and the permission each needs (identity-mismatch scan). */
const GOVERNED_EVENTS = {
  SEAL_CREATED: () => "seal",
  SRR_RESUMED: () => "resume",
  SRR_STOPPED: () => "stop",
  INCIDENT_RESOLVED: () => "incident.resolve",
  ACTIVATION_COMPLETED: () => "activate",
  APPROVAL_ACCEPTED: (e: LedgerEntry) =>
    `${String(payloadOf(e, "APPROVAL_ACCEPTED").kind ?? "incident")}.approve`,
} satisfies Partial<Record<EventType, (e: LedgerEntry) => string>>;
type GovernedEvent = keyof typeof GOVERNED_EVENTS;

/** `slack:U123 <a@b.c>` → { source: "slack", id: "U123" }. */
function parseIdentity(identity: string): { source: string; id: string } {
  const colon = identity.indexOf(":");
  const source = colon < 0 ? identity : identity.slice(0, colon);
  const rest = colon < 0 ? "" : identity.slice(colon + 1);
  return { source, id: rest.replace(/\s+<[^>]*>$/, "") };
}

/** The SRR triggers this heartbeat shows; new violations and identity mismatches are scanned once. */
export async function scanTriggers(
  deps: TriggerScanDeps,
  reading: TelemetryReading,
  heartbeat: LedgerEntry,
): Promise<TriggerHit[]> {
  const hb = link(heartbeat);
  const hits: TriggerHit[] = [];
  if (reading.drift.band === "red") {
    hits.push({
      trigger: "drift_red",
      reason: `drift ${reading.drift.score} is over ${deps.charter().drift.bands.yellowMax} (red)`,
      evidence: [hb],
    });
  }
  if (!reading.ledger.ok || !reading.vault.ok) {
    const what = !reading.ledger.ok
      ? `the ledger failed verification${reading.ledger.firstBad ? ` at seq ${reading.ledger.firstBad.seq}: ${reading.ledger.firstBad.reason}` : ""}`
      : `the vault failed verification: ${reading.vault.problem ?? "mismatch"}`;
    hits.push({ trigger: "custody_break", reason: `custody break: ${what}`, evidence: [hb] });
  }
  if (reading.faults.length > 0) {
    hits.push({
      trigger: "telemetry_fault",
      reason: `telemetry fault: ${reading.faults.join("; ")}`,
      evidence: [hb],
    });
  }
  const store = deps.state();
  const scanned = await store.getValue<number>(SCANNED_KEY);
  await store.setValue(SCANNED_KEY, heartbeat.seq);
  // The first heartbeat ever only sets the mark: history from before the loop never halts it.
  if (scanned === undefined) return hits;
  const after = (type: string) =>
    deps
      .ledger()
      .query({ eventType: type, newestFirst: true, limit: 200 })
      .filter((e) => e.seq > scanned && e.seq < heartbeat.seq);
  // A violation an incident already reports (config changed while frozen) is that incident's to
  // resolve; once resolved it must never trip the loop again, whatever restarts came between.
  const reported = new Set(
    (await store.listIncidents({ limit: 1000 })).flatMap((i) =>
      ((i.report as { evidence?: LedgerLink[] }).evidence ?? []).map((e) => e.seq),
    ),
  );
  const violations = after("GOVERNANCE_VIOLATION").filter((v) => !reported.has(v.seq));
  if (violations.length > 0) {
    hits.push({
      trigger: "governance_violation",
      reason: `${violations.length} governance violation(s): ${violations
        .map((v) => {
          // Older builds wrote `kind` or `reason` where `rule` is now.
          const p = payloadOf(v, "GOVERNANCE_VIOLATION") as { rule?: string; kind?: string; reason?: string };
          return String(p.rule ?? p.kind ?? p.reason ?? v.eventType);
        })
        .join(", ")}`,
      evidence: violations.map(link),
    });
  }
  const mismatches = await identityMismatches(deps, after);
  if (mismatches.length > 0) {
    hits.push({
      trigger: "identity_mismatch",
      reason: `identity mismatch: ${mismatches.map((m) => m.reason).join("; ")}`,
      evidence: mismatches.map((m) => m.link),
    });
  }
  return hits;
}

/** Governed acts recorded by an actor the current charter does not know for them. */
async function identityMismatches(
  deps: TriggerScanDeps,
  after: (type: string) => LedgerEntry[],
): Promise<{ reason: string; link: LedgerLink }[]> {
  const charter = deps.charter();
  const out: { reason: string; link: LedgerLink }[] = [];
  for (const [type, permissionOf] of Object.entries(GOVERNED_EVENTS) as [
    GovernedEvent,
    (e: LedgerEntry) => string,
  ][]) {
    for (const e of after(type)) {
      const who = parseIdentity(e.actorIdentity);
      if (who.source === "system") continue;
      const permission = permissionOf(e);
      const needed = rolesFor(charter, permission);
      const roles = payloadOf(e, type).roles;
      const claimed = Array.isArray(roles) ? roles.map(String) : [];
      const held = new Set([...claimed, ...rolesOf(charter, who.id, [], deps.extraRoles())]);
      if (needed.some((r) => held.has(r))) continue;
      const reason = `${e.actorIdentity} recorded ${type} (seq ${e.seq}) without a role that may ${permission}`;
      const m = await deps.ledger().append({
        eventType: "IDENTITY_MISMATCH",
        level: "error",
        actor: actorIdentity(SYSTEM_ACTOR),
        correlationId: e.correlationId,
        payload: { seq: e.seq, eventType: type, actor: e.actorIdentity, permission, needed },
      });
      out.push({ reason, link: link(m) });
    }
  }
  return out;
}
