import type { App } from "../src/app/App.ts";
import type { Actor } from "../src/core/Actor.ts";
import { isCodexError } from "../src/core/CodexError.ts";
import type { Reply } from "../src/core/Reply.ts";
import { rolesFor, rolesOf } from "../src/governance/roles.ts";
import type { Outcome } from "./CommandSpec.ts";

export type { Outcome } from "./CommandSpec.ts";

/** The caller's roles that grant `permission`: recorded on governed ledger entries (the identity check reads them). */
export function grantingRoles(
  deps: Pick<App, "charter" | "extraRoles">,
  actor: Actor,
  permission: string,
): string[] {
  const charter = deps.charter();
  const held = rolesOf(charter, actor.id, actor.groups ?? [], deps.extraRoles());
  const needed = rolesFor(charter, permission);
  return held.filter((r) => needed.includes(r));
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
