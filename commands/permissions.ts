import { randomUUID } from "node:crypto";
import { mayRun } from "../src/governance/charter.ts";
import type { LedgerEntry } from "../src/ledger/Ledger.ts";
import type { CommandContext, CommandSpec } from "./CommandSpec.ts";

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

/** The charter permission a call checks: the spec's own rule, else its name. */
export function permissionOf(spec: CommandSpec, args: string[]): string {
  return spec.permission ? spec.permission(args) : spec.name;
}

/** Whether the caller may run `permission`, and the roles that would allow it. */
export function checkPermission(
  ctx: CommandContext,
  permission: string,
): { allowed: boolean; needed: string[] } {
  const charter = ctx.app.charter();
  return mayRun(charter, permission, ctx.actor.id, ctx.actor.groups ?? [], ctx.app.extraRoles());
}

/**
 * Why nobody could pass a check yet: the needed roles that have no member at all, in the charter or
 * MAOS_ROLES (the shipped charter lists none for the governed roles). Empty when someone holds one.
 */
export function unstaffedNote(ctx: CommandContext, needed: readonly string[]): string {
  const charter = ctx.app.charter();
  const extra = ctx.app.extraRoles();
  const staffed = needed.some((r) => (charter.roles[r]?.members.length ?? 0) + (extra[r]?.length ?? 0) > 0);
  if (needed.length === 0 || staffed) return "";
  return ` No one holds ${needed.length === 1 ? "that role" : "those roles"} yet: add members in the charter's roles or MAOS_ROLES.`;
}

/**
 * How to grant the caller one of `needed`, concretely: the .env line (a local account) or the charter
 * entry (a Slack user) that names them. The shell, Slack and the CLI show the same fix.
 */
export function howToGrant(ctx: CommandContext, needed: readonly string[]): string {
  const file = ctx.app.charter().file;
  const role = needed.find((r) => r !== "member") ?? needed[0];
  if (!role)
    return `the charter has no permissions entry for this command; add one in ${file} (MAOS_CHARTER)`;
  const id = ctx.actor.id;
  const env = `MAOS_ROLES=${role}=${id}`;
  return ctx.actor.source === "slack"
    ? `an admin adds ${id} to roles.${role}.members in ${file} (MAOS_CHARTER), or to MAOS_ROLES (${env}) in the bot's .env, then restarts the bot; the refusal is recorded in the ledger`
    : `add \`${env}\` to .env (or list ${id} under roles.${role}.members in ${file}), then run it again (a running bot reads .env at start: restart it); the refusal is recorded in the ledger`;
}
