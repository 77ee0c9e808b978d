import type { webApi } from "@slack/bolt";
import type { Clock } from "../../core/clock.ts";
import type { Charter } from "../../governance/charter.ts";
import type { ChannelRateLimiter } from "../../slackWire/channelRateLimiter.ts";
import { retryAfterMs } from "../../slackWire/channelRateLimiter.ts";
import { replyToBlocks } from "../../slackWire/replyBlocks.ts";
import { approvalIds, platformError } from "../../slackWire/slackErrors.ts";
import type { StateApi } from "../../state/StateApi.ts";
import { readLastChannel } from "../../state/slackConnection.ts";
import { DeliveryError, retryableStatus } from "../DeliveryError.ts";
import type { Delivered, DeliveryContext, EvidenceSink } from "../EvidenceSink.ts";
import {
  checkpointLine,
  checkpointMarkdown,
  checkpointMetadata,
  type EvidenceBody,
} from "../evidenceBody.ts";

export interface SlackSinkOptions {
  client: webApi.WebClient;
  /** The Slack app's limiter: evidence shares each channel's one-message-a-second lane. */
  limiter: ChannelRateLimiter;
  charter: () => Charter;
  /** Thread roots by threadKey (state.db), so an incident's updates find its thread after a restart. */
  state: StateApi;
  clock: Clock;
  /** A posted message carries Approve/Reject buttons (an incident): register it so reactions count. */
  onApprovalMessage?: (approvalId: string, channel: string, ts: string) => Promise<void>;
}

interface SlackProgress {
  channel: string;
  /** ts of each message of the reply already posted, in order. */
  posted: string[];
  uploaded?: boolean;
  rootUpdated?: boolean;
}

/** Slack answers that no retry can fix: the bot cannot post there, or its token is wrong. */
const PERMANENT = new Set([
  "channel_not_found",
  "not_in_channel",
  "is_archived",
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "missing_scope",
  "invalid_blocks",
  "msg_too_long",
]);

function slackDeliveryError(err: unknown): DeliveryError {
  const wait = retryAfterMs(err);
  if (wait !== undefined)
    return new DeliveryError("Slack rate-limited the post", {
      retryable: true,
      status: 429,
      waitMs: wait,
      cause: err,
    });
  const code = platformError(err);
  if (code) {
    return new DeliveryError(`Slack refused the post: ${code}`, {
      retryable: !PERMANENT.has(code),
      hint:
        code === "not_in_channel" || code === "channel_not_found"
          ? "invite the bot to the charter's channels (/invite @codex) and check channels.signals / channels.evidence hold channel ids"
          : "check SLACK_BOT_TOKEN and the app's scopes (manifest.yml)",
      cause: err,
    });
  }
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return new DeliveryError(`Slack post failed: ${err instanceof Error ? err.message : String(err)}`, {
    retryable: typeof status === "number" ? retryableStatus(status) : true,
    ...(typeof status === "number" ? { status } : {}),
    cause: err,
  });
}

/**
 * Slack SignalBot through the outbox: the evidence pack (activation start and success, drift alert and
 * recovery, seal confirmation, incidents, the daily summary) goes to the charter's channels (`evidence`
 * falls back to `signals`). The first item with a threadKey opens a thread, later ones reply in it. The
 * ts of every posted message is saved as it is posted, so a retry posts only what is missing.
 */
export class SlackSink implements EvidenceSink {
  readonly name = "slack" as const;
  readonly #o: SlackSinkOptions;

  constructor(opts: SlackSinkOptions) {
    this.#o = opts;
  }

  async deliver(body: EvidenceBody, ctx: DeliveryContext): Promise<Delivered> {
    const { client, limiter, state, charter } = this.#o;
    const item = body.item;
    const earlier = ctx.progress as SlackProgress | undefined;
    const thread = item.threadKey ? await state.getThread(item.threadKey) : undefined;
    const channels = charter().channels;
    // Without channels.signals, signals (incidents, halts) go where /codex was last used, so an
    // incident's Approve buttons reach the people who triggered it.
    const channel =
      earlier?.channel ??
      thread?.channel ??
      (item.channel === "evidence" ? (channels.evidence ?? channels.signals) : channels.signals) ??
      (item.channel === "signals" ? await readLastChannel(state) : undefined);
    if (!channel) {
      throw new DeliveryError(`no Slack channel to post "${item.title}" in`, {
        retryable: false,
        hint: `set channels.signals (and optionally channels.evidence) in ${charter().file}, then run maos relay redrive`,
      });
    }
    const progress: SlackProgress = {
      channel,
      posted: [...(earlier?.posted ?? [])],
      uploaded: earlier?.uploaded ?? false,
      rootUpdated: earlier?.rootUpdated ?? false,
    };
    // The signed checkpoint rides in every message's metadata (kept by Slack, read back through
    // conversations.history); people see the whole note in the evidence channel, one line elsewhere, so
    // an incident people must act on stays short.
    const cp = body.checkpoint;
    const parts = cp
      ? [
          ...item.reply.parts,
          {
            kind: "context" as const,
            text: item.channel === "evidence" ? checkpointMarkdown(cp) : checkpointLine(cp),
          },
        ]
      : item.reply.parts;
    const metadata = cp ? checkpointMetadata(cp) : undefined;
    const out = replyToBlocks({ ...item.reply, parts, ephemeral: false });
    let threadTs = thread?.ts ?? progress.posted[0];
    try {
      for (const [i, blocks] of out.messages.entries()) {
        if (i < progress.posted.length) continue;
        const text = out.messages.length > 1 ? `${out.text} (${i + 1}/${out.messages.length})` : out.text;
        const parent = threadTs;
        const res = await limiter.schedule(channel, () =>
          client.chat.postMessage({
            channel,
            text,
            blocks,
            ...(parent ? { thread_ts: parent } : {}),
            ...(metadata ? { metadata } : {}),
          }),
        );
        if (!res.ts)
          throw new DeliveryError("Slack accepted the post but returned no ts", { retryable: true });
        progress.posted.push(res.ts);
        await ctx.save(progress.posted[0], progress);
        if (i === 0 && item.threadKey && !thread) await state.setThread(item.threadKey, channel, res.ts);
        for (const id of approvalIds(blocks)) await this.#o.onApprovalMessage?.(id, channel, res.ts);
        threadTs ??= res.ts;
      }
      if (out.uploads.length > 0 && !progress.uploaded && threadTs) {
        const parent = threadTs;
        await limiter.schedule(channel, () =>
          client.filesUploadV2({
            channel_id: channel,
            thread_ts: parent,
            file_uploads: out.uploads.map((u) => ({
              content: u.content,
              filename: u.filename,
              title: u.title,
            })),
          }),
        );
        progress.uploaded = true;
        await ctx.save(progress.posted[0], progress);
      }
      // The thread's first message as it now stands (an incident approved, resolved): updated in place.
      if (item.rootReply && thread && !progress.rootUpdated) {
        const root = replyToBlocks({ ...item.rootReply, ephemeral: false });
        const blocks = root.messages[0];
        await limiter.schedule(thread.channel, () =>
          client.chat.update({
            channel: thread.channel,
            ts: thread.ts,
            text: root.text,
            ...(blocks ? { blocks } : {}),
          }),
        );
        progress.rootUpdated = true;
        await ctx.save(progress.posted[0], progress);
      }
    } catch (err) {
      throw err instanceof DeliveryError ? err : slackDeliveryError(err);
    }
    const ts = progress.posted[0] as string;
    return {
      remoteId: ts,
      details: { channel, ts, ...(thread ? { threadTs: thread.ts } : {}) },
    };
  }
}
