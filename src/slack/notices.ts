import type { webApi } from "@slack/bolt";
import type { ApprovalOutcome } from "../approvals/ApprovalService.ts";
import type { ChannelRateLimiter } from "../slackWire/channelRateLimiter.ts";
import { type DeliverDeps, deliverReply, type RespondFn } from "./deliverReply.ts";

/**
 * The answer to someone whose command arrives while the bot's state store (PostgreSQL on replicas) does
 * not answer: it can neither check the request against replays nor record it, so it runs nothing.
 */
export const STORE_DOWN_TEXT =
  "MAOS Codex cannot reach its database just now, so it can neither check nor record this request: nothing was run. Please try again in a minute. (Operators: /health and the bot's log say why.)";

/** A short answer only `user` sees in `channel` (through `respond` where the bot may not post). */
export type TellUser = (channel: string, user: string, text: string, respond?: RespondFn) => Promise<void>;

export function tellUser(deliver: DeliverDeps): TellUser {
  return async (channel, user, text, respond) => {
    await deliverReply(
      { summary: text, parts: [{ kind: "text", text }], ephemeral: true },
      { channel, user, respond },
      deliver,
    );
  };
}

/** Says in `channel` how a reaction or button decided an approval (a refusal only to the person). */
export type AnnounceDecision = (
  outcome: ApprovalOutcome,
  channel: string,
  user: string,
  isBot: boolean,
) => Promise<void>;

export function announceDecision(deps: {
  client: webApi.WebClient;
  limiter: ChannelRateLimiter;
  tellUser: TellUser;
}): AnnounceDecision {
  const { client, limiter } = deps;
  return async (outcome, channel, user, isBot) => {
    if (outcome.outcome === "duplicate" || outcome.outcome === "ignored") return;
    const a = outcome.approval;
    if (outcome.outcome === "refused") {
      if (!isBot)
        await deps.tellUser(
          channel,
          user,
          `Your decision on approval ${a.id} did not count: ${outcome.reason}.`,
        );
      return;
    }
    const verb = { accepted: "approved", rejected: "rejected", revoked: "revoked (it is open again)" }[
      outcome.outcome
    ];
    const text = `Approval \`${a.id}\` ${verb} by <@${user}>.`;
    const thread = a.channel === channel && a.ts ? a.ts : undefined;
    await limiter.schedule(channel, () =>
      client.chat.postMessage({ channel, text, ...(thread ? { thread_ts: thread } : {}) }),
    );
  };
}
