/**
 * The seed's activation steps on a fresh install (issue 8, point 3): `curl http://localhost:8000/heartbeat`
 * answers from this machine without a token while the relay listens on loopback only; a token, once
 * configured, is always required; bound beyond loopback, the guarded routes need one. The first heartbeat
 * is emitted when the loop starts, and /metrics never reads as healthy zeros before it.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type http from "node:http";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { relayBind } from "../../src/config/relayBind.ts";
import { createRelayServer } from "../../src/server/createRelayServer.ts";
import { checkBearer } from "../../src/server/relayToken.ts";
import { startHeadless } from "../../src/server/startHeadless.ts";
import { testApp } from "../helpers/testApp.ts";

const TOKEN = "a-relay-token-of-32-characters-00";

async function listen(server: http.Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: http.Server): Promise<void> {
  server.close();
  server.closeAllConnections();
  await once(server, "close");
}

test("the default bind is loopback, except in Slack's HTTP mode; MAOS_BIND wins and is validated", () => {
  const none = {
    MAOS_BIND: undefined,
    SLACK_BOT_TOKEN: undefined,
    SLACK_APP_TOKEN: undefined,
    SLACK_SIGNING_SECRET: undefined,
  };
  assert.deepEqual([relayBind(none).host, relayBind(none).loopback], ["127.0.0.1", true]);
  const http = relayBind({ ...none, SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s".repeat(32) });
  assert.deepEqual([http.host, http.loopback], ["0.0.0.0", false]);
  const socket = relayBind({
    ...none,
    SLACK_BOT_TOKEN: "xoxb-1",
    SLACK_APP_TOKEN: "xapp-1",
  });
  assert.equal(socket.host, "127.0.0.1", "Socket Mode needs no inbound connection");
  assert.equal(relayBind({ ...none, MAOS_BIND: "::1" }).loopback, true);
  assert.throws(
    () => testApp({ MAOS_BIND: "everywhere" }),
    /MAOS_BIND is set but malformed: use an IP address/,
  );
});

test("fresh install: GET /heartbeat and /status answer this machine without a token on a loopback bind", async () => {
  const t = testApp();
  const server = createRelayServer({ app: t.app });
  try {
    const base = await listen(server);
    const res = await fetch(`${base}/heartbeat`);
    assert.equal(res.status, 200);
    const beat = (await res.json()) as {
      status: string;
      seq: number;
      source: string;
      drift: { band: string };
    };
    assert.equal(beat.status, "ok");
    assert.equal(beat.source, "relay");
    assert.equal(t.app.ledger().query({ eventType: "HEARTBEAT" }).at(-1)?.seq, beat.seq);
    const status = await fetch(`${base}/status`);
    assert.equal(status.status, 200);
    assert.equal(((await status.json()) as { srr: { state: string } }).srr.state, "RUNNING");
  } finally {
    await close(server);
    await t.cleanup();
  }
});

test("a configured token is required even from this machine", async () => {
  const t = testApp({ MAOS_RELAY_TOKEN: TOKEN });
  const server = createRelayServer({ app: t.app });
  try {
    const base = await listen(server);
    const none = await fetch(`${base}/heartbeat`);
    assert.equal(none.status, 401);
    await none.body?.cancel();
    assert.equal(t.app.ledger().query({ eventType: "HEARTBEAT" }).length, 0, "refused: nothing written");
    const ok = await fetch(`${base}/heartbeat`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await close(server);
    await t.cleanup();
  }
});

test("bound beyond loopback with no token, the guarded routes stay closed and say how to open them", async () => {
  // The rule follows the configured bind; the test itself still listens on 127.0.0.1 only.
  const t = testApp({ MAOS_BIND: "0.0.0.0" });
  const server = createRelayServer({ app: t.app });
  try {
    const base = await listen(server);
    for (const route of ["/heartbeat", "/status"]) {
      const res = await fetch(`${base}${route}`);
      assert.equal(res.status, 503, route);
      const body = (await res.json()) as { error: string; hint: string };
      assert.equal(body.error, "relay_token_not_configured");
      assert.match(body.hint, /set MAOS_RELAY_TOKEN .*or listen on loopback only \(MAOS_BIND=127\.0\.0\.1\)/);
    }
    assert.equal((await fetch(`${base}/health`)).status, 200, "/health stays open");
    assert.equal(t.app.ledger().query({ eventType: "HEARTBEAT" }).length, 0);
  } finally {
    await close(server);
    await t.cleanup();
  }
});

test("a loopback-only server still refuses a token-less request that is not from loopback", () => {
  const from = (remoteAddress: string) =>
    ({ socket: { remoteAddress }, headers: {} }) as unknown as IncomingMessage;
  const token = { name: "MAOS_RELAY_TOKEN", value: undefined };
  assert.deepEqual(checkBearer(from("127.0.0.1"), token, { loopbackOpen: true }), {
    ok: true,
    via: "loopback",
  });
  assert.equal(checkBearer(from("::ffff:127.0.0.1"), token, { loopbackOpen: true }).ok, true);
  assert.equal(checkBearer(from("10.1.2.3"), token, { loopbackOpen: true }).ok, false);
  assert.equal(checkBearer(from("127.0.0.1"), token, { loopbackOpen: false }).ok, false);
  const short = checkBearer(
    from("127.0.0.1"),
    { name: "MAOS_RELAY_TOKEN", value: "short" },
    { loopbackOpen: true },
  );
  assert.deepEqual(short.ok ? undefined : [short.status, short.error], [503, "relay_token_too_short"]);
});

test("headless: the first heartbeat is emitted when the loop starts; /metrics shows no signal before it", async () => {
  const t = testApp({ PORT: "0" });
  const headless = await startHeadless(t.app);
  try {
    assert.match(headless.url, /^http:\/\/localhost:\d+$/);
    const base = headless.url.replace("localhost", "127.0.0.1");
    // Before the loop: no heartbeat, and no gauge that would read as a healthy 0.
    const before = await (await fetch(`${base}/metrics`)).text();
    assert.match(before, /^maos_telemetry_ready 0$/m);
    assert.match(before, /^maos_heartbeats_total 0$/m);
    for (const gauge of [
      "maos_drift_score",
      "maos_telemetry_faults",
      "maos_ledger_healthy",
      "maos_relay_up",
    ]) {
      assert.doesNotMatch(
        before,
        new RegExp(`^${gauge} `, "m"),
        `${gauge} is absent before the first heartbeat`,
      );
    }

    const kernel = t.app.autonomy();
    kernel.configure({ mode: "headless" });
    const startedAt = t.clock.now().toISOString();
    assert.equal(await kernel.startLoop(), true);
    await kernel.idle();
    // No clock advance: the beat happened at start.
    assert.equal(t.clock.now().toISOString(), startedAt);
    const beats = t.app.ledger().query({ eventType: "HEARTBEAT" });
    assert.equal(beats.length, 1);
    assert.equal(beats[0]?.timestampUtc, startedAt);
    assert.equal((beats[0]?.payload as { source?: string } | undefined)?.source, "schedule");
    const started = t.app.ledger().query({ eventType: "AUTONOMY_LOOP_STARTED" });
    assert.equal(started.length, 1);
    assert.ok(
      (started[0]?.seq ?? 0) < (beats[0]?.seq ?? 0),
      "the loop's start is recorded before its first beat",
    );
    assert.equal(
      (started[0]?.payload as { firstHeartbeatAt?: string } | undefined)?.firstHeartbeatAt,
      startedAt,
    );
    assert.equal(
      kernel.nextHeartbeatAt()?.getTime(),
      t.clock.now().getTime() + 60_000,
      "then one per interval",
    );

    const after = await (await fetch(`${base}/metrics`)).text();
    assert.match(after, /^maos_telemetry_ready 1$/m);
    assert.match(after, /^maos_heartbeats_total 1$/m);
    assert.match(after, /^maos_drift_score 0$/m);
    assert.match(after, /^maos_ledger_healthy 1$/m);
    await kernel.stopLoop();
  } finally {
    await headless.stop();
    await t.cleanup();
  }
});
