import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type SocketModeReceiver, webApi } from "@slack/bolt";
import { cancelOutcome } from "../../commands/cancel.ts";
import { dispatch as defaultDispatch } from "../../commands/dispatch.ts";
import type { App } from "../app/App.ts";
import type { ApprovalService } from "../approvals/ApprovalService.ts";
import { relayBind } from "../config/relayBind.ts";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { utcIso } from "../core/timestamps.ts";
import type { RoleMembers } from "../governance/roles.ts";
import type { StateApi } from "../state/StateApi.ts";
import { writeSlackConnection } from "../state/slackConnection.ts";
import {
  type BotIdentity,
  createSlackApp,
  type Dispatch,
  type RouteHandler,
  type SlackApp,
} from "./createSlackApp.ts";
import { SocketSupervisor } from "./SocketSupervisor.ts";
import { type SlackMode, slackMode } from "./slackMode.ts";
import { slackWebClientOptions } from "./webClientOptions.ts";

export interface StartSlackOptions {
  /** The relay server's routes, served first by the same HTTP server. */
  routes?: RouteHandler;
  clock?: Clock;
  /** Interface to listen on; MAOS_BIND's rule by default (relayBind: every interface in HTTP mode). */
  host?: string;
  /** The command layer; commands/dispatch.ts by default. */
  dispatch?: Dispatch;
  /** An open state store; MAOS_HOME/state.db by default (and then closed by stop). */
  state?: StateApi;
  /** Socket Mode: the client's ping timeout in ms; tests shorten it. */
  socketPingTimeoutMs?: number;
}

export interface SlackRuntime {
  mode: SlackMode["kind"];
  /** The HTTP port (HTTP mode, or Socket Mode with routes). */
  port?: number;
  approvals: ApprovalService;
  state: StateApi;
  slack: SlackApp;
  /** Socket Mode: the connection's supervisor (status, connections made). */
  socket?: SocketSupervisor;
  stop(): Promise<void>;
}

/**
 * Starts the Slack surface as the environment says (slackMode): checks the bot token with auth.test
 * (so a wrong token stops start-up, and no request waits on auth.test before its ack), opens the state
 * store, and serves Slack, in HTTP mode on PORT with the relay routes, or over Socket Mode.
 */
export async function startSlack(app: App, opts: StartSlackOptions = {}): Promise<SlackRuntime> {
  const mode = slackMode(app.env);
  const clock = opts.clock ?? app.clock;
  app.charter(); // a broken charter stops start-up before Slack connects
  const extraRoles = app.extraRoles();
  // Through the egress guard, like every outbound client ("no third-party relays").
  const clientOptions = {
    ...slackWebClientOptions({ apiUrl: app.env.SLACK_API_URL }),
    fetch: app.egress().fetch,
  };
  const authClient = new webApi.WebClient(mode.botToken, {
    ...clientOptions,
    logLevel: webApi.LogLevel.ERROR,
  });
  const apiUrl = clientOptions.slackApiUrl ?? "https://slack.com/api/";
  const state = opts.state ?? app.state();
  let bot: BotIdentity | undefined;
  try {
    bot = await authTest(authClient);
  } catch (err) {
    // A refused token stops start-up in both modes. An unreachable Web API stops HTTP mode (Slack
    // could not be answered anyway); in Socket Mode the relay server and the loop start, and the
    // supervisor keeps trying, its status in `status`, /metrics and the telemetry.
    if (mode.kind === "http" || !isUnreachable(err)) throw err;
    app.log.error(
      { apiUrl, err },
      `Slack's Web API is unreachable at ${apiUrl}; starting anyway and retrying in the background (check the network, a proxy, or SLACK_API_URL)`,
    );
  }
  const identity = async (): Promise<BotIdentity> => {
    bot ??= await authTest(authClient);
    return bot;
  };

  const approvals = app.approvals();
  const slack: SlackApp = createSlackApp({
    dispatch: opts.dispatch ?? defaultDispatch,
    commandApp: app,
    cancel: (actor, runId) => cancelOutcome({ app, actor }, runId),
    state,
    approvals,
    incidents: () => app.autonomy().incidents,
    home: {
      clock: app.clock,
      ledger: () => app.ledger(),
      // As `status`: only what changed since the kept verification; the heartbeat keeps the schedule of
      // full passes, so opening the App Home never starts one only because one is due.
      custody: () => app.custody({ periodic: false }),
      autonomySummary: () => app.autonomy().homeSummary(),
    },
    ledger: () => app.ledger(),
    mode,
    bot: identity,
    clock,
    log: app.log,
    roleGroupIds: () => roleGroupIds(app, extraRoles),
    clientOptions,
    ...(opts.routes ? { routes: opts.routes } : {}),
    ...(opts.socketPingTimeoutMs ? { socketPingTimeoutMs: opts.socketPingTimeoutMs } : {}),
  });
  approvals.useActorResolver((id) => slack.directory.actor(id));
  const s = slack;

  const host = opts.host ?? relayBind(app.env).host;
  let server: Server | undefined;
  let socket: SocketSupervisor | undefined;
  if (s.requestListener) {
    server = await listen(createServer(s.requestListener), app.env.PORT, host);
    await writeSlackConnection(state, {
      mode: "http",
      state: "listening",
      since: utcIso(clock.now()),
      apiUrl,
      failures: 0,
      pid: process.pid,
    });
  } else {
    const metrics = app.autonomy().metrics;
    socket = new SocketSupervisor({
      client: (s.receiver as SocketModeReceiver).client,
      ready: identity,
      apiUrl,
      clock,
      log: app.log.child({ part: "slack-socket" }),
      state,
      onChange: (status, failed) => metrics.setSlack(status.state === "connected", failed),
    });
    if (opts.routes) {
      const routes = opts.routes;
      server = await listen(
        createServer((req, res) => {
          Promise.resolve(routes(req, res))
            .then((served) => {
              if (!served) res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
            })
            .catch((err: unknown) => {
              app.log.error({ err }, "relay route failed");
              if (!res.headersSent) res.writeHead(500).end();
            });
        }),
        app.env.PORT,
        host,
      );
    }
    // Never awaited: the relay server and the loop start whatever Slack's state.
    socket.start();
  }
  const port = server ? (server.address() as AddressInfo).port : undefined;
  app.log.info(
    { mode: mode.kind, port, botUserId: bot?.userId },
    mode.kind === "http" ? "Slack is live" : "Slack is starting (Socket Mode connects in the background)",
  );

  let stopped = false;
  return {
    mode: mode.kind,
    ...(port === undefined ? {} : { port }),
    approvals,
    state,
    slack: s,
    ...(socket ? { socket } : {}),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (server) {
        const srv = server;
        await new Promise<void>((resolve) => {
          srv.close(() => resolve());
          srv.closeAllConnections();
        });
      }
      await socket?.stop();
      await s.idle();
    },
  };
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

/** An auth.test that never reached Slack (no platform answer): the network, a proxy, SLACK_API_URL. */
function isUnreachable(err: unknown): boolean {
  return (err as { details?: { unreachable?: boolean } }).details?.unreachable === true;
}

async function authTest(client: webApi.WebClient): Promise<BotIdentity> {
  let res: webApi.AuthTestResponse;
  try {
    res = await client.auth.test();
  } catch (cause) {
    const code = (cause as { data?: { error?: unknown } }).data?.error;
    if (typeof code === "string") {
      throw new CodexError("CONFIG_INVALID", `Slack refused SLACK_BOT_TOKEN: auth.test answered ${code}.`, {
        hint: "set SLACK_BOT_TOKEN to the app's current Bot User OAuth Token (xoxb-…); reinstall the app if it was revoked",
        cause,
      });
    }
    throw new CodexError("CONFIG_INVALID", "Slack's Web API could not be reached to check SLACK_BOT_TOKEN.", {
      hint: "check the network, or SLACK_API_URL if it is set (it must be the Web API base, e.g. https://slack.com/api/)",
      cause,
      details: { unreachable: true },
    });
  }
  if (!res.user_id || !res.bot_id) {
    throw new CodexError(
      "CONFIG_INVALID",
      "SLACK_BOT_TOKEN is not a bot token: auth.test names no bot user.",
      {
        hint: "use the Bot User OAuth Token (xoxb-…), not a user token",
      },
    );
  }
  return { userId: res.user_id, botId: res.bot_id };
}

function listen(server: Server, port: number, host: string | undefined): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        new CodexError("CONFIG_INVALID", `cannot listen on PORT ${port}: ${err.code ?? err.message}`, {
          hint: "set PORT to a free port (0 picks one), or stop the process using it",
          cause: err,
        }),
      );
    });
    server.listen(port, host, () => resolve(server));
  });
}
