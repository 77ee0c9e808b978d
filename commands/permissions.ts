import { mayRun } from "../src/governance/charter.ts";
import type { CommandContext, CommandSpec } from "./CommandSpec.ts";

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
