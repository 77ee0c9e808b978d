import type { App as BoltApp } from "@slack/bolt";
import type { ApprovalService } from "../../approvals/ApprovalService.ts";
import type { Logger } from "../../core/logger.ts";
import type { AnnounceDecision } from "../notices.ts";
import type { SlackWork } from "../SlackWork.ts";

export interface ReactionsDeps {
  approvals: Pick<ApprovalService, "onReaction">;
  announce: AnnounceDecision;
  work: Pick<SlackWork, "later">;
  log: Logger;
}

/** Reactions added to or removed from a message: approvals count them (the bot's own are refused). */
export function register(bolt: BoltApp, deps: ReactionsDeps): void {
  for (const [name, added] of [
    ["reaction_added", true],
    ["reaction_removed", false],
  ] as const) {
    bolt.event(name, async ({ event, body, context }) => {
      if (event.item.type !== "message") return;
      const { channel, ts } = event.item;
      const eventId =
        typeof body.event_id === "string"
          ? body.event_id
          : `${name}:${event.user}:${channel}:${ts}:${event.event_ts}`;
      // Events are acked before listeners run; the work is tracked so stop() and tests can wait for it.
      deps.work.later(name, async () => {
        const outcome = await deps.approvals.onReaction({
          eventId,
          user: event.user,
          reaction: event.reaction,
          channel,
          ts,
          added,
          botUserId: context.botUserId,
        });
        deps.log.debug({ eventId, outcome: outcome.outcome }, name);
        await deps.announce(outcome, channel, event.user, event.user === context.botUserId);
      });
    });
  }
}
