import type { App } from "../src/app/App.ts";
import { type ActivationResult, activate, activationReply } from "../src/autonomy/Activation.ts";
import type { Caller } from "./CommandSpec.ts";
import { grantingRoles, type Outcome } from "./governed.ts";

/**
 * Runs the activation sequence and checklist; ok only when the system is ACTIVE. It takes the whole app
 * because the activation checklist (src/autonomy/Activation.ts) still does.
 */
export async function activateOutcome(ctx: Caller<keyof App>): Promise<Outcome<ActivationResult>> {
  const kernel = ctx.app.autonomy();
  const result = await activate(ctx.app, kernel, ctx.actor, grantingRoles(ctx.app, ctx.actor, "activate"));
  return { ok: result.status === "ACTIVE", data: result, reply: activationReply(result) };
}
