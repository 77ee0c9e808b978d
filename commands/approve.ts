import { CodexError } from "../src/core/CodexError.ts";
import type { CommandContext, CommandSpec } from "./CommandSpec.ts";
import { errorReply } from "./replies.ts";

/** Approval ids are opaque tokens; this keeps a typo'd sentence from being taken as one. */
const APPROVAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function decideCommand(decision: "approve" | "reject"): CommandSpec {
  return {
    name: decision,
    usage: `${decision} <approvalId>`,
    summary: `${decision} a pending approval by its id (typed approvals, for the shell)`,
    // Deciding an approval is the charter's approval right; the service may check more (self-approval).
    permission: () => "incident.approve",
    async run(args: string[], ctx: CommandContext) {
      const [id, ...rest] = args;
      if (id === undefined || rest.length > 0 || !APPROVAL_ID.test(id)) {
        throw new CodexError("USAGE", `/codex ${decision} takes exactly one approval id`);
      }
      if (!ctx.approvals) {
        return errorReply(
          `no approvals service is running in this process, so approval ${id} cannot be decided here.`,
        );
      }
      return ctx.approvals.decide(id, decision, ctx.actor);
    },
  };
}

export const approveCommand = decideCommand("approve");
export const rejectCommand = decideCommand("reject");
