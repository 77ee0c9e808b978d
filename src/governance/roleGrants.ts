import { createHash } from "node:crypto";
import path from "node:path";
import canonicalize from "canonicalize";
import type { Charter } from "./charter.ts";
import type { RoleMembers } from "./roles.ts";

/** One member of one role, and where that grant came from (the ledger records it). */
export interface RoleGrant {
  role: string;
  member: string;
  /** `charter.yml`, `MAOS_ROLES from .env:3`, `MAOS_ROLES from the environment`, `client matrix`. */
  source: string;
}

/** What governs a decision, as a process sees it: its grants and a digest of everything that decides. */
export interface EffectiveRoles {
  digest: string;
  grants: RoleGrant[];
  people: Record<string, string[]>;
  selfApproval: boolean;
}

/**
 * Every role grant in force: the charter's members, then the extra members (MAOS_ROLES, the client
 * matrix), each with its source. `envSource` names where MAOS_ROLES was read; `matrix` lists the
 * members the client matrix added (they are in `extra` too).
 */
export function effectiveRoles(
  charter: Pick<Charter, "file" | "roles" | "people" | "permissions" | "approvals">,
  extra: RoleMembers,
  sources: { envRoles: RoleMembers; envSource: string },
): EffectiveRoles {
  const grants: RoleGrant[] = [];
  const charterName = path.basename(charter.file);
  for (const [role, def] of Object.entries(charter.roles)) {
    for (const member of def.members) grants.push({ role, member, source: charterName });
  }
  for (const [role, members] of Object.entries(extra)) {
    for (const member of members) {
      if (grants.some((g) => g.role === role && g.member === member)) continue;
      const fromEnv = sources.envRoles[role]?.includes(member);
      grants.push({ role, member, source: fromEnv ? sources.envSource : "client matrix" });
    }
  }
  // The digest covers what decides a governed command, not where it was read from: the same grants
  // from .env or from the environment are the same configuration.
  const decides = {
    grants: grants.map((g) => `${g.role}=${g.member}`).sort(),
    people: charter.people,
    permissions: charter.permissions,
    selfApproval: charter.approvals.selfApproval,
  };
  const digest = createHash("sha256")
    .update(canonicalize(decides) ?? "")
    .digest("hex");
  return { digest, grants, people: charter.people, selfApproval: charter.approvals.selfApproval };
}

/**
 * How two processes' effective roles differ, in words: grants one has and the other lacks (with their
 * sources), and any other setting that decides (people, permissions, self-approval).
 */
export function rolesDifference(mine: EffectiveRoles, theirs: EffectiveRoles, theirName: string): string[] {
  const key = (g: RoleGrant) => `${g.role}=${g.member}`;
  const theirKeys = new Set(theirs.grants.map(key));
  const myKeys = new Set(mine.grants.map(key));
  const out: string[] = [];
  for (const g of mine.grants) {
    if (!theirKeys.has(key(g)))
      out.push(`this process grants ${key(g)} (${g.source}); ${theirName} does not`);
  }
  for (const g of theirs.grants) {
    if (!myKeys.has(key(g))) out.push(`${theirName} grants ${key(g)} (${g.source}); this process does not`);
  }
  if (mine.selfApproval !== theirs.selfApproval)
    out.push(
      `approvals.self_approval is ${mine.selfApproval} here and ${theirs.selfApproval} in ${theirName}`,
    );
  if (canonicalize(mine.people) !== canonicalize(theirs.people))
    out.push(`the charter's people differ from ${theirName}'s`);
  if (out.length === 0) out.push(`the charter's permissions differ from ${theirName}'s`);
  return out;
}
