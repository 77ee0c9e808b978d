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
import type { ApprovalRecord, ApprovalRequest, ApprovalService } from "../approvals/ApprovalService.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { personName } from "../core/personName.ts";
import type { Reply } from "../core/Reply.ts";
import { ChannelRateLimiter } from "../slackWire/channelRateLimiter.ts";
import type { StateApi } from "../state/StateApi.ts";
import { commandRunner, type Dispatch } from "./commandRunner.ts";
import { type DeliverDeps, deliverReply } from "./deliverReply.ts";
import { HomeDashboard, type HomeDeps } from "./homeView.ts";
import * as appHome from "./listeners/appHome.ts";
import * as approvalButtons from "./listeners/approvalButtons.ts";
import * as cancelButton from "./listeners/cancelButton.ts";
import * as codexCommand from "./listeners/codexCommand.ts";
import * as incidentMessages from "./listeners/incidentMessages.ts";
import * as reactions from "./listeners/reactions.ts";
import * as runInputsForm from "./listeners/runInputsForm.ts";
import { announceDecision, tellUser } from "./notices.ts";
import { ReplayGuard, type ReplayGuardOptions } from "./ReplayGuard.ts";
import { SlackDirectory } from "./SlackDirectory.ts";
import { replayedTrigger, SlackWork } from "./SlackWork.ts";
import type { SlackMode } from "./slackMode.ts";
import {
  BODY_LIMIT_BYTES,
  type RouteHandler,
  SLACK_EVENTS_PATH,
  slackRequestListener,
} from "./slackRequestListener.ts";

export { type Dispatch, type RouteHandler, SLACK_EVENTS_PATH };

export interface CreateSlackAppOptions {
  dispatch: Dispatch;
  /** The commands' context (CommandContext.app), passed through to the command layer untouched. */
  commandApp: Parameters<Dispatch>[1]["app"];
  /** `/codex cancel`'s rules, for the Cancel button. */
  cancel: cancelButton.CancelButtonDeps["cancel"];
  state: StateApi;
  approvals: ApprovalService;
  incidents: incidentMessages.IncidentMessagesDeps["incidents"];
  /** What the App Home reads besides the open approvals. */
  home: Omit<HomeDeps, "openApprovals">;
  /** Where replays are written (SLACK_REPLAY_IGNORED). */
  ledger: ReplayGuardOptions["ledger"];
  mode: SlackMode;
  /**
   * The bot's identity (auth.test), known at start-up in HTTP mode so no request waits on it before its
   * ack; in Socket Mode it may resolve later, before the socket connects.
   */
  bot: () => Promise<BotIdentity>;
  /** Socket Mode: the client's ping timeout in ms (Slack's default otherwise); tests shorten it. */
  socketPingTimeoutMs?: number;
  clock: Clock;
  log: Logger;
  routes?: RouteHandler;
  /** User-group ids (S…) named by roles: the only groups whose membership is looked up. */
  roleGroupIds: () => string[];
  limiter?: ChannelRateLimiter;
  /** The Web API client's options (SLACK_API_URL, the egress guard's fetch). */
  clientOptions: webApi.WebClientOptions;
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
 * The Slack surface on Bolt: builds the receiver, Bolt and the Web API client, then registers the
 * listeners (one per file in listeners/: `/codex`, the run-inputs form, reactions, the approval and
 * Cancel buttons, the App Home, the incident messages). In HTTP mode Bolt's own signature check is off
 * and ours (verifySlackSignature, on the injected clock) sits in front of receiver.requestListener.
 */
export function createSlackApp(opts: CreateSlackAppOptions): SlackApp {
  const { state, approvals, mode, clock, clientOptions } = opts;
  const log = opts.log.child({ part: "slack" });
  const limiter = opts.limiter ?? new ChannelRateLimiter({ clock });
  const logger = boltLogger(log);
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

  const directory = new SlackDirectory({ client, clock, log, roleGroupIds: opts.roleGroupIds });
  const replays = new ReplayGuard({ state, ledger: opts.ledger, log });
  const work = new SlackWork({ clock, log });
  const replayed = replayedTrigger(replays, work);
  const deliver: DeliverDeps = {
    client,
    limiter,
    log,
    onApprovalMessage: async (id: string, channel: string, ts: string) => {
      await approvals.attachMessage(id, channel, ts);
    },
  };
  const tell = tellUser(deliver);
  const announce = announceDecision({ client, limiter, tellUser: tell });
  const runCommand = commandRunner({
    dispatch: opts.dispatch,
    app: opts.commandApp,
    approvals,
    directory,
    client,
    limiter,
    log,
    deliver,
    tellUser: tell,
  });

  codexCommand.register(bolt, { state, clock, work, replayedTrigger: replayed, runCommand });
  runInputsForm.register(bolt, { work, runCommand });
  reactions.register(bolt, { approvals, announce, work, log });
  approvalButtons.register(bolt, {
    approvals,
    directory,
    announce,
    tellUser: tell,
    work,
    replayedTrigger: replayed,
  });
  cancelButton.register(bolt, {
    cancel: opts.cancel,
    directory,
    tellUser: tell,
    work,
    replayedTrigger: replayed,
  });
  const home = new HomeDashboard({ ...opts.home, openApprovals: () => approvals.open() });
  appHome.register(bolt, { state, home, client, work });
  const incidents = incidentMessages.register({
    approvals,
    incidents: opts.incidents,
    client,
    limiter,
    work,
  });

  // Every incoming request, from both receivers, goes through processEvent; tracking it (the ack is
  // sent inside it) lets idle() and stop() wait for work whose HTTP response has already gone out.
  const processEvent = bolt.processEvent.bind(bolt);
  bolt.processEvent = (event) => {
    const p = processEvent(event);
    work.track("Slack event", p);
    return p;
  };

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
          onReplay: (recorded) => work.track("replay record", recorded),
          onSlackRequest(res) {
            work.afterAck.requestStarted();
            // 'close' follows the response's end (or a dropped connection): either way no ack is owed.
            res.once("close", () => work.afterAck.requestFinished());
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
        deliver,
      );
      return (ts ? await approvals.get(approval.id) : undefined) ?? approval;
    },
    syncIncidentMessages() {
      work.track(
        "incident messages sync",
        incidents.sync().catch((err: unknown) => {
          log.warn({ err }, "could not bring the incident messages up to date");
        }),
      );
    },
    idle: () => work.idle(),
  };
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
