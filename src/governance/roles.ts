import { CodexError } from "../core/CodexError.ts";
import type { Charter } from "./charter.ts";

/** Extra role members by role name, from MAOS_ROLES. */
export type RoleMembers = Record<string, string[]>;

const ROLE_NAME = /^[a-z][a-z0-9_]*(?::[a-z][a-z0-9_]*)?$/;
/** Slack user (U…/W…) or user-group (S…) ids, a local OS user of the shell and CLI (`local:alice`), or an MCP client (`mcp:cursor`). */
const MEMBER_ID = /^(?:[UWS][A-Z0-9]{2,}|local:[a-z_][a-z0-9_.-]*|mcp:[A-Za-z0-9_.-]+)$/;
const EXAMPLE = "operator=U123,U456;client_role:business_owner=U789";

/** The charter fields person lookups need; `people` is optional so older callers keep working. */
export type PeopleSource = { people?: Record<string, string[]> };

/** The person an identity belongs to (`person:alice`), else the identity itself: one key per human. */
export function personOf(charter: PeopleSource, identity: string): string {
  for (const [name, ids] of Object.entries(charter.people ?? {})) {
    if (ids.includes(identity)) return `person:${name}`;
  }
  return identity;
}

/** Every identity linked to this one through the charter's people (itself included). */
export function linkedIdentities(charter: PeopleSource, identity: string): string[] {
  for (const ids of Object.values(charter.people ?? {})) {
    if (ids.includes(identity)) return [...new Set([identity, ...ids])];
  }
  return [identity];
}

/**
 * The roles a Slack user holds: every charter role whose members include "*", the user's id or one
 * of their user groups, plus the same test against `extraMembers` (MAOS_ROLES). Charter order first.
 */
export function rolesOf(
  charter: Pick<Charter, "roles"> & PeopleSource,
  userId: string,
  userGroupIds: readonly string[] = [],
  extraMembers: RoleMembers = {},
): string[] {
  // A person linked in the charter holds the roles of each of their identities, on every surface.
  const ids = new Set([...linkedIdentities(charter, userId), ...userGroupIds]);
  const holds = (members: readonly string[]) => members.some((m) => m === "*" || ids.has(m));
  const roles: string[] = [];
  for (const [role, def] of Object.entries(charter.roles)) {
    if (holds(def.members) || holds(extraMembers[role] ?? [])) roles.push(role);
  }
  for (const [role, members] of Object.entries(extraMembers)) {
    if (!roles.includes(role) && holds(members)) roles.push(role);
  }
  return roles;
}

/**
 * The roles allowed to run `command`: its own entry, else its parent's (`incident.approve` falls back
 * to `incident`); a command with no entry at all is denied to everyone.
 */
export function rolesFor(charter: Pick<Charter, "permissions">, command: string): string[] {
  for (
    let name = command;
    name !== "";
    name = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : ""
  ) {
    const allowed = charter.permissions[name];
    if (allowed) return allowed;
  }
  return [];
}

/** Whether the user may run `command`, and which roles would allow it (for the refusal message). */
export function mayRun(
  charter: Pick<Charter, "roles" | "permissions"> & PeopleSource,
  command: string,
  userId: string,
  groups: readonly string[] = [],
  extra: RoleMembers = {},
): { allowed: boolean; needed: string[] } {
  const needed = rolesFor(charter, command);
  const held = rolesOf(charter, userId, groups, extra);
  return { allowed: needed.some((r) => held.includes(r)), needed };
}

function invalid(message: string): CodexError {
  return new CodexError("CONFIG_INVALID", `MAOS_ROLES is malformed: ${message}`, {
    hint: `write it as ROLE=ID,ID;ROLE=ID with Slack user (U…/W…) or user-group (S…) ids, e.g. ${EXAMPLE}; or unset MAOS_ROLES`,
  });
}

/**
 * Parses MAOS_ROLES (`operator=U123,U456;client_role:business_owner=U789`). An empty value means no
 * extra members. "*" is refused here: granting a role to everyone belongs in charter.yml, where it is
 * reviewed and hashed into the ledger. With a charter, role names must be ones it defines.
 */
export function parseRoleEnv(value: string, charter?: Pick<Charter, "roles">): RoleMembers {
  const out: RoleMembers = {};
  for (const rawEntry of value.split(";")) {
    const entry = rawEntry.trim();
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    if (eq <= 0) throw invalid(`"${entry}" has no ROLE= before its members`);
    const role = entry.slice(0, eq).trim();
    if (!ROLE_NAME.test(role))
      throw invalid(`"${role}" is not a role name (lowercase snake_case, optionally prefix:name)`);
    if (charter && !(role in charter.roles)) {
      throw invalid(
        `role "${role}" is not defined in the charter; roles: ${Object.keys(charter.roles).join(", ")}`,
      );
    }
    const members = entry
      .slice(eq + 1)
      .split(",")
      .map((m) => m.trim())
      .filter((m) => m !== "");
    if (members.length === 0) throw invalid(`role "${role}" lists no member ids`);
    for (const m of members) {
      if (m === "*")
        throw invalid(`"*" (everyone) cannot be granted by env; put it in the charter's roles instead`);
      if (!MEMBER_ID.test(m))
        throw invalid(
          `"${m}" is not a Slack user or user-group id (U…, W… or S…) nor a local user (local:alice) nor an MCP client (mcp:NAME)`,
        );
    }
    out[role] = [...new Set([...(out[role] ?? []), ...members])];
  }
  return out;
}
