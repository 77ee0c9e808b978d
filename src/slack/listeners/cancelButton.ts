import type { App as BoltApp } from "@slack/bolt";
import type { Actor } from "../../core/Actor.ts";
import type { Reply } from "../../core/Reply.ts";
import { CANCEL_RUN_ACTION } from "../../slackWire/replyBlocks.ts";
import type { TellUser } from "../notices.ts";
import type { SlackDirectory } from "../SlackDirectory.ts";
import type { ReplayedTrigger, SlackWork } from "../SlackWork.ts";

export interface CancelButtonDeps {
  /** `/codex cancel`'s rules (commands/cancel.ts), for `actor` and the run named by the button. */
  cancel: (actor: Actor, runId: string) => Promise<{ reply: Reply }>;
  directory: Pick<SlackDirectory, "actor">;
  tellUser: TellUser;
  work: Pick<SlackWork, "later">;
  replayedTrigger: ReplayedTrigger;
}

/** The Cancel button on a running run's message: the same rules as /codex cancel. */
export function register(bolt: BoltApp, deps: CancelButtonDeps): void {
  bolt.action({ action_id: CANCEL_RUN_ACTION }, async ({ ack, body, action }) => {
    await ack();
    const runId = action.type === "button" ? action.value : undefined;
    const user = body.user.id;
    const channel = body.channel?.id;
    if (!runId || !channel) return;
    const trigger = "trigger_id" in body ? body.trigger_id : undefined;
    if (await deps.replayedTrigger(trigger, user, channel, CANCEL_RUN_ACTION)) return;
    deps.work.later("cancel button", async () => {
      const actor = await deps.directory.actor(user);
      const outcome = await deps.cancel(actor, runId);
      await deps.tellUser(channel, user, outcome.reply.summary);
    });
  });
}
