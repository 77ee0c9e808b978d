import { randomUUID } from "node:crypto";
import type { App } from "../src/app/App.ts";
import { recordRoleGrants } from "../src/autonomy/recordRoleGrants.ts";
import { type Actor, actorIdentity } from "../src/core/Actor.ts";
import { CodexError } from "../src/core/CodexError.ts";
import { personName } from "../src/core/personName.ts";
import type { Reply } from "../src/core/Reply.ts";
import { mayRun } from "../src/governance/charter.ts";
import { rolesDifference } from "../src/governance/roleGrants.ts";
import type { LedgerEntry } from "../src/ledger/Ledger.ts";
import type { AnyCommand, CommandContext } from "./CommandSpec.ts";
import { errorReply, orList } from "./replies.ts";

/** The app members a permission check reads. */
export type RoleDeps = Pick<App, "charter" | "extraRoles">;

/** What a GOVERNANCE_REFUSAL entry records: the permission refused, plus the adapter's own facts. */
export interface RefusalPayload {
  command: string;
  needed?: string[];
  via?: string;
  [fact: string]: unknown;
}

/**
 * The one writer of GOVERNANCE_REFUSAL, whichever adapter refused (Slack, shell, CLI, MCP): every
 * refusal is a warn-level entry of its own, under a fresh correlation id.
 */
export function recordRefusal(
  ledger: {
    append(e: {
      eventType: string;
      level: "warn";
      actor: string;
      correlationId: string;
      payload: RefusalPayload;
    }): Promise<LedgerEntry>;
  },
  actor: string,
  payload: RefusalPayload,
): Promise<LedgerEntry> {
  return ledger.append({
    eventType: "GOVERNANCE_REFUSAL",
    level: "warn",
    actor,
    correlationId: randomUUID(),
    payload,
  });
}

/** The charter permission a call checks: the spec's own, or its rule over the input. */
export function permissionOf(spec: AnyCommand, input: unknown): string {
  return typeof spec.permission === "string" ? spec.permission : spec.permission(input);
}

/** Whether `actor` may run `permission`, and the roles that would allow it. */
export function checkPermission(
  deps: RoleDeps,
  actor: Actor,
  permission: string,
): { allowed: boolean; needed: string[] } {
  return mayRun(deps.charter(), permission, actor.id, actor.groups ?? [], deps.extraRoles());
}

/**
 * Why nobody could pass a check yet: the needed roles that have no member at all, in the charter or
 * MAOS_ROLES (the shipped charter lists none for the governed roles). Empty when someone holds one.
 */
export function unstaffedNote(deps: RoleDeps, needed: readonly string[]): string {
  const charter = deps.charter();
  const extra = deps.extraRoles();
  const staffed = needed.some((r) => (charter.roles[r]?.members.length ?? 0) + (extra[r]?.length ?? 0) > 0);
  if (needed.length === 0 || staffed) return "";
  return ` No one holds ${needed.length === 1 ? "that role" : "those roles"} yet: add members in the charter's roles or MAOS_ROLES.`;
}

/**
 * How to grant the caller one of `needed`, concretely: the .env line (a local account) or the charter
 * entry (a Slack user) that names them. The shell, Slack and the CLI show the same fix.
 */
export function howToGrant(deps: RoleDeps, actor: Actor, needed: readonly string[]): string {
  const file = deps.charter().file;
  const role = needed.find((r) => r !== "member") ?? needed[0];
  if (!role)
    return `the charter has no permissions entry for this command; add one in ${file} (MAOS_CHARTER)`;
  const id = actor.id;
  const env = `MAOS_ROLES=${role}=${id}`;
  return actor.source === "slack"
    ? `an admin adds ${id} to roles.${role}.members in ${file} (MAOS_CHARTER), or to MAOS_ROLES (${env}) in the bot's .env, then restarts the bot; the refusal is recorded in the ledger`
    : `add \`${env}\` to .env (or list ${id} under roles.${role}.members in ${file}), then run it again (a running bot reads .env at start: restart it); the refusal is recorded in the ledger`;
}

/**
 * The chat gate (Slack, the shell): when the caller may not run `permission`, records the refusal
 * and returns the Reply that says which role is needed and how to get it; undefined when allowed.
 */
export async function chatRefusal(
  ctx: CommandContext,
  permission: string,
  argCount: number,
): Promise<Reply | undefined> {
  const { allowed, needed } = checkPermission(ctx.app, ctx.actor, permission);
  if (allowed) return undefined;
  await recordRefusal(ctx.app.ledger(), actorIdentity(ctx.actor), { command: permission, argCount, needed });
  const charterFile = ctx.app.charter().file;
  const who = needed.length > 0 ? `the ${orList(needed)} role` : "a role";
  const text =
    needed.length > 0
      ? `/codex ${permission.replaceAll(".", " ")} needs ${who}; you (${personName(ctx.actor)}) do not hold it.${unstaffedNote(ctx.app, needed)}`
      : `/codex ${permission.replaceAll(".", " ")} is not permitted to anyone: the charter has no permissions entry for "${permission}".`;
  return errorReply(text, [
    {
      kind: "context",
      text:
        needed.length > 0
          ? `fix: ${howToGrant(ctx.app, ctx.actor, needed)}.`
          : `fix: add a permissions entry in ${charterFile} (MAOS_CHARTER).`,
    },
  ]);
}

/**
 * The MCP gate's check: when the caller may not use `permission` for `what` (`tool seal`), the reason
 * to answer with and the roles that would allow it; undefined when allowed. The MCP adapter records
 * the refusal (recordRefusal) beside its own MCP_REQUEST entry.
 */
export function mcpDenial(
  deps: RoleDeps,
  actor: Actor,
  permission: string,
  what: string,
): { reason: string; needed: string[] } | undefined {
  const { allowed, needed } = checkPermission(deps, actor, permission);
  if (allowed) return undefined;
  const who =
    needed.length > 0 ? `the ${needed.join(" or ")} role` : "a role the charter does not grant to anyone";
  return {
    needed,
    reason: `refused: ${what} (permission "${permission}") needs ${who}; ${actorIdentity(actor)} does not hold it.${unstaffedNote(deps, needed)} Roles are set in ${deps.charter().file} (MAOS_CHARTER) or MAOS_ROLES; the refusal is recorded in the ledger.`,
  };
}

/**
 * The CLI gate: a refusal is a GOVERNANCE_REFUSAL ledger entry and a PERMISSION_DENIED error naming
 * the roles that would allow it. An allowed governed act records the role grants in force.
 */
export async function authorize(ctx: CommandContext, permission: string): Promise<void> {
  await matchHostRoles(ctx, permission);
  const { allowed, needed } = checkPermission(ctx.app, ctx.actor, permission);
  if (allowed) {
    if (!needed.includes("member")) await recordRoleGrants(ctx.app);
    return;
  }
  await recordRefusal(ctx.app.ledger(), actorIdentity(ctx.actor), {
    command: permission,
    needed,
    via: ctx.actor.source,
  });
  throw new CodexError(
    "PERMISSION_DENIED",
    `${permission.replaceAll(".", " ")} needs the ${orList(needed) || "(no)"} role; ${personName(ctx.actor)} does not hold it.${unstaffedNote(ctx.app, needed)}`,
    { hint: howToGrant(ctx.app, ctx.actor, needed) },
  );
}

/**
 * While a bot hosts the loop, a governed command from another process (the CLI) is decided by the
 * bot's roles: when this process's grants differ (MAOS_ROLES in the caller's own environment, another
 * charter), it is refused, naming each difference, and the refusal is a ledger entry.
 */
async function matchHostRoles(ctx: CommandContext, permission: string): Promise<void> {
  const host = await ctx.app.autonomy().hostRoles();
  if (!host) return;
  const mine = ctx.app.effectiveRoles();
  if (mine.digest === host.digest) return;
  const bot = `the running bot (pid ${host.pid} on ${host.host})`;
  const differences = rolesDifference(mine, host, bot);
  await recordRefusal(ctx.app.ledger(), actorIdentity(ctx.actor), {
    command: permission,
    via: ctx.actor.source,
    reason: "roles_differ_from_host",
    hostPid: host.pid,
    hostDigest: host.digest,
    digest: mine.digest,
    differences,
  });
  throw new CodexError(
    "REFUSED",
    `${permission.replaceAll(".", " ")} refused: while a bot runs, governed commands are decided by its roles, and this process's differ: ${differences.join("; ")}.`,
    {
      hint: "unset MAOS_ROLES (and MAOS_CHARTER) in this terminal so the CLI uses the bot's configuration, or change the bot's .env / charter and restart it; the refusal is recorded in the ledger",
      details: { reasons: differences },
    },
  );
}
