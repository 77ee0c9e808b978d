import { recordRoleGrants } from "../src/autonomy/recordRoleGrants.ts";
import { actorIdentity } from "../src/core/Actor.ts";
import { CodexError, isCodexError } from "../src/core/CodexError.ts";
import { personName } from "../src/core/personName.ts";
import type { Reply } from "../src/core/Reply.ts";
import { rolesDifference } from "../src/governance/roleGrants.ts";
import { rolesFor, rolesOf } from "../src/governance/roles.ts";
import type { CommandContext } from "./CommandSpec.ts";
import { checkPermission, howToGrant, recordRefusal, unstaffedNote } from "./permissions.ts";
import { orList } from "./replies.ts";

/** What a governed command did: its data (the CLI's --json), its Reply (every adapter), and whether it was refused. */
export interface Outcome<T> {
  ok: boolean;
  data: T;
  reply: Reply;
}

/** The caller's roles that grant `permission`: recorded on governed ledger entries (the identity check reads them). */
export function grantingRoles(ctx: CommandContext, permission: string): string[] {
  const charter = ctx.app.charter();
  const held = rolesOf(charter, ctx.actor.id, ctx.actor.groups ?? [], ctx.app.extraRoles());
  const needed = rolesFor(charter, permission);
  return held.filter((r) => needed.includes(r));
}

/**
 * The dispatcher's permission check for callers that do not go through it (the CLI): a refusal is a
 * GOVERNANCE_REFUSAL ledger entry and a PERMISSION_DENIED error naming the roles that would allow it.
 */
export async function authorize(ctx: CommandContext, permission: string): Promise<void> {
  await matchHostRoles(ctx, permission);
  const { allowed, needed } = checkPermission(ctx, permission);
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
    `${permission.replaceAll(".", " ")} needs the ${orList(needed) || "(no)"} role; ${personName(ctx.actor)} does not hold it.${unstaffedNote(ctx, needed)}`,
    { hint: howToGrant(ctx, needed) },
  );
}

/**
 * While a bot hosts the loop, a governed command from another process (the CLI) is decided by the
 * bot's roles: when this process's grants differ (MAOS_ROLES in the caller's own environment, another
 * charter), it is refused, naming each difference, and the refusal is a ledger entry.
 */
async function matchHostRoles(ctx: CommandContext, permission: string): Promise<void> {
  const host = ctx.app.autonomy().hostRoles();
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

/**
 * A REFUSED CodexError from the kernel as a refused Outcome listing its reasons (`details.reasons`, else
 * the message); any other error is rethrown for the dispatcher to report.
 */
export function refusedOutcome<T>(err: unknown, summary: string, data: (reasons: string[]) => T): Outcome<T> {
  if (!isCodexError(err) || err.code !== "REFUSED") throw err;
  const reasons = (err.details as { reasons?: string[] } | undefined)?.reasons ?? [err.message];
  return { ok: false, data: data(reasons), reply: refusedReply(summary, reasons, err.hint) };
}

/** A refusal with its reasons as a list, shown only to the caller. */
export function refusedReply(summary: string, reasons: string[], hint?: string): Reply {
  return {
    summary: `${summary.replace(/[.:]+$/, "")}: ${reasons.join("; ")}`,
    isError: true,
    ephemeral: true,
    parts: [
      { kind: "text", text: summary },
      { kind: "text", text: reasons.map((r) => `• ${r}`).join("\n") },
      ...(hint ? [{ kind: "context" as const, text: hint }] : []),
    ],
  };
}
