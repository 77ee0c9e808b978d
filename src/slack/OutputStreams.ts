import type { webApi } from "@slack/bolt";
import type { Logger } from "../core/logger.ts";
import type { RunProgress } from "../executor/RunProgress.ts";
import { SLACK_LIMITS } from "../slackWire/blockKit.ts";
import type { ChannelRateLimiter } from "../slackWire/channelRateLimiter.ts";

/** At most this much text per streaming call: about a paragraph, at the channel's pace. */
const CHUNK_CHARS = 1000;

/** Up to CHUNK_CHARS of `text`, cut after a line when one ends inside the chunk. */
function chunkOf(text: string): string {
  if (text.length <= CHUNK_CHARS) return text;
  const cut = text.lastIndexOf("\n", CHUNK_CHARS - 1);
  return text.slice(0, cut > 0 ? cut + 1 : CHUNK_CHARS);
}

export interface OutputStreamsOptions {
  client: webApi.WebClient;
  limiter: ChannelRateLimiter;
  channel: string;
  /** Who asked, and their workspace: Slack needs both to stream outside a DM. */
  userId: string;
  teamId: string | undefined;
  /** The run's parent message; its thread holds the streams. */
  parentTs: () => Promise<string | undefined>;
  log: Logger;
}

interface AgentStream {
  agent: string;
  file: string;
  /** Text received and not yet sent. */
  pending: string;
  /** Characters taken for this stream (sent or pending): one streamed message holds 12,000. */
  accepted: number;
  ts: string | undefined;
  /** The chain of Slack calls for this agent, in order. */
  work: Promise<void>;
  flushQueued: boolean;
  failed: boolean;
  overflow: boolean;
  ended: boolean;
}

/**
 * Agent outputs streamed into the run's thread as they are produced (chat.startStream, appendStream,
 * stopStream), one streaming message per agent. Every call takes a slot of the channel's rate-limiter
 * lane, and text that arrives while a call waits is sent in the next one, so a fast provider never
 * exceeds the channel's pace. An output past 12,000 characters stops streaming and is delivered as a
 * file with the result instead. `complete` names the outputs that were streamed whole, which the
 * result then does not repeat. Slack failures end that agent's stream, never the run.
 */
export class OutputStreams {
  readonly #o: OutputStreamsOptions;
  readonly #streams = new Map<string, AgentStream>();
  /** Output files (step.file) streamed whole. */
  readonly complete = new Set<string>();

  constructor(opts: OutputStreamsOptions) {
    this.#o = opts;
  }

  readonly onProgress = (e: RunProgress): void => {
    if (e.type === "output") {
      const s = this.#stream(e.agent, e.file);
      if (s.failed || s.overflow || s.ended) return;
      if (s.accepted + e.text.length > SLACK_LIMITS.markdownText) {
        s.overflow = true;
        this.#queueStop(s, "_(continued in the attached file)_");
        return;
      }
      s.pending += e.text;
      s.accepted += e.text.length;
      this.#queueFlush(s);
    } else if (e.type === "output-end") {
      const s = this.#streams.get(e.agent);
      if (!s || s.ended) return;
      if (e.complete && !s.failed && !s.overflow) {
        this.#queueFlush(s);
        s.work = s.work.then(() => {
          if (!s.failed && s.ts) this.complete.add(s.file);
        });
      }
      this.#queueStop(
        s,
        e.complete
          ? undefined
          : `_(stopped: ${e.why ?? "the rest is withheld by the charter's guardrails"})_`,
      );
    }
  };

  /** Resolves once every stream has been stopped. */
  async finish(): Promise<void> {
    for (const s of this.#streams.values()) {
      if (!s.ended) this.#queueStop(s);
      await s.work;
    }
  }

  #stream(agent: string, file: string): AgentStream {
    let s = this.#streams.get(agent);
    if (!s) {
      s = {
        agent,
        file,
        pending: "",
        accepted: 0,
        ts: undefined,
        work: Promise.resolve(),
        flushQueued: false,
        failed: false,
        overflow: false,
        ended: false,
      };
      this.#streams.set(agent, s);
    }
    return s;
  }

  #queueFlush(s: AgentStream): void {
    if (s.flushQueued) return;
    s.flushQueued = true;
    s.work = s.work.then(() => this.#drain(s));
  }

  /**
   * Sends everything received so far, a chunk per call and a slot of the lane per chunk, before the
   * next queued step (a stop) runs: text that arrived before the stream ended is never cut off by it.
   */
  async #drain(s: AgentStream): Promise<void> {
    s.flushQueued = false;
    while (s.pending !== "" && !s.failed) {
      // What arrived while the previous call waited for its slot goes out now, up to one chunk per
      // call (a provider that answers at once still reads as a stream).
      const text = chunkOf(s.pending);
      s.pending = s.pending.slice(text.length);
      await this.#call(s, () => this.#send(s, text));
    }
  }

  #queueStop(s: AgentStream, note?: string): void {
    if (s.ended) return;
    s.ended = true;
    s.work = s.work.then(() =>
      this.#call(s, async () => {
        if (!s.ts) return;
        const { client, channel } = this.#o;
        await client.chat.stopStream({ channel, ts: s.ts, ...(note ? { markdown_text: note } : {}) });
      }),
    );
  }

  async #send(s: AgentStream, text: string): Promise<void> {
    const { client, channel, userId, teamId } = this.#o;
    if (!s.ts) {
      const thread = await this.#o.parentTs();
      if (!thread) {
        s.failed = true;
        return;
      }
      const res = await client.chat.startStream({
        channel,
        thread_ts: thread,
        // Titled by its agent, like the result's documents.
        markdown_text: `**${s.agent}**\n\n${text}`,
        recipient_user_id: userId,
        ...(teamId ? { recipient_team_id: teamId } : {}),
      });
      s.ts = res.ts;
    } else {
      await client.chat.appendStream({ channel, ts: s.ts, markdown_text: text });
    }
  }

  async #call(s: AgentStream, fn: () => Promise<void>): Promise<void> {
    if (s.failed) return;
    const { limiter, channel, log } = this.#o;
    try {
      await limiter.schedule(channel, fn);
    } catch (err) {
      s.failed = true;
      log.warn({ err, channel }, "streaming an agent's output failed; the result will carry it");
    }
  }
}
