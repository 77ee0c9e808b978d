import canonicalize from "canonicalize";
import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import type { EffectiveRoles } from "../governance/roleGrants.ts";
import type { RoleGrantDeps } from "./AutonomyDeps.ts";

/**
 * Writes ROLE_GRANTS (every grant with its source: the charter file, MAOS_ROLES from .env or from the
 * environment, the client matrix) when the grants in force differ from the last ones recorded, so
 * each governed act in the ledger can be traced to where its role came from.
 */
export async function recordRoleGrants(
  app: RoleGrantDeps,
  roles: EffectiveRoles = app.effectiveRoles(),
): Promise<void> {
  const last = app.ledger().query({ eventType: "ROLE_GRANTS", newestFirst: true, limit: 1 })[0];
  const prior = last?.payload as { digest?: string; grants?: unknown } | undefined;
  // Stored payloads are canonical JSON (sorted keys): compare in the same form.
  if (prior?.digest === roles.digest && canonicalize(prior.grants) === canonicalize(roles.grants)) return;
  await app.ledger().append({
    eventType: "ROLE_GRANTS",
    level: "info",
    actor: actorIdentity(SYSTEM_ACTOR),
    correlationId: "roles",
    payload: { ...roles, pid: process.pid },
  });
}
