import type { Actor } from "../core/Actor.ts";
import { chicagoIso } from "../core/timestamps.ts";
import type { SrrTrigger } from "../governance/charter.ts";
import { type ConfigChange, type ConfigHashes, diffHashes } from "./configHashes.ts";
import type { DriftResult } from "./drift.ts";
import type { LedgerLink } from "./IncidentService.ts";

/**
 * The STOP–RESET–REALIGN state machine, pure: events in, the next state and the effects to carry out
 * out. No I/O and no clock reads (times and ids come in with the events); the kernel (srrActions.ts)
 * reads the state from state.db, steps it, writes it back and performs the effects.
 */

export type SrrState = "RUNNING" | "HALTED";

export interface TriggerHit {
  trigger: SrrTrigger | "manual";
  reason: string;
  evidence: LedgerLink[];
}

/** A halt waiting to be recorded in the ledger. */
export interface PendingHalt {
  hits: TriggerHit[];
  actor: Actor;
  drift?: DriftResult;
}

export interface SrrRecord {
  state: SrrState;
  /** When the current state began; null when the loop has never been halted. */
  since: string | null;
  reason?: string;
  haltSeq?: number;
  correlationId?: string;
  /** Config hashes recorded at the halt. */
  frozen?: ConfigHashes;
  /** The hashes last reported as a violation, so one change is reported once. */
  frozenReported?: ConfigHashes;
  /**
   * A halt the ledger could not record (its writes were failing): the first heartbeat that can write
   * records SRR_HALTED (late) and opens the incident from this.
   */
  unrecorded?: PendingHalt & { writeError: string };
}

export const INITIAL_SRR: SrrRecord = { state: "RUNNING", since: null };

export type SrrEvent =
  /** A heartbeat was written and showed these trigger hits; `haltOn` is the charter's srr.halt_on. */
  | { type: "heartbeat"; hits: TriggerHit[]; haltOn: readonly SrrTrigger[] }
  /** The heartbeat could not be written: these hits halt the loop when the charter says so. */
  | { type: "unwritable"; hits: TriggerHit[]; haltOn: readonly SrrTrigger[] }
  /** Halt now, at `at`, freezing `frozen`; `writeFault` when the ledger is known not to take writes. */
  | {
      type: "halt";
      pending: PendingHalt;
      at: string;
      correlationId: string;
      frozen: ConfigHashes;
      writeFault?: string;
    }
  /** Recording the halt failed because the ledger's writes fail. */
  | { type: "recordFailed"; pending: PendingHalt; writeError: string }
  /** SRR_HALTED is in the ledger at `haltSeq`. */
  | { type: "haltRecorded"; haltSeq: number }
  /** The config hashes now; a difference from the frozen ones (not yet reported) is a violation. */
  | { type: "configRead"; current: ConfigHashes }
  /** A manual stop was asked for. */
  | { type: "stop" }
  /** Resume was allowed (every blocker cleared) at `at`. */
  | { type: "resume"; at: string };

export type SrrEffect =
  /** Halt with these hits (the kernel then steps a `halt` event with the hashes and time). */
  | { type: "halt"; hits: TriggerHit[] }
  /** Write SRR_HALTED (late when it waited for the ledger) and open the incident. */
  | { type: "recordHalt"; pending: NonNullable<SrrRecord["unrecorded"]>; late: boolean }
  /** Say that the halt waits in state.db for a ledger that can write. */
  | { type: "logUnrecorded"; writeError: string }
  /** Read the config hashes (then step a `configRead` event). */
  | { type: "checkFrozen" }
  /** Record the config change as a governance violation with its own incident. */
  | { type: "reportConfigChange"; changes: ConfigChange[]; frozen: ConfigHashes }
  /** Refuse the request with this message. */
  | { type: "refuse"; message: string };

export interface SrrStep {
  state: SrrRecord;
  effects: SrrEffect[];
}

/** "drift red + custody break": how a halt is summarised. */
export function haltSummary(hits: readonly TriggerHit[]): string {
  return hits.map((h) => h.trigger.replaceAll("_", " ")).join(" + ");
}

export function srrStep(state: SrrRecord, event: SrrEvent): SrrStep {
  switch (event.type) {
    case "heartbeat": {
      if (state.state === "RUNNING") {
        const active = event.hits.filter((h) => h.trigger === "manual" || event.haltOn.includes(h.trigger));
        return { state, effects: active.length > 0 ? [{ type: "halt", hits: active }] : [] };
      }
      if (state.unrecorded)
        return { state, effects: [{ type: "recordHalt", pending: state.unrecorded, late: true }] };
      return { state, effects: state.frozen ? [{ type: "checkFrozen" }] : [] };
    }
    case "unwritable": {
      const active = event.hits.filter((h) => event.haltOn.includes(h.trigger as SrrTrigger));
      return {
        state,
        effects: state.state === "RUNNING" && active.length > 0 ? [{ type: "halt", hits: active }] : [],
      };
    }
    case "halt": {
      const halted: SrrRecord = {
        state: "HALTED",
        since: event.at,
        reason: haltSummary(event.pending.hits),
        correlationId: event.correlationId,
        frozen: event.frozen,
        frozenReported: event.frozen,
      };
      if (event.writeFault !== undefined) {
        return {
          state: { ...halted, unrecorded: { ...event.pending, writeError: event.writeFault } },
          effects: [{ type: "logUnrecorded", writeError: event.writeFault }],
        };
      }
      return {
        state: halted,
        effects: [{ type: "recordHalt", pending: { ...event.pending, writeError: "" }, late: false }],
      };
    }
    case "recordFailed":
      return {
        state: { ...state, unrecorded: { ...event.pending, writeError: event.writeError } },
        effects: [{ type: "logUnrecorded", writeError: event.writeError }],
      };
    case "haltRecorded": {
      const { unrecorded: _done, ...rest } = state;
      return { state: { ...rest, haltSeq: event.haltSeq }, effects: [] };
    }
    case "configRead": {
      if (state.state !== "HALTED" || !state.frozen) return { state, effects: [] };
      const changes = diffHashes(state.frozenReported ?? state.frozen, event.current);
      if (changes.length === 0) return { state, effects: [] };
      return {
        state: { ...state, frozenReported: event.current },
        effects: [{ type: "reportConfigChange", changes, frozen: state.frozen }],
      };
    }
    case "stop":
      return state.state === "HALTED"
        ? {
            state,
            effects: [
              {
                type: "refuse",
                message: `the autonomy loop is already HALTED (since ${chicagoIso(new Date(state.since ?? 0))}: ${state.reason ?? "?"})`,
              },
            ],
          }
        : { state, effects: [] };
    case "resume":
      return { state: { state: "RUNNING", since: event.at }, effects: [] };
  }
}

/** Why resume cannot even be considered: not halted, or the halt is not recorded yet. */
export function resumePrecheck(state: SrrRecord): string[] | undefined {
  if (state.state !== "HALTED") return ["the autonomy loop is not halted: it is already RUNNING"];
  if (state.unrecorded) {
    return [
      `the halt is not in the ledger yet (its writes failed: ${state.unrecorded.writeError}); the first heartbeat that can write records it and opens its incident`,
    ];
  }
  return undefined;
}

/** The facts the remaining resume blockers are decided from (measured by the kernel). */
export interface ResumeFacts {
  /** Open incidents, oldest first. */
  open: { id: string; approved: boolean; approvalId?: string; approvalStatus?: string }[];
  approverRoles: string[];
  ledger: { ok: boolean; firstBadSeq?: number };
  vault: { ok: boolean; problem?: string };
  drift: { score: number; band: string };
}

/** Why resume would be refused for these facts; empty when it may proceed. */
export function resumeBlockers(facts: ResumeFacts): string[] {
  const reasons: string[] = [];
  for (const i of facts.open) {
    if (!i.approved) {
      reasons.push(
        `${i.id} is not approved (${i.approvalId ?? "no approval"} is ${i.approvalStatus ?? "missing"}; approvers: ${facts.approverRoles.join(" or ") || "nobody"})`,
      );
    }
    reasons.push(`${i.id} has no resolution note (/codex incident resolve ${i.id} <note>)`);
  }
  if (!facts.ledger.ok) {
    reasons.push(
      `the ledger still fails verification${facts.ledger.firstBadSeq !== undefined ? ` at seq ${facts.ledger.firstBadSeq}` : ""}: restore it before resuming`,
    );
  }
  if (!facts.vault.ok)
    reasons.push(`the vault still fails verification: ${facts.vault.problem ?? "mismatch"}`);
  if (facts.ledger.ok && facts.vault.ok && facts.drift.band === "red") {
    reasons.push(`drift is red now (${facts.drift.score}); resuming would halt again at the next heartbeat`);
  }
  return reasons;
}
