import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type App, createApp } from "../../src/app/createApp.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";
import { type SlackRuntime, startSlack } from "../../src/slack/startSlack.ts";
import { readSlackConnection } from "../../src/state/slackConnection.ts";
import { startFakeSocketMode } from "../fakes/slackSocketMode.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slackWebApi.ts";
import { BOT_TOKEN, healthRoute, socketCommand, TEST_CHARTER } from "./slackTestKit.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const APP_TOKEN = "xapp-1-A0MAOS-1-fakeapptoken";
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function socketApp(apiUrl: string, clock: ManualClock): App {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-socket-"));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const env = loadEnv(
    {
      MAOS_HOME: home,
      MAOS_CHARTER: TEST_CHARTER,
      MAOS_STACKS: path.join(root, "stacks"),
      PORT: "0",
      LOG_LEVEL: "silent",
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: apiUrl,
    },
    root,
  );
  return createApp({ env, clock, log: createLogger({ level: "silent" }) });
}

/** Resolves once the supervisor's status satisfies `ok` (it changes on every attempt). */
async function until(runtime: SlackRuntime, ok: (s: SlackRuntime["socket"]) => boolean): Promise<void> {
  const socket = runtime.socket;
  assert.ok(socket, "Socket Mode has a supervisor");
  while (!ok(socket)) await socket.changed();
}

describe("Socket Mode end to end over loopback", () => {
  let slack: FakeSlack;

  test("connects through SLACK_API_URL, acks a slash command by envelope_id, runs it, and reconnects after a drop", async () => {
    slack = await startFakeSlack({ token: BOT_TOKEN, appToken: APP_TOKEN });
    cleanups.push(() => slack.close());
    const socketMode = await startFakeSocketMode(slack);
    cleanups.push(() => socketMode.close());
    const clock = new ManualClock("2026-11-21T15:00:00.000Z");
    const app = socketApp(slack.url, clock);
    cleanups.push(() => app.close());
    const runtime = await startSlack(app, { clock, host: "127.0.0.1", routes: healthRoute });
    cleanups.push(() => runtime.stop());

    await socketMode.connected(1);
    await until(runtime, (s) => s?.status.state === "connected");
    assert.equal(socketMode.opens, 1, "apps.connections.open went to the fake, with the app token");
    const open = slack.callsTo("apps.connections.open")[0];
    assert.equal(open?.headers.authorization, `Bearer ${APP_TOKEN}`);
    assert.equal(
      (await readSlackConnection(app.state()))?.state,
      "connected",
      "status reads it from state.db",
    );
    const health = await fetch(`http://127.0.0.1:${runtime.port}/health`);
    assert.equal(health.status, 200, "the relay routes are served beside the socket");

    const ack = await socketMode.slashCommand(socketCommand("run marketing_ops event=Socket"));
    assert.match(ack.envelope_id, /^env-\d+-slash_commands$/);
    await runtime.slack.idle();
    const parent = slack.messages.find((m) => m.channel === "C0SOCK" && !m.threadTs);
    assert.ok(parent, "the run's parent message was posted through the Web API");
    assert.match(JSON.stringify(parent.blocks), /sealed in commit/);
    assert.ok(
      slack.messages.some((m) => m.threadTs === parent.ts),
      "and the result in its thread",
    );
    assert.equal(app.ledger().query({ eventType: "RUN_COMPLETED" }).length, 1);

    // The socket drops: the supervisor reconnects (a new apps.connections.open, a new hello).
    socketMode.drop();
    await socketMode.connected(2);
    await until(runtime, (s) => s?.status.state === "connected" && s.connections === 2);
    assert.equal(socketMode.opens, 2, "a fresh URL for the reconnection");
    const again = await socketMode.slashCommand(socketCommand("help"));
    assert.ok(again.envelope_id, "commands are acked on the new socket");
    await runtime.slack.idle();
    assert.ok(slack.callsTo("chat.postEphemeral").length >= 1, "help answered after the reconnect");
  });

  test("an unreachable Web API neither hangs start-up nor hides: the relay serves, status and /metrics say why", async () => {
    // A port that was free a moment ago: connection refused, like a network without Slack.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const apiUrl = `http://127.0.0.1:${port}/api/`;
    const clock = new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvance: false });
    const app = socketApp(apiUrl, clock);
    cleanups.push(() => app.close());
    const { relayRoutes } = await import("../../src/server/relayRoutes.ts");
    const { relayRequestHandler } = await import("../../src/server/createRelayServer.ts");
    const runtime = await startSlack(app, {
      clock,
      host: "127.0.0.1",
      routes: relayRequestHandler(app, relayRoutes()),
    });
    cleanups.push(() => runtime.stop());

    const health = await fetch(`http://127.0.0.1:${runtime.port}/health`);
    assert.equal(health.status, 200, "/health is up although Slack is not");
    await until(runtime, (s) => (s?.status.failures ?? 0) >= 1);
    const status = await readSlackConnection(app.state());
    assert.equal(status?.state, "disconnected");
    assert.ok(status?.lastError?.includes(apiUrl), `the URL is named: ${status?.lastError}`);
    assert.match(status?.lastError ?? "", /check the network/);

    const metrics = await (await fetch(`http://127.0.0.1:${runtime.port}/metrics`)).text();
    assert.match(metrics, /^maos_slack_connected 0$/m);
    assert.match(metrics, /^maos_slack_connect_failures_total [1-9]/m);

    const { statusReply } = await import("../../commands/status.ts");
    const reply = JSON.stringify(await statusReply(app));
    assert.match(reply, /Socket Mode, disconnected/);
  });
});
