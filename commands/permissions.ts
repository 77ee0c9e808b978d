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
