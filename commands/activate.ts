import { type ActivationResult, activate, activationReply } from "../src/autonomy/Activation.ts";
import type { Caller } from "./CommandSpec.ts";

/** What activation uses of the app: the checklist's own deps, the kernel, and the roles that grant it. */
export type ActivateKeys =
  | "env"
  | "clock"
  | "stacksDir"
  | "charter"
  | "state"
  | "ledger"
  | "ledgerKey"
  | "vault"
  | "hub"
  | "autonomy"
  | "extraRoles";

import { grantingRoles, type Outcome } from "./governed.ts";

/** Runs the activation sequence and checklist; ok only when the system is ACTIVE. */
export async function activateOutcome(ctx: Caller<ActivateKeys>): Promise<Outcome<ActivationResult>> {
  const kernel = ctx.app.autonomy();
  const result = await activate(ctx.app, kernel, ctx.actor, grantingRoles(ctx.app, ctx.actor, "activate"));
  return { ok: result.status === "ACTIVE", data: result, reply: activationReply(result) };
}
