import { existsSync } from "node:fs";
import { rolesFor } from "../governance/roles.ts";
import { payloadOf } from "../ledger/events.ts";
import type { AutonomyDeps } from "./AutonomyDeps.ts";
import type { SrrRecord } from "./stopResetRealign.ts";

/** Permissions whose holders the governance check requires: without them SRR cannot be exercised. */
export const GOVERNED_PERMISSIONS = [
  "stop",
  "resume",
  "seal",
  "incident.approve",
  "incident.resolve",
] as const;

export type GovernanceDeps = Pick<AutonomyDeps, "charter" | "extraRoles" | "state" | "ledger" | "ledgerPath">;

/** Whether governance is enforced: SRR RUNNING, no open incident, and every governed command has holders. */
export async function governanceCheck(
  deps: GovernanceDeps,
  srr: SrrRecord,
): Promise<{ ok: boolean; detail: string }> {
  const charter = deps.charter();
  const extra = deps.extraRoles();
  const reasons: string[] = [];
  if (srr.state === "HALTED") reasons.push(`STOP–RESET–REALIGN has the loop HALTED (${srr.reason ?? "?"})`);
  const open = await deps.state().listIncidents({ status: "open" });
  if (open.length > 0) reasons.push(`${open.length} open incident(s): ${open.map((i) => i.id).join(", ")}`);
  for (const permission of GOVERNED_PERMISSIONS) {
    const roles = rolesFor(charter, permission);
    if (roles.some((r) => charter.roles[r]?.members.includes("*"))) {
      reasons.push(`"${permission}" is granted to every member ("*"); it must be limited to named roles`);
      continue;
    }
    const held = roles.some(
      (r) => (charter.roles[r]?.members.length ?? 0) > 0 || (extra[r]?.length ?? 0) > 0,
    );
    if (!held) {
      reasons.push(
        `nobody holds a role that may ${permission.replace(".", " ")} (${roles.join(", ") || "no roles"}): add members in ${charter.file} or MAOS_ROLES`,
      );
    }
  }
  const solo = selfApprovalNote(deps);
  return reasons.length === 0
    ? {
        ok: true,
        detail: `charter ${charter.hash.slice(0, 12)} enforced: every governed command has named holders, SRR RUNNING, no open incident${solo ? `; ${solo}` : ""}`,
      }
    : { ok: false, detail: [...reasons, ...(solo ? [solo] : [])].join("; ") };
}

/**
 * Under a single-person deployment (charter approvals.self_approval: true) the same person may
 * request and approve: say so, with how many decisions were self-approved, wherever governance is
 * reported (status, activation, the governance_enforced seal condition). Undefined otherwise.
 */
export function selfApprovalNote(
  deps: Pick<GovernanceDeps, "charter" | "ledger" | "ledgerPath">,
): string | undefined {
  if (!deps.charter().approvals.selfApproval) return undefined;
  const count = existsSync(deps.ledgerPath())
    ? deps
        .ledger()
        .query({ eventType: "APPROVAL_ACCEPTED" })
        .filter((e) => payloadOf(e, "APPROVAL_ACCEPTED").selfApproval === true).length
    : 0;
  return `single-person deployment: approvals.self_approval is on, so approvals are not independent (${count} self-approval(s) recorded in the ledger)`;
}
