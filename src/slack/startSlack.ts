import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { webApi } from "@slack/bolt";
import { dispatch as defaultDispatch } from "../../commands/dispatch.ts";
import type { App } from "../app/createApp.ts";
import type { ApprovalService } from "../approvals/ApprovalService.ts";
import { relayBind } from "../config/relayBind.ts";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import type { StateStore } from "../state/StateStore.ts";
import { createSlackApp, type Dispatch, type RouteHandler, type SlackApp } from "./createSlackApp.ts";
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
  state?: StateStore;
}

export interface SlackRuntime {
  mode: SlackMode["kind"];
  /** The HTTP port (HTTP mode, or Socket Mode with routes). */
  port?: number;
  approvals: ApprovalService;
  state: StateStore;
  slack: SlackApp;
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
  const bot = await authTest(
    new webApi.WebClient(mode.botToken, { ...clientOptions, logLevel: webApi.LogLevel.ERROR }),
  );

  const state = opts.state ?? app.state();
  const approvals = app.approvals();
  const slack: SlackApp = createSlackApp({
    app,
    dispatch: opts.dispatch ?? defaultDispatch,
    state,
    approvals,
    mode,
    bot,
    clock,
    extraRoles,
    clientOptions,
    ...(opts.routes ? { routes: opts.routes } : {}),
  });
  approvals.useActorResolver((id) => slack.directory.actor(id));
  const s = slack;

  const host = opts.host ?? relayBind(app.env).host;
  let server: Server | undefined;
  if (s.requestListener) {
    server = await listen(createServer(s.requestListener), app.env.PORT, host);
  } else {
    await s.bolt.start();
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
  }
  const port = server ? (server.address() as AddressInfo).port : undefined;
  app.log.info({ mode: mode.kind, port, botUserId: bot.userId }, "Slack is live");

  let stopped = false;
  return {
    mode: mode.kind,
    ...(port === undefined ? {} : { port }),
    approvals,
    state,
    slack: s,
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
      if (mode.kind === "socket") await s.bolt.stop();
      await s.idle();
    },
  };
}

async function authTest(client: webApi.WebClient): Promise<{ userId: string; botId: string }> {
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
