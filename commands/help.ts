import { personName } from "../src/core/personName.ts";
import { rolesOf } from "../src/governance/charter.ts";
import type { CommandSpec } from "./CommandSpec.ts";
import { checkPermission, permissionOf } from "./permissions.ts";

/**
 * `help`: the commands the caller may run, with their usage. Built over the registry it lists, which
 * the dispatcher passes in (the registry contains help itself).
 */
export function helpCommand(registry: () => readonly CommandSpec[]): CommandSpec {
  return {
    name: "help",
    usage: "help",
    summary: "the commands you may run",
    async run(_args, ctx) {
      // Only what the caller may run: a command with forms lists only its permitted forms.
      const lines: string[] = [];
      const mine = registry().filter((c) => {
        const forms = (c.forms ?? [{ usage: c.usage, permission: permissionOf(c, []) }]).filter(
          (f) => checkPermission(ctx, f.permission).allowed,
        );
        for (const f of forms) lines.push(`• \`/codex ${f.usage}\`: ${c.summary}`);
        return forms.length > 0;
      });
      const roles = rolesOf(ctx.app.charter(), ctx.actor.id, ctx.actor.groups ?? [], ctx.app.extraRoles());
      return {
        summary: `MAOS Codex: ${mine.length} commands you may run`,
        ephemeral: true,
        parts: [
          { kind: "header", text: "MAOS Codex commands" },
          {
            kind: "text",
            text: lines.join("\n"),
          },
          {
            kind: "context",
            text: `you are ${personName(ctx.actor)}; your roles: ${roles.length > 0 ? roles.join(", ") : "(none)"}. Only the commands the charter lets you run are listed.`,
          },
        ],
      };
    },
  };
}
