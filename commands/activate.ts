import { type ActivationResult, activate, activationReply } from "../src/autonomy/Activation.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { CommandContext, CommandSpec } from "./CommandSpec.ts";
import { grantingRoles, type Outcome } from "./governed.ts";

/** Runs the activation sequence and checklist; ok only when the system is ACTIVE. */
export async function activateOutcome(ctx: CommandContext): Promise<Outcome<ActivationResult>> {
  const kernel = ctx.app.autonomy();
  const result = await activate(ctx.app, kernel, ctx.actor, grantingRoles(ctx, "activate"));
  return { ok: result.status === "ACTIVE", data: result, reply: activationReply(result) };
}

/** `/codex activate`. */
export const activateCommand: CommandSpec = {
  name: "activate",
  usage: "activate",
  summary:
    "run the boot order (core pack, secrets, relay, heartbeat, agents, autonomy loop) and the 13-item checklist",
  async run(args, ctx) {
    if (args.length > 0) throw new CodexError("USAGE", "/codex activate takes no arguments");
    return (await activateOutcome(ctx)).reply;
  },
};
