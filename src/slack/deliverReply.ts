import type { webApi } from "@slack/bolt";
import type { Logger } from "../core/logger.ts";
import type { Reply } from "../core/Reply.ts";
import type { Block } from "../slackWire/blockKit.ts";
import type { ChannelRateLimiter } from "../slackWire/channelRateLimiter.ts";
import { type ReplyBlocksOptions, replyToBlocks } from "../slackWire/replyBlocks.ts";

/** Bolt's `respond` (the command's response_url): the fallback where the bot may not post. */
export type RespondFn = (message: {
  text: string;
  blocks?: Block[];
  response_type?: "ephemeral" | "in_channel";
}) => Promise<unknown>;

export interface DeliverTarget {
  channel: string;
  user: string;
  /** Post in this thread (a run's parent message). */
  threadTs?: string | undefined;
  respond?: RespondFn | undefined;
}

export interface DeliverDeps {
  client: webApi.WebClient;
  limiter: ChannelRateLimiter;
  log: Logger;
  /** Called with each posted message that carries Approve/Reject buttons, so reactions on it count. */
  onApprovalMessage?: (approvalId: string, channel: string, ts: string) => Promise<void>;
  blocks?: ReplyBlocksOptions;
}

/** Slack's answers when the bot is not in the conversation (a DM with someone else, a channel it was not invited to). */
const NOT_POSTABLE = new Set(["channel_not_found", "not_in_channel", "is_archived"]);

/**
 * Posts a Reply: ephemeral ones with chat.postEphemeral, the rest with chat.postMessage (the first
 * message in the channel, or in `threadTs`; the messages after it and any file uploads in that thread).
 * Every call is queued on the channel's rate-limiter lane, which waits out 429s. Where the bot cannot
 * post, the command's response_url is used instead. Returns the ts of the first posted message.
 */
import { approvalIds, platformError } from "../slackWire/slackErrors.ts";

export async function deliverReply(
  reply: Reply,
  target: DeliverTarget,
  deps: DeliverDeps,
): Promise<string | undefined> {
  const { client, limiter } = deps;
  const out = replyToBlocks(reply, deps.blocks);
  const { channel, user } = target;

  if (reply.ephemeral) {
    // Ephemeral messages are not subject to the per-channel message limit; a lane of their own keeps an
    // error reply from waiting behind a run's progress updates.
    const lane = `ephemeral:${channel}:${user}`;
    for (const blocks of out.messages) {
      try {
        await limiter.schedule(lane, () =>
          client.chat.postEphemeral({ channel, user, text: out.text, blocks }),
        );
      } catch (err) {
        if (!target.respond || !NOT_POSTABLE.has(platformError(err) ?? "")) throw err;
        await target.respond({ text: out.text, blocks, response_type: "ephemeral" });
      }
    }
    if (out.uploads.length > 0) {
      deps.log.info(
        { channel, files: out.uploads.length },
        "ephemeral reply: long documents shown as excerpts only",
      );
    }
    return undefined;
  }

  let threadTs = target.threadTs;
  let first: string | undefined;
  for (const [i, blocks] of out.messages.entries()) {
    const text = out.messages.length > 1 ? `${out.text} (${i + 1}/${out.messages.length})` : out.text;
    let ts: string | undefined;
    try {
      const res = await limiter.schedule(channel, () =>
        client.chat.postMessage({ channel, text, blocks, ...(threadTs ? { thread_ts: threadTs } : {}) }),
      );
      ts = res.ts;
    } catch (err) {
      if (!target.respond || !NOT_POSTABLE.has(platformError(err) ?? "")) throw err;
      await target.respond({ text, blocks, response_type: "in_channel" });
      continue;
    }
    if (ts) {
      first ??= ts;
      threadTs ??= ts;
      for (const id of approvalIds(blocks)) await deps.onApprovalMessage?.(id, channel, ts);
    }
  }
  if (out.uploads.length > 0 && threadTs) {
    const thread = threadTs;
    await limiter.schedule(channel, () =>
      client.filesUploadV2({
        channel_id: channel,
        thread_ts: thread,
        file_uploads: out.uploads.map((u) => ({ content: u.content, filename: u.filename, title: u.title })),
      }),
    );
  }
  return first;
}
