import type { Client } from "@notionhq/client";
import type { webApi } from "@slack/bolt";
import type { Env } from "../config/loadEnv.ts";
import type { Awaitable } from "../core/awaitable.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { DEFAULT_BACKOFF } from "../core/retryPolicy.ts";
import type { Charter } from "../governance/charter.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import type { ChannelRateLimiter } from "../slackWire/channelRateLimiter.ts";
import type { StateApi } from "../state/StateApi.ts";
import { readLastChannel } from "../state/slackConnection.ts";
import type { EvidenceItem } from "./EvidencePublisher.ts";
import type { SinkName } from "./evidenceBody.ts";
import { limitedFetch } from "./limitedFetch.ts";
import { NotionSink } from "./notion/NotionSink.ts";
import { Outbox, type OutboxCounts } from "./Outbox.ts";
import { OutboxDispatcher } from "./OutboxDispatcher.ts";
import { type OutboxInsert, OutboxPublisher } from "./OutboxPublisher.ts";
import type { OutboxStore } from "./OutboxStore.ts";
import { SinkLimiter, TEAMWORK_INTERVAL_MS } from "./SinkLimiter.ts";
import { SlackSink } from "./slack/SlackSink.ts";
import { TeamworkClient } from "./teamwork/TeamworkClient.ts";
import { TeamworkSink } from "./teamwork/TeamworkSink.ts";

export interface RelaysOptions {
  env: Env;
  clock: Clock;
  log: Logger;
  secrets: () => readonly string[];
  charter: () => Charter;
  state: () => StateApi;
  ledger: () => {
    append(e: LedgerAppend, opts?: { outbox?: readonly OutboxInsert[] }): Promise<LedgerEntry>;
    readonly environment: string;
  };
  ledgerPath: () => string;
  /** The egress-checked fetch. */
  fetch: typeof fetch;
  /** The shared Notion client, when NOTION_TOKEN is set. */
  notion: () => Client | undefined;
  random?: () => number;
  /** The signed checkpoint note covering an entry (see OutboxDispatcherOptions.checkpointFor). */
  checkpointFor?: (ledgerSeq: number) => Awaitable<string>;
  /** The shared outbox on PostgreSQL (DATABASE_URL); unset: the table in ledger.db. */
  sharedOutbox?: () => OutboxStore | undefined;
}

/** How long a Teamwork delivery counts as proof that the sink is live (seal v1's teamwork_live). */
const TEAMWORK_LIVE_WINDOW_MS = 24 * 60 * 60_000;

/**
 * The evidence relays: the outbox (in ledger.db), its dispatcher with the Notion and Teamwork sinks the
 * environment configures (Slack's is attached by the Slack host, which owns the client), and the
 * publisher the autonomy kernel uses. Everything is built on first use.
 */
export class Relays {
  readonly #o: RelaysOptions;
  #outbox: OutboxStore | undefined;
  #localOutbox: Outbox | undefined;
  #dispatcher: OutboxDispatcher | undefined;
  #teamwork: TeamworkClient | undefined;

  constructor(opts: RelaysOptions) {
    this.#o = opts;
  }

  /** Which sinks an item goes to, and why the others are off. */
  async sinksFor(
    item: Pick<EvidenceItem, "channel" | "threadKey">,
  ): Promise<{ sinks: SinkName[]; off: string[] }> {
    const { env } = this.#o;
    const sinks: SinkName[] = [];
    const off: string[] = [];
    if (!env.SLACK_BOT_TOKEN) off.push("Slack: SLACK_BOT_TOKEN not set");
    else {
      const ch = this.#o.charter().channels;
      const thread = item.threadKey ? await this.#o.state().getThread(item.threadKey) : undefined;
      // Signals fall back to the channel /codex was last used in (SlackSink posts there).
      const channel =
        thread?.channel ??
        (item.channel === "evidence" ? (ch.evidence ?? ch.signals) : ch.signals) ??
        (item.channel === "signals" ? await readLastChannel(this.#o.state()) : undefined);
      if (channel) sinks.push("slack");
      else
        off.push(
          `Slack: no channel to post ${item.channel === "evidence" ? "evidence" : "signals"} in (set channels.signals in ${this.#o.charter().file}, or use /codex in a channel first)`,
        );
    }
    const notion = this.notionOff();
    if (notion) off.push(`Notion: ${notion}`);
    else sinks.push("notion");
    const teamwork = this.teamworkOff();
    if (teamwork) off.push(`Teamwork: ${teamwork}`);
    else sinks.push("teamwork");
    return { sinks, off };
  }

  notionOff(): string | undefined {
    const { env } = this.#o;
    if (!env.NOTION_TOKEN) return "NOTION_TOKEN not set";
    if (!env.NOTION_LEDGER_DATA_SOURCE_ID)
      return "NOTION_LEDGER_DATA_SOURCE_ID not set (run maos notion setup --parent PAGE_ID)";
    return undefined;
  }

  teamworkOff(): string | undefined {
    const { env } = this.#o;
    const missing = (["TEAMWORK_SITE", "TEAMWORK_API_KEY", "TEAMWORK_TASKLIST_ID"] as const).filter(
      (k) => !env[k],
    );
    return missing.length === 0 ? undefined : `${missing.join(", ")} not set`;
  }

  /** The outbox: PostgreSQL's shared one with DATABASE_URL, else the table in ledger.db. */
  outbox(): OutboxStore {
    if (!this.#outbox) {
      const shared = this.#o.sharedOutbox?.();
      if (shared) this.#outbox = shared;
      else {
        // The ledger creates the outbox table; open it first.
        this.#o.ledger();
        this.#localOutbox = Outbox.open(this.#o.ledgerPath(), this.#o.clock);
        this.#outbox = this.#localOutbox;
      }
    }
    return this.#outbox;
  }

  teamworkClient(): TeamworkClient | undefined {
    const { env, clock } = this.#o;
    if (this.teamworkOff()) return undefined;
    this.#teamwork ??= new TeamworkClient({
      site: env.TEAMWORK_SITE as string,
      apiKey: env.TEAMWORK_API_KEY as string,
      fetch: limitedFetch(this.#o.fetch, new SinkLimiter({ clock, intervalMs: TEAMWORK_INTERVAL_MS }), clock),
      clock,
    });
    return this.#teamwork;
  }

  dispatcher(): OutboxDispatcher {
    if (!this.#dispatcher) {
      const { env, clock, log } = this.#o;
      const d = new OutboxDispatcher({
        outbox: this.outbox(),
        clock,
        log: log.child({ part: "relays" }),
        ledger: this.#o.ledger(),
        secrets: this.#o.secrets(),
        ...(this.#o.random ? { random: this.#o.random } : {}),
        ...(this.#o.checkpointFor ? { checkpointFor: this.#o.checkpointFor } : {}),
        retryBudgetMs: this.#o.charter().outbox.retryBudgetMs,
        backoff: { ...DEFAULT_BACKOFF, capMs: this.#o.charter().outbox.maxBackoffMs },
      });
      const notion = this.#o.notion();
      if (notion && !this.notionOff()) {
        d.setSink(
          new NotionSink({
            client: notion,
            dataSourceId: env.NOTION_LEDGER_DATA_SOURCE_ID as string,
            clock,
            vaultRemote: env.MAOS_VAULT_REMOTE,
          }),
        );
      }
      const teamwork = this.teamworkClient();
      if (teamwork)
        d.setSink(new TeamworkSink({ client: teamwork, tasklistId: env.TEAMWORK_TASKLIST_ID as string }));
      this.#dispatcher = d;
    }
    return this.#dispatcher;
  }

  /**
   * Starts delivering in the background when this process has a sink (Notion or Teamwork configured, or
   * Slack attached); with none, nothing is opened.
   */
  start(): void {
    if (this.#dispatcher || !this.notionOff() || !this.teamworkOff()) this.dispatcher().start();
  }

  /** The Slack host plugs its client in: evidence then also goes to the charter's channels. */
  attachSlack(opts: {
    client: webApi.WebClient;
    limiter: ChannelRateLimiter;
    onApprovalMessage?: (approvalId: string, channel: string, ts: string) => Promise<void>;
  }): void {
    this.dispatcher().setSink(
      new SlackSink({
        client: opts.client,
        limiter: opts.limiter,
        charter: this.#o.charter,
        state: this.#o.state(),
        clock: this.#o.clock,
        ...(opts.onApprovalMessage ? { onApprovalMessage: opts.onApprovalMessage } : {}),
      }),
    );
  }

  /** The EvidencePublisher for the autonomy kernel; `echo` shows each item where the operator is. */
  publisher(opts: { echo?: (item: EvidenceItem) => void } = {}): OutboxPublisher {
    return new OutboxPublisher({
      ledger: { append: (e, o) => this.#o.ledger().append(e, o) },
      sinksFor: (item) => this.sinksFor(item),
      environment: this.#o.env.MAOS_ENVIRONMENT ?? this.#o.charter().identity.environment,
      sealVersion: async () => (await this.#o.state().latestSeal())?.version ?? "v0",
      secrets: this.#o.secrets,
      deliverNow: () => (this.#dispatcher?.running ? this.#dispatcher.deliverDue() : undefined),
      ...(opts.echo ? { echo: opts.echo } : {}),
    });
  }

  async counts(): Promise<OutboxCounts> {
    return this.outbox().counts();
  }

  /** Dead letters waiting for a redrive (drift counts them); 0 when the outbox was never created. */
  async deadLetterCount(): Promise<number> {
    try {
      return (await this.outbox().counts()).dead;
    } catch (err) {
      if ((err as { code?: string }).code === "LEDGER_BROKEN" && !this.#outbox) return 0;
      throw err;
    }
  }

  /**
   * Seal v1's "Teamwork live": the sink is configured and either delivered evidence within the last day
   * or answers a read of the task list now.
   */
  async teamworkLive(): Promise<{ ok: boolean; detail: string }> {
    const off = this.teamworkOff();
    if (off) return { ok: false, detail: `not configured (${off})` };
    const since = new Date(this.#o.clock.now().getTime() - TEAMWORK_LIVE_WINDOW_MS).toISOString();
    const recent = await this.outbox().deliveredSince("teamwork", since);
    if (recent > 0)
      return { ok: true, detail: `${recent} evidence item(s) delivered to Teamwork in the last 24 h` };
    try {
      const client = this.teamworkClient() as TeamworkClient;
      await client.findTasks(this.#o.env.TEAMWORK_TASKLIST_ID as string, "[SYSTEM] MAOS MVP");
      return {
        ok: true,
        detail: `task list ${this.#o.env.TEAMWORK_TASKLIST_ID} answered on ${this.#o.env.TEAMWORK_SITE}`,
      };
    } catch (err) {
      return {
        ok: false,
        detail: `Teamwork did not answer: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  /** The Notion relay is configured and delivered within the last day, or its data source answers now. */
  async notionLive(): Promise<{ ok: boolean; detail: string }> {
    const off = this.notionOff();
    if (off) return { ok: false, detail: `not configured (${off})` };
    const since = new Date(this.#o.clock.now().getTime() - TEAMWORK_LIVE_WINDOW_MS).toISOString();
    const recent = await this.outbox().deliveredSince("notion", since);
    if (recent > 0)
      return { ok: true, detail: `${recent} evidence page(s) written to Notion in the last 24 h` };
    try {
      await this.#o
        .notion()
        ?.dataSources.retrieve({ data_source_id: this.#o.env.NOTION_LEDGER_DATA_SOURCE_ID as string });
      return { ok: true, detail: "the MAOS Activation Ledger data source answered" };
    } catch (err) {
      return {
        ok: false,
        detail: `Notion did not answer: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  async close(): Promise<void> {
    await this.#dispatcher?.stop();
    await this.#dispatcher?.idle();
    this.#dispatcher = undefined;
    // The shared outbox is the app's to close (it opened it at connect).
    this.#localOutbox?.close();
    this.#localOutbox = undefined;
    this.#outbox = undefined;
  }
}
