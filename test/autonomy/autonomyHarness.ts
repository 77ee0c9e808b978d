/**
 * A real app with the autonomy kernel on a temp MAOS_HOME and copies of the charter fixture and the
 * shipped stacks (so tests may edit them), a ManualClock that only jumps for short waits (backoff,
 * Slack pacing) while heartbeats wait for the test, and optionally the Slack surface in HTTP mode
 * against the fake Slack, with the relay routes on the same server.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { type App, createApp } from "../../src/app/createApp.ts";
import { hostHeadless } from "../../src/app/hostAutonomy.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { recordMcpStart, relayRequestHandler } from "../../src/server/createRelayServer.ts";
import { relayRoutes } from "../../src/server/relayRoutes.ts";
import { hostOnSlack } from "../../src/slack/hostOnSlack.ts";
import { type SlackRuntime, startSlack } from "../../src/slack/startSlack.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slackWebApi.ts";
import { REPO } from "../helpers/testApp.ts";
import { BOT_TOKEN, SIGNING_SECRET, sign } from "../slack/slackTestKit.ts";

export const RELAY_TOKEN = "relay-token-for-the-autonomy-tests";
export const START = "2026-11-21T15:00:00.000Z";

export interface AutonomyHarness {
  app: App;
  clock: ManualClock;
  home: string;
  /** The copies MAOS_CHARTER and MAOS_STACKS point at. */
  charterFile: string;
  stacksDir: string;
  slack?: FakeSlack;
  runtime?: SlackRuntime;
  base?: string;
  /** Advances the clock to the next scheduled heartbeat and waits for it (and Slack's work) to finish. */
  beat(): Promise<void>;
  /** POSTs a signed body to /slack/events. */
  post(body: string, json?: boolean): Promise<Response>;
  idle(): Promise<void>;
  ledgerVerifies(): { ok: boolean; firstBad?: { seq: number; reason: string } };
  close(): Promise<void>;
}

export async function startAutonomyHarness(
  opts: {
    slack?: boolean;
    /** Headless by default; "none" leaves the kernel in its CLI mode for the test to host (the shell). */
    host?: "headless" | "none";
    env?: Record<string, string>;
    random?: () => number;
    /** Rewrites the charter copy before the app reads it. */
    charter?: (yaml: string) => string;
  } = {},
): Promise<AutonomyHarness> {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-autonomy-"));
  const config = path.join(home, "config");
  const charterFile = path.join(config, "charter.yml");
  const stacksDir = path.join(config, "stacks");
  cpSync(path.join(REPO, "test/fixtures/autonomy/charter.yml"), charterFile);
  cpSync(path.join(REPO, "stacks"), stacksDir, { recursive: true });
  if (opts.charter) writeFileSync(charterFile, opts.charter(readFileSync(charterFile, "utf8")));
  // Below the 10 s provider-probe timeout, so a probe over loopback is never timed out by a jump.
  const clock = new ManualClock(START, { autoAdvance: true, autoAdvanceMaxMs: 5_000 });
  const slack = opts.slack ? await startFakeSlack({ token: BOT_TOKEN }) : undefined;
  const env = loadEnv(
    {
      MAOS_HOME: path.join(home, "data"),
      MAOS_CHARTER: charterFile,
      MAOS_STACKS: stacksDir,
      PORT: "0",
      LOG_LEVEL: "silent",
      MAOS_RELAY_TOKEN: RELAY_TOKEN,
      ...(slack
        ? { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.url }
        : {}),
      ...opts.env,
    },
    REPO,
  );
  const app = createApp({
    env,
    clock,
    log: createLogger({ level: "silent" }),
    random: opts.random ?? (() => 0),
  });
  let runtime: SlackRuntime | undefined;
  let base: string | undefined;
  try {
    if (slack) {
      const routes = relayRoutes();
      runtime = await startSlack(app, { clock, host: "127.0.0.1", routes: relayRequestHandler(app, routes) });
      recordMcpStart(app, { address: "127.0.0.1", port: runtime.port ?? null }, routes);
      base = `http://127.0.0.1:${runtime.port}`;
      await hostOnSlack(app, runtime);
    } else if (opts.host !== "none") {
      await hostHeadless(app);
    }
  } catch (err) {
    // Leave no server behind: an open socket would keep the test process alive after the failure.
    await runtime?.stop().catch(() => undefined);
    await app.close().catch(() => undefined);
    await slack?.close();
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
  const kernel = app.autonomy();
  const idle = async () => {
    await runtime?.slack.idle();
    await kernel.idle();
    await runtime?.slack.idle();
  };
  return {
    app,
    clock,
    home,
    charterFile,
    stacksDir,
    ...(slack ? { slack } : {}),
    ...(runtime ? { runtime } : {}),
    ...(base ? { base } : {}),
    async beat() {
      const next = kernel.nextHeartbeatAt();
      if (!next) throw new Error("the autonomy loop is not running");
      await clock.advance(Math.max(0, next.getTime() - clock.now().getTime()));
      await idle();
    },
    post(body, json = false) {
      const ts = String(Math.floor(clock.now().getTime() / 1000));
      return fetch(`${base}/slack/events`, {
        method: "POST",
        headers: {
          "content-type": json ? "application/json" : "application/x-www-form-urlencoded",
          "x-slack-request-timestamp": ts,
          "x-slack-signature": sign(SIGNING_SECRET, ts, body),
        },
        body,
      });
    },
    idle,
    ledgerVerifies() {
      const r = verifyLedger({ path: app.ledgerPath(), verifierKey: app.ledgerKey().verifierKey });
      return { ok: r.ok, ...(r.firstBad ? { firstBad: r.firstBad } : {}) };
    },
    async close() {
      await runtime?.stop();
      await app.close();
      await slack?.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Edits one ledger row's canonical bytes the way an attacker with file access would (the append-only
 * triggers dropped first); returns a function that puts the row and the triggers back.
 */
export function tamperLedgerRow(file: string, seq: number, edit: (canonical: string) => string): () => void {
  const db = new Database(file);
  const triggers = db
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger'")
    .pluck()
    .all() as string[];
  const original = db.prepare("SELECT canonical FROM ledger WHERE seq = ?").pluck().get(seq) as string;
  db.exec("DROP TRIGGER IF EXISTS ledger_no_update; DROP TRIGGER IF EXISTS ledger_no_delete;");
  db.prepare("UPDATE ledger SET canonical = ? WHERE seq = ?").run(edit(original), seq);
  db.close();
  return () => {
    const restore = new Database(file);
    restore.prepare("UPDATE ledger SET canonical = ? WHERE seq = ?").run(original, seq);
    for (const sql of triggers) restore.exec(sql);
    restore.close();
  };
}
