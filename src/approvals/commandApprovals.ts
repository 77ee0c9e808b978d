import type { Actor } from "../core/Actor.ts";
import type { Reply } from "../core/Reply.ts";
import type { ApprovalOutcome, ApprovalService } from "./ApprovalService.ts";

/** Decides typed approvals (`/codex approve <id>`): what the command layer and the shell hold. */
export interface ApprovalsService {
  decide(id: string, decision: "approve" | "reject", actor: Actor): Promise<Reply>;
}

/** The approvals service as the command layer sees it (`/codex approve|reject <id>`): outcomes as Replies. */
export function commandApprovals(service: ApprovalService): ApprovalsService {
  return {
    async decide(id: string, decision: "approve" | "reject", actor: Actor): Promise<Reply> {
      return outcomeReply(await service.decide(id, decision, actor, "typed"));
    },
  };
}

/** One line saying what became of an approval attempt; refusals are errors, shown only to the caller. */
export function outcomeReply(o: ApprovalOutcome): Reply {
  switch (o.outcome) {
    case "accepted":
      return textReply(`Approval ${o.approval.id} approved (${o.approval.kind} ${o.approval.subjectId}).`);
    case "rejected":
      return textReply(`Approval ${o.approval.id} rejected (${o.approval.kind} ${o.approval.subjectId}).`);
    case "revoked":
      return textReply(`Approval ${o.approval.id} revoked; it is open again.`);
    case "refused":
      return textReply(`Approval ${o.approval.id} refused: ${o.reason}. The attempt is in the ledger.`, true);
    case "ignored":
      return textReply(`Nothing to do: ${o.reason}.`, true);
    case "duplicate":
      return textReply("Already handled.", true);
  }
}

function textReply(text: string, isError = false): Reply {
  return { summary: text, parts: [{ kind: "text", text }], ephemeral: true, ...(isError ? { isError } : {}) };
}
