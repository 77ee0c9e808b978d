import type { ClientRecord } from "../clients/ClientMatrix.ts";
import type { RoleMembers } from "../governance/roles.ts";
import type { App } from "./App.ts";

/**
 * Role members from the client matrix's approval authority, merged into `into` in place (ApprovalService
 * holds that object), on top of `base` (MAOS_ROLES) when given.
 */
export function mergeClientRoles(
  into: RoleMembers,
  app: Pick<App, "clients" | "log">,
  matrix: () => readonly ClientRecord[],
  base?: RoleMembers,
): void {
  if (base) {
    for (const k of Object.keys(into)) delete into[k];
    Object.assign(into, base);
  }
  let fromMatrix: RoleMembers = {};
  try {
    fromMatrix = app.clients().off() ? {} : app.clients().roleMembersOf(matrix());
  } catch (err) {
    app.log.warn({ err }, "client matrix roles unavailable");
  }
  for (const [role, members] of Object.entries(fromMatrix))
    into[role] = [...new Set([...(into[role] ?? []), ...members])];
}
