import module from "node:module";
import { type App, createApp } from "./app/createApp.ts";
import { hostHeadless, hostShell } from "./app/hostAutonomy.ts";
import { prepareToServe } from "./app/prepareToServe.ts";
import { defaultRunWorkers } from "./app/WorkerRuns.ts";
import { commandApprovals } from "./approvals/commandApprovals.ts";
import { exitCodeFor } from "./cli/exitCode.ts";
import { loadDotEnv } from "./config/dotEnv.ts";
import { loadEnv } from "./config/loadEnv.ts";
import { relayBind } from "./config/relayBind.ts";
import { localActor } from "./core/Actor.ts";
import { isCodexError } from "./core/CodexError.ts";
import { loadNotionSecrets } from "./secrets/loadNotionSecrets.ts";
import { recordMcpStart, relayRequestHandler } from "./server/createRelayServer.ts";
import { relayRoutes } from "./server/relayRoutes.ts";
import { startHeadless } from "./server/startHeadless.ts";
import { ShellScreen } from "./shell/ShellScreen.ts";
import { shellLogger } from "./shell/shellLog.ts";
import { startShell } from "./shell/startShell.ts";
import { hostOnSlack } from "./slack/hostOnSlack.ts";

// Modules the bot loads later (the first heartbeat's, a command's) come type-stripped and compiled from
// Node's on-disk cache instead of compiling on the event loop; the CLI does the same (bin/maos.js).
module.enableCompileCache?.();

/** What `npm start` runs: Slack with a bot token, else the shell on a TTY, else headless. */

interface Running {
  stop(): Promise<void>;
}

/** Configuration mistakes exit 2, as the CLI's bad usage does (one list: exitCodeFor); anything else exits 1. */
function fail(err: unknown): never {
  if (isCodexError(err)) {
    process.stderr.write(`maos-codex: ${err.toUserText()}\n`);
    process.exit(exitCodeFor(err));
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`maos-codex: could not start: ${message}\n`);
  process.exit(1);
}

/**
 * Slack, with the relay routes (/health, …) served by the same HTTP server in HTTP mode. Bolt is
 * imported only here, so the shell and headless modes never load it.
 */
async function runOnSlack(app: App): Promise<Running> {
  const { startSlack } = await import("./slack/startSlack.ts");
  const routes = relayRoutes();
  const runtime = await startSlack(app, { routes: relayRequestHandler(app, routes) });
  if (runtime.port !== undefined) recordMcpStart(app, { address: null, port: runtime.port }, routes);
  // The autonomy loop runs beside Slack; its evidence goes to the charter's channels.
  await hostOnSlack(app, runtime);
  app.log.info({ mode: runtime.mode, port: runtime.port }, "MAOS Codex is running on Slack");
  return runtime;
}

async function main(): Promise<void> {
  let app: App;
  let screen: ShellScreen | undefined;
  let logWhere: string | undefined;
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  try {
    // .env in the working directory, when present; variables already set in the environment win.
    loadDotEnv();
    // Activation step 2, "Load Secrets": the Notion registry fills the environment (set variables win).
    const secretsLoad = await loadNotionSecrets({ source: process.env });
    if (secretsLoad.status === "failed") process.stderr.write(`maos-codex: warning: ${secretsLoad.detail}\n`);
    const env = loadEnv();
    // The shell: logs go to a file (or above the prompt with LOG_LEVEL), never inside `codex>`.
    if (!env.SLACK_BOT_TOKEN && interactive) {
      screen = new ShellScreen(process.stdout);
      const shellLog = shellLogger(env, screen);
      logWhere = shellLog.where;
      app = createApp({ env, log: shellLog.log });
    } else {
      // The bot (Slack, headless): runs execute on worker threads, so the acks never wait behind them.
      app = createApp({ env, runWorkers: defaultRunWorkers() });
    }
    // DATABASE_URL: the shared ledger, state and outbox; the bot fails at start if they cannot open.
    await app.connect();
    const settled = await app.reconcileRuns();
    if (settled.aborted.length > 0)
      app.log.warn({ runs: settled.aborted }, "marked runs a stopped process left open as aborted");
    if (settled.sealedLate.length > 0)
      app.log.warn(
        { runs: settled.sealedLate },
        "recorded the seals of runs a stopped process left unrecorded",
      );
    // Started now, not at the first run: loading the app's modules on a fresh thread takes a while.
    app.runExecutor().start();
    if (!screen) await prepareToServe(app);
  } catch (err) {
    fail(err);
  }

  let running: Running | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      // A second signal means "now".
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, "shutting down");
    try {
      await running?.stop();
      await app.close();
    } catch (err) {
      app.log.error({ err }, "shutdown was not clean");
      process.exit(1);
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    if (app.env.SLACK_BOT_TOKEN) {
      running = await runOnSlack(app);
    } else if (interactive) {
      // `/codex activate` in the shell starts the relay server and the autonomy loop in this process.
      let relay: Awaited<ReturnType<typeof startHeadless>> | undefined;
      const shellScreen = screen ?? new ShellScreen(process.stdout);
      hostShell(app, {
        // Evidence notices arrive on their own: printed above the prompt, never inside it.
        write: (text) => shellScreen.notice(text.replace(/^\n+/, "")),
        color: true,
        startRelay: async () => {
          relay ??= await startHeadless(app);
          return { port: Number(new URL(relay.url).port) };
        },
      });
      running = { stop: async () => relay?.stop() };
      // The same approvals service Slack uses, so typed approvals are checked and recorded the same way.
      await startShell({
        app,
        input: process.stdin,
        output: process.stdout,
        actor: localActor("shell"),
        approvals: commandApprovals(app.approvals()),
        screen: shellScreen,
        ...(logWhere ? { logs: logWhere } : {}),
      });
      await app.autonomy().stopLoop();
      await running.stop();
      await app.close();
      process.exit(0);
    } else {
      const headless = await startHeadless(app);
      running = headless;
      await hostHeadless(app);
      const bind = relayBind(app.env);
      app.log.info(
        { url: headless.url, bind: bind.host, heartbeatSeconds: app.charter().schedules.heartbeatSeconds },
        `MAOS Codex is running headless: relay server at ${headless.url} (${bind.loopback ? "this machine only" : `on ${bind.host}`}), ${app.env.DATABASE_URL ? "autonomy loop on the elected leader replica" : "autonomy loop started"}`,
      );
    }
  } catch (err) {
    await app.close();
    fail(err);
  }
}

await main();
