import type { IncomingMessage, ServerResponse } from "node:http";
import {
  App as BoltApp,
  type Logger as BoltLogger,
  HTTPReceiver,
  LogLevel,
  type Receiver,
  SocketModeReceiver,
  webApi,
} from "@slack/bolt";
import type { CommandContext } from "../../commands/CommandSpec.ts";
import { cancelOutcome } from "../../commands/cancel.ts";
import type { App } from "../app/App.ts";
import type {
  ApprovalOutcome,
  ApprovalRecord,
  ApprovalRequest,
  ApprovalService,
  Decision,
} from "../approvals/ApprovalService.ts";
import { commandApprovals, outcomeReply } from "../approvals/commandApprovals.ts";
import { incidentReply } from "../autonomy/IncidentService.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { personName } from "../core/personName.ts";
import type { Reply, ReplyPart } from "../core/Reply.ts";
import { utcIso } from "../core/timestamps.ts";
import type { RoleMembers } from "../governance/roles.ts";
import { ChannelRateLimiter } from "../slackWire/channelRateLimiter.ts";
import { APPROVE_ACTION, CANCEL_RUN_ACTION, REJECT_ACTION, replyToBlocks } from "../slackWire/replyBlocks.ts";
import type { StateStore } from "../state/StateStore.ts";
import { writeLastChannel } from "../state/slackConnection.ts";
import { AfterAckQueue } from "./AfterAckQueue.ts";
import { deliverReply, type RespondFn } from "./deliverReply.ts";
import { HomeDashboard } from "./homeView.ts";
import { OutputStreams } from "./OutputStreams.ts";
import { ReplayGuard } from "./ReplayGuard.ts";
import { RunProgressMessage } from "./RunProgressMessage.ts";
import { modalAsker, registerRunInputsModal } from "./runInputsModal.ts";
import { SlackDirectory } from "./SlackDirectory.ts";
import type { SlackMode } from "./slackMode.ts";
import {
  BODY_LIMIT_BYTES,
  type RouteHandler,
  SLACK_EVENTS_PATH,
  slackRequestListener,
} from "./slackRequestListener.ts";
import { slackWebClientOptions } from "./webClientOptions.ts";

export { type RouteHandler, SLACK_EVENTS_PATH };

/** The adapter-independent command layer (commands/dispatch.ts). */
export type Dispatch = (text: string, ctx: CommandContext) => Promise<Reply>;

export interface CreateSlackAppOptions {
  app: App;
  dispatch: Dispatch;
  state: StateStore;
  approvals: ApprovalService;
  mode: SlackMode;
  /**
   * The bot's identity (auth.test), known at start-up in HTTP mode so no request waits on it before its
   * ack; in Socket Mode it may resolve later, before the socket connects.
   */
  bot: () => Promise<BotIdentity>;
  /** Socket Mode: the client's ping timeout in ms (Slack's default otherwise); tests shorten it. */
  socketPingTimeoutMs?: number;
  clock?: Clock;
  routes?: RouteHandler;
  /** Extra role members (MAOS_ROLES), for user-group lookups. */
  extraRoles?: RoleMembers;
  limiter?: ChannelRateLimiter;
  /** The Web API client's options; SLACK_API_URL by default. */
  clientOptions?: webApi.WebClientOptions;
}

export interface BotIdentity {
  userId: string;
  botId: string;
}

export interface SlackApp {
  bolt: BoltApp;
  client: webApi.WebClient;
  receiver: Receiver;
  /** HTTP mode: a node request listener (routes first, then signed Slack requests at /slack/events). */
  requestListener: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  directory: SlackDirectory;
  /** The per-channel pacing every post goes through (evidence posts share it). */
  limiter: ChannelRateLimiter;
  /** Records a request and posts its Approve/Reject message in `channel`; reactions on it then count. */
  requestApproval(req: ApprovalRequest & { channel: string; threadTs?: string }): Promise<ApprovalRecord>;
  /**
   * Brings every open incident's messages up to date with its approval as the shared state now has it
   * (decided by another process, e.g. `maos incident approve`); runs in the background, tracked by idle().
   */
  syncIncidentMessages(): void;
  /** Resolves once the work started so far (runs, replies, Home updates) has finished. */
  idle(): Promise<void>;
}

/**
 * The Slack surface on Bolt: `/codex` (ack first, then the work), reactions and buttons for approvals,
 * and the App Home dashboard. In HTTP mode Bolt's own signature check is off and ours
 * (verifySlackSignature, on the injected clock) sits in front of receiver.requestListener.
 */
export function createSlackApp(opts: CreateSlackAppOptions): SlackApp {
  const { app, dispatch, state, approvals, mode } = opts;
  const clock = opts.clock ?? app.clock;
  const log = app.log.child({ part: "slack" });
  const limiter = opts.limiter ?? new ChannelRateLimiter({ clock });
  const logger = boltLogger(log);
  const clientOptions: webApi.WebClientOptions = opts.clientOptions ?? {
    ...slackWebClientOptions({ apiUrl: app.env.SLACK_API_URL }),
    // Through the egress guard, like every outbound client ("no third-party relays").
    fetch: app.egress().fetch,
  };
  const receiver: Receiver =
    mode.kind === "http"
      ? new HTTPReceiver({
          signingSecret: mode.signingSecret,
          signatureVerification: false,
          endpoints: [SLACK_EVENTS_PATH],
          logger,
          bodyLimit: BODY_LIMIT_BYTES,
        })
      : new SocketModeReceiver({
          appToken: mode.appToken,
          logger,
          // SocketSupervisor reconnects on the injected clock; the client's own loop is off.
          autoReconnectEnabled: false,
          ...(opts.socketPingTimeoutMs ? { clientPingTimeout: opts.socketPingTimeoutMs } : {}),
          // apps.connections.open goes where every Web API call goes (SLACK_API_URL, the egress guard).
          installerOptions: { clientOptions: { ...clientOptions } },
        });

  const bolt = new BoltApp({
    // Our own authorize: Bolt never calls auth.test itself, so a start-up without Slack's Web API
    // (Socket Mode) is not cached as a failure; the identity is resolved before any event can arrive.
    authorize: async () => {
      const bot = await opts.bot();
      return { botToken: mode.botToken, botId: bot.botId, botUserId: bot.userId };
    },
    receiver,
    // The bot's own reactions must reach the approvals service, which refuses them on the record.
    ignoreSelf: false,
    convoStore: false,
    logger,
    clientOptions,
  });
  const client = new webApi.WebClient(mode.botToken, { ...clientOptions, logger });

  const extraRoles = opts.extraRoles ?? {};
  const directory = new SlackDirectory({
    client,
    clock,
    log,
    roleGroupIds: () => roleGroupIds(app, extraRoles),
  });
  const home = new HomeDashboard(app, () => approvals.open());
  const replays = new ReplayGuard({ state, ledger: () => app.ledger(), log });
  /** A command or interaction whose trigger_id was seen in the window (a redelivery or a replay). */
  const replayedTrigger = (
    triggerId: string | undefined,
    user: string,
    channel: string | undefined,
    what: string,
  ) => {
    if (!triggerId) return false;
    const r = replays.admit({ by: "trigger", key: triggerId, user, channel, what });
    if (!r.fresh) track("replay record", r.recorded);
    return !r.fresh;
  };
  const afterAck = new AfterAckQueue({ clock });
  const pending = new Set<Promise<void>>();
  const track = (what: string, work: Promise<unknown>) => {
    const p: Promise<void> = work.then(
      () => undefined,
      (err: unknown) => log.error({ err }, `${what} failed`),
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const deliverDeps = {
    client,
    limiter,
    log,
    onApprovalMessage: (id: string, channel: string, ts: string) => {
      approvals.attachMessage(id, channel, ts);
    },
  };
  const tellUser = async (channel: string, user: string, text: string, respond?: RespondFn) => {
    await deliverReply(
      { summary: text, parts: [{ kind: "text", text }], ephemeral: true },
      { channel, user, respond },
      deliverDeps,
    );
  };

  /** A `/codex` line typed in `channel` (or submitted from the run-inputs form, with its values). */
  async function runCommand(cmd: {
    text: string;
    channel: string;
    user: string;
    respond?: RespondFn | undefined;
    triggerId?: string | undefined;
    /** The workspace, which Slack needs to stream into a channel. */
    teamId?: string | undefined;
    formInputs?: Record<string, string>;
  }): Promise<void> {
    const { channel, user, respond } = cmd;
    try {
      const actor = await directory.actor(user);
      const progress = new RunProgressMessage({ client, limiter, channel, userId: user, log });
      const streams = new OutputStreams({
        client,
        limiter,
        channel,
        userId: user,
        teamId: cmd.teamId,
        parentTs: () => progress.posted(),
        log,
      });
      const reply = await dispatch(cmd.text, {
        app,
        actor,
        onProgress: (e) => {
          progress.onProgress(e);
          streams.onProgress(e);
        },
        approvals: commandApprovals(approvals),
        // A stack input with no default is asked for in a form opened on the command's trigger.
        askInputs: modalAsker({ client, log, triggerId: cmd.triggerId, text: cmd.text, channel }),
        ...(cmd.formInputs ? { formInputs: cmd.formInputs } : {}),
      });
      await streams.finish();
      const parentTs = await progress.finish();
      await deliverReply(
        withoutStreamed(reply, streams.complete),
        { channel, user, threadTs: parentTs, respond },
        deliverDeps,
      );
    } catch (err) {
      log.error({ err, channel, user }, "/codex failed while replying");
      await tellUser(
        channel,
        user,
        "/codex hit an unexpected error while replying; the details are in the server log.",
        respond,
      ).catch(() => undefined);
    }
  }

  async function announce(
    outcome: ApprovalOutcome,
    channel: string,
    user: string,
    isBot: boolean,
  ): Promise<void> {
    if (outcome.outcome === "duplicate" || outcome.outcome === "ignored") return;
    const a = outcome.approval;
    if (outcome.outcome === "refused") {
      if (!isBot)
        await tellUser(channel, user, `Your decision on approval ${a.id} did not count: ${outcome.reason}.`);
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
  }

  bolt.command("/codex", async ({ command, ack, respond }) => {
    // Acknowledge before any I/O: Slack shows an error after 3 s without an ack. The work starts on a
    // later turn of the event loop (AfterAckQueue), so it never delays this ack or the next request's.
    await ack();
    const first = command.text.trim().split(/\s+/)[0] || "help";
    if (replayedTrigger(command.trigger_id, command.user_id, command.channel_id, `/codex ${first}`)) return;
    // Where signals go while channels.signals is empty (SlackSink): the channel the bot was last used in.
    writeLastChannel(state, command.channel_id, utcIso(clock.now()));
    track(
      "/codex",
      afterAck.run(() =>
        runCommand({
          text: command.text,
          channel: command.channel_id,
          user: command.user_id,
          respond: respond as RespondFn | undefined,
          triggerId: command.trigger_id,
          teamId: command.team_id,
        }),
      ),
    );
  });

  // The run-inputs form: its submission runs the typed command again, with the form's values.
  registerRunInputsModal(bolt, (s) =>
    track(
      "/codex run form",
      afterAck.run(() =>
        runCommand({
          text: s.text,
          channel: s.channel,
          user: s.user,
          teamId: s.teamId,
          formInputs: s.values,
        }),
      ),
    ),
  );

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
      track(
        name,
        afterAck.run(async () => {
          const outcome = await approvals.onReaction({
            eventId,
            user: event.user,
            reaction: event.reaction,
            channel,
            ts,
            added,
            botUserId: context.botUserId,
          });
          log.debug({ eventId, outcome: outcome.outcome }, name);
          await announce(outcome, channel, event.user, event.user === context.botUserId);
        }),
      );
    });
  }

  const onButton = (decision: Decision) =>
    bolt.action(
      { action_id: decision === "approve" ? APPROVE_ACTION : REJECT_ACTION },
      async ({ ack, body, action }) => {
        await ack();
        const id = action.type === "button" ? action.value : undefined;
        const user = body.user.id;
        const channel = body.channel?.id;
        if (!id) return;
        const trigger = "trigger_id" in body ? body.trigger_id : undefined;
        if (replayedTrigger(trigger, user, channel, decision === "approve" ? APPROVE_ACTION : REJECT_ACTION))
          return;
        track(
          "approval button",
          afterAck.run(async () => {
            const actor = await directory.actor(user);
            const outcome = await approvals.decide(id, decision, actor, "button");
            if (channel) {
              if (outcome.outcome === "refused") await tellUser(channel, user, outcomeReply(outcome).summary);
              else await announce(outcome, channel, user, false);
            }
          }),
        );
      },
    );
  onButton("approve");
  onButton("reject");

  // The Cancel button on a running run's message: the same rules as /codex cancel.
  bolt.action({ action_id: CANCEL_RUN_ACTION }, async ({ ack, body, action }) => {
    await ack();
    const runId = action.type === "button" ? action.value : undefined;
    const user = body.user.id;
    const channel = body.channel?.id;
    if (!runId || !channel) return;
    const trigger = "trigger_id" in body ? body.trigger_id : undefined;
    if (replayedTrigger(trigger, user, channel, CANCEL_RUN_ACTION)) return;
    track(
      "cancel button",
      afterAck.run(async () => {
        const actor = await directory.actor(user);
        const outcome = await cancelOutcome({ app, actor }, runId);
        await tellUser(channel, user, outcome.reply.summary);
      }),
    );
  });

  bolt.event("app_home_opened", async ({ event, body }) => {
    if (event.tab !== "home") return;
    if (typeof body.event_id === "string" && !state.claimEvent(body.event_id)) return;
    const user = event.user;
    track(
      "views.publish",
      afterAck.run(async () => {
        const view = await home.view();
        await client.views.publish({ user_id: user, view });
      }),
    );
  });

  // Every incoming request, from both receivers, goes through processEvent; tracking it (the ack is
  // sent inside it) lets idle() and stop() wait for work whose HTTP response has already gone out.
  const processEvent = bolt.processEvent.bind(bolt);
  bolt.processEvent = (event) => {
    const p = processEvent(event);
    track("Slack event", p);
    return p;
  };

  // An incident's messages follow its approval: approved by whom, buttons gone (back if revoked).
  approvals.onDecision((e) => {
    if (e.approval.kind !== "incident") return;
    track("incident message update", refreshIncidentMessages(e.approval.id, e.approval.subjectId));
  });
  /**
   * What the incident messages last showed of each approval, by id. A message is posted with its
   * approval open, so an approval seen here for the first time was shown open.
   */
  const shownApproval = new Map<string, string>();
  const approvalShown = (a: { status: string; decidedBy?: string | null; decidedVia?: string | null }) =>
    `${a.status}|${a.decidedBy ?? ""}|${a.decidedVia ?? ""}`;
  const OPEN_SHOWN = approvalShown({ status: "open" });
  async function syncIncidentMessages(): Promise<void> {
    for (const view of app.autonomy().incidents.list("open")) {
      const a = view.approval;
      if (!a || approvalShown(a) === (shownApproval.get(a.id) ?? OPEN_SHOWN)) continue;
      if (approvals.messages(a.id).length === 0) continue;
      await refreshIncidentMessages(a.id, view.id);
    }
  }
  async function refreshIncidentMessages(approvalId: string, incidentId: string): Promise<void> {
    const view = app.autonomy().incidents.get(incidentId);
    if (!view) return;
    const out = replyToBlocks(
      incidentReply(view, {
        opening: view.approval?.status === "open",
        approverRoles: app.autonomy().incidents.approverRoles(),
      }),
    );
    const blocks = out.messages[0];
    for (const m of approvals.messages(approvalId)) {
      await limiter.schedule(m.channel, () =>
        client.chat.update({ channel: m.channel, ts: m.ts, text: out.text, ...(blocks ? { blocks } : {}) }),
      );
    }
    if (view.approval) shownApproval.set(approvalId, approvalShown(view.approval));
  }

  bolt.error(async (err) => {
    log.error({ err }, "Slack listener failed");
  });

  const requestListener =
    receiver instanceof HTTPReceiver && mode.kind === "http"
      ? slackRequestListener({
          receiver,
          signingSecret: mode.signingSecret,
          clock,
          log,
          routes: opts.routes,
          replays,
          onReplay: (recorded) => track("replay record", recorded),
          onSlackRequest(res) {
            afterAck.requestStarted();
            // 'close' follows the response's end (or a dropped connection): either way no ack is owed.
            res.once("close", () => afterAck.requestFinished());
          },
        })
      : undefined;

  return {
    bolt,
    client,
    receiver,
    requestListener,
    directory,
    limiter,
    async requestApproval(req) {
      const approval = await approvals.request(req);
      const reply: Reply = {
        summary: `Approval needed: ${req.prompt}`,
        parts: [
          { kind: "header", text: `Approval needed: ${req.kind} ${req.subjectId}` },
          { kind: "approval", approvalId: approval.id, prompt: req.prompt },
          {
            kind: "context",
            text: `requested by ${personName(approval.requestedBy)}; approvers: ${approvals.approverRoles(req.kind).join(", ") || "nobody (none configured)"}`,
          },
        ],
      };
      const ts = await deliverReply(
        reply,
        { channel: req.channel, user: req.requestedBy.id, threadTs: req.threadTs },
        deliverDeps,
      );
      return (ts ? approvals.get(approval.id) : undefined) ?? approval;
    },
    syncIncidentMessages() {
      track(
        "incident messages sync",
        syncIncidentMessages().catch((err: unknown) => {
          log.warn({ err }, "could not bring the incident messages up to date");
        }),
      );
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

/**
 * The result without the outputs already streamed whole into the thread (and the divider before each),
 * with a line saying where they are.
 */
function withoutStreamed(reply: Reply, streamed: ReadonlySet<string>): Reply {
  const gone = (p: ReplyPart | undefined) => p?.kind === "document" && streamed.has(p.filename);
  const parts = reply.parts.filter((p, i) => !gone(p) && !(p.kind === "divider" && gone(reply.parts[i + 1])));
  if (parts.length === reply.parts.length) return reply;
  // Named when some output is here after all (its stream broke off or was too long), so it is clear
  // which ones are above.
  const names = reply.parts.flatMap((p) =>
    gone(p) && p.kind === "document" ? [p.filename.replace(/\.md$/, "")] : [],
  );
  const kept = parts.some((p) => p.kind === "document");
  const text = kept
    ? `Streamed above in this thread: ${names.join(", ")}.`
    : "Agent outputs were streamed above in this thread.";
  return { ...reply, parts: [...parts, { kind: "context", text }] };
}

/** User-group ids (S…) named by charter roles or MAOS_ROLES: the only groups membership is looked up for. */
function roleGroupIds(app: App, extra: RoleMembers): string[] {
  const ids = new Set<string>();
  const add = (members: readonly string[]) => {
    for (const m of members) if (m.startsWith("S")) ids.add(m);
  };
  for (const role of Object.values(app.charter().roles)) add(role.members);
  for (const members of Object.values(extra)) add(members);
  return [...ids];
}

/** Bolt's logger interface over pino; Bolt's level follows ours. */
function boltLogger(log: Logger): BoltLogger {
  const line = (args: unknown[]) =>
    args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ");
  return {
    debug: (...m: unknown[]) => log.debug(line(m)),
    info: (...m: unknown[]) => log.debug(line(m)),
    warn: (...m: unknown[]) => log.warn(line(m)),
    error: (...m: unknown[]) => log.error(line(m)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
