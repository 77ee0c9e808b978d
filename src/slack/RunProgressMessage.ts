import type { webApi } from "@slack/bolt";
import type { Logger } from "../core/logger.ts";
import { personName } from "../core/personName.ts";
import type { RunProgress } from "../executor/RunProgress.ts";
import {
  actions,
  type Block,
  button,
  context,
  escapeMrkdwn,
  escapeMrkdwnKeepMentions,
  header,
  progressBar,
  section,
  sections,
} from "../slackWire/blockKit.ts";
import type { ChannelRateLimiter } from "../slackWire/channelRateLimiter.ts";
import { packMessages } from "../slackWire/packMessages.ts";
import { CANCEL_RUN_ACTION } from "../slackWire/replyBlocks.ts";

type AgentState = "waiting" | "running" | "done" | "failed" | "skipped";

interface AgentLine {
  id: string;
  state: AgentState;
  provider?: string;
  ms?: number;
  error?: string;
}

const ICON: Record<AgentState, string> = {
  waiting: ":white_circle:",
  running: ":hourglass_flowing_sand:",
  done: ":large_green_circle:",
  failed: ":red_circle:",
  skipped: ":heavy_minus_sign:",
};

export interface RunProgressMessageOptions {
  client: webApi.WebClient;
  limiter: ChannelRateLimiter;
  channel: string;
  /** Who asked, mentioned in the parent message. */
  userId: string;
  log: Logger;
}

/**
 * The parent message of a `/codex run`: posted when the run starts, then kept current with chat.update.
 * Updates go through the channel's rate-limiter lane and are coalesced: while one is waiting for its
 * slot, later events only mark the state dirty, and the update renders whatever is newest when it runs.
 * Slack failures here are logged, never fail the run.
 */
export class RunProgressMessage {
  readonly #o: RunProgressMessageOptions;
  #stack = "";
  #runId = "";
  #agents: AgentLine[] = [];
  #phase = "starting";
  #outcome: "completed" | "failed" | "cancelled" | undefined;
  #finished = false;
  #posted: Promise<string | undefined> | undefined;
  #ts: string | undefined;
  #dirty = false;
  #queued: Promise<void> | undefined;
  /** chat.update calls made, for tests and logs. */
  updates = 0;

  constructor(opts: RunProgressMessageOptions) {
    this.#o = opts;
  }

  /** Resolves to the parent message's ts once it is posted (undefined when no run started or it failed). */
  posted(): Promise<string | undefined> {
    return this.#posted ?? Promise.resolve(undefined);
  }

  /** The ts of the parent message, once posted. */
  get ts(): string | undefined {
    return this.#ts;
  }

  /** A ProgressListener: never throws, never waits. */
  readonly onProgress = (event: RunProgress): void => {
    this.#apply(event);
    if (event.type === "started" && !this.#posted) {
      this.#posted = this.#post();
      return;
    }
    if (this.#posted) this.#scheduleUpdate();
  };

  /**
   * Waits for the parent message and one last update showing the final state; resolves to the parent
   * ts (undefined when no run started or the post failed).
   */
  async finish(): Promise<string | undefined> {
    if (!this.#posted) return undefined;
    this.#finished = true;
    const ts = await this.#posted;
    if (!ts) return undefined;
    this.#scheduleUpdate();
    await this.#queued;
    return ts;
  }

  #apply(e: RunProgress): void {
    switch (e.type) {
      case "started":
        this.#stack = e.stack;
        this.#runId = e.runId;
        this.#agents = e.agents.map((id) => ({ id, state: "waiting" }));
        this.#phase = "running agents";
        break;
      case "step": {
        let line = this.#agents.find((a) => a.id === e.agent);
        if (!line) {
          line = { id: e.agent, state: "waiting" };
          this.#agents.push(line);
        }
        line.state = e.state;
        if (e.provider) line.provider = e.provider;
        if (e.ms !== undefined) line.ms = e.ms;
        if (e.error) line.error = e.error;
        break;
      }
      case "evaluating":
        this.#phase = "evaluating";
        break;
      case "evaluated":
        this.#phase = `scored ${e.score.toFixed(2)} (${e.pass ? "pass" : "below the bar"})`;
        break;
      case "finished":
        this.#outcome = e.status;
        if (e.status === "failed") this.#phase = `failed: ${e.error ?? "see the thread"}`;
        if (e.status === "cancelled")
          this.#phase = `cancelled${e.cancelledBy ? ` by ${personName(e.cancelledBy)}` : ""}`;
        break;
      case "sealing":
        this.#phase = `${this.#phase}; sealing`;
        break;
      case "sealed":
        this.#phase = `${this.#phase.replace(/; sealing$/, "")}; sealed in commit \`${e.commit.slice(0, 12)}\``;
        break;
    }
  }

  /** The message as it stands. */
  render(): Block[] {
    if (this.#finished) {
      for (const a of this.#agents) if (a.state === "waiting") a.state = "skipped";
    }
    // Once the run is over, every agent has been dealt with (done, failed or skipped): the bar is full
    // and the phase says how it ended, so a failed run never looks stuck at 2/3.
    const done = this.#finished
      ? this.#agents.length
      : this.#agents.filter((a) => a.state === "done" || a.state === "failed").length;
    const lines = this.#agents.map((a) => {
      const bits: string[] = [a.state];
      if (a.provider) bits.push(a.provider);
      if (a.ms !== undefined) bits.push(`${(a.ms / 1000).toFixed(1)} s`);
      const err = a.error ? ` — ${escapeMrkdwn(a.error)}` : "";
      return `${ICON[a.state]} *${escapeMrkdwn(a.id)}*: ${bits.join(", ")}${err}`;
    });
    const blocks: Block[] = [
      header(
        `${this.#outcome === "failed" ? "🔴 " : this.#outcome === "cancelled" ? "⏹️ " : ""}Run ${this.#stack || "stack"}`,
      ),
      section(`\`${progressBar(done, this.#agents.length)}\`  ${escapeMrkdwnKeepMentions(this.#phase)}`),
      ...(lines.length > 0 ? sections(lines.join("\n")) : []),
      context(
        `requested by <@${this.#o.userId}> · run \`${escapeMrkdwn(this.#runId)}\`${this.#finished ? " · results in the thread" : ""}`,
      ),
      // While it runs: a Cancel button (the requester or an operator; /codex cancel decides).
      ...(!this.#finished && this.#runId && !this.#outcome
        ? [actions(button("Cancel run", CANCEL_RUN_ACTION, { value: this.#runId, style: "danger" }))]
        : []),
    ];
    // A parent message is one message: keep the first pack (more agents than fit is not a real stack).
    return packMessages(blocks)[0] ?? blocks.slice(0, 1);
  }

  #text(): string {
    return `Run ${this.#stack}: ${this.#phase}`;
  }

  async #post(): Promise<string | undefined> {
    const { client, limiter, channel, log } = this.#o;
    try {
      const res = await limiter.schedule(channel, () =>
        client.chat.postMessage({ channel, text: this.#text(), blocks: this.render() }),
      );
      this.#ts = res.ts;
      this.#dirty = false;
      return res.ts;
    } catch (err) {
      log.warn(
        { err, channel },
        "could not post the run's progress message; the result will still be posted",
      );
      return undefined;
    }
  }

  #scheduleUpdate(): void {
    this.#dirty = true;
    if (this.#queued) return;
    const { client, limiter, channel, log } = this.#o;
    this.#queued = (async () => {
      const ts = await this.#posted;
      if (!ts) return;
      try {
        await limiter.schedule(channel, async () => {
          // Whatever happened while this waited for its slot is rendered now, in one update.
          this.#queued = undefined;
          if (!this.#dirty) return;
          this.#dirty = false;
          this.updates++;
          await client.chat.update({ channel, ts, text: this.#text(), blocks: this.render() });
        });
      } catch (err) {
        log.warn({ err, channel }, "chat.update of the run's progress failed");
      }
    })();
  }
}
