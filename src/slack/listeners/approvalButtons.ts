import type { App as BoltApp } from "@slack/bolt";
import type { ApprovalService, Decision } from "../../approvals/ApprovalService.ts";
import { outcomeReply } from "../../approvals/commandApprovals.ts";
import { APPROVE_ACTION, REJECT_ACTION } from "../../slackWire/replyBlocks.ts";
import type { AnnounceDecision, TellUser } from "../notices.ts";
import type { SlackDirectory } from "../SlackDirectory.ts";
import type { ReplayedTrigger, SlackWork } from "../SlackWork.ts";

export interface ApprovalButtonsDeps {
  approvals: Pick<ApprovalService, "decide">;
  directory: Pick<SlackDirectory, "actor">;
  announce: AnnounceDecision;
  tellUser: TellUser;
  work: Pick<SlackWork, "later">;
  replayedTrigger: ReplayedTrigger;
}

/** The Approve and Reject buttons on an approval's message. */
export function register(bolt: BoltApp, deps: ApprovalButtonsDeps): void {
  for (const decision of ["approve", "reject"] as const satisfies readonly Decision[]) {
    const actionId = decision === "approve" ? APPROVE_ACTION : REJECT_ACTION;
    bolt.action({ action_id: actionId }, async ({ ack, body, action }) => {
      await ack();
      const id = action.type === "button" ? action.value : undefined;
      const user = body.user.id;
      const channel = body.channel?.id;
      if (!id) return;
      const trigger = "trigger_id" in body ? body.trigger_id : undefined;
      if (await deps.replayedTrigger(trigger, user, channel, actionId)) return;
      deps.work.later("approval button", async () => {
        const actor = await deps.directory.actor(user);
        const outcome = await deps.approvals.decide(id, decision, actor, "button");
        if (channel) {
          if (outcome.outcome === "refused")
            await deps.tellUser(channel, user, outcomeReply(outcome).summary);
          else await deps.announce(outcome, channel, user, false);
        }
      });
    });
  }
}
