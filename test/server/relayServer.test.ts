import assert from "node:assert/strict";
import { once } from "node:events";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { localLedger } from "../../src/ledger/LedgerHandle.ts";
import { openNote, parseCheckpoint } from "../../src/ledger/signedNote.ts";
import { createRelayServer } from "../../src/server/createRelayServer.ts";
import { testApp } from "../helpers/testApp.ts";

const { app, cleanup } = testApp();
after(cleanup);

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

test("GET /health is ok, unknown routes are JSON 404s, and each start is one MCP_START", async () => {
  const claimed: string[] = [];
  const server = createRelayServer({
    app,
    extraHandler(req, res) {
      if (req.url !== "/slack/events") return false;
      claimed.push(req.method ?? "");
      res.writeHead(200, { "content-type": "text/plain" }).end("slack");
      return true;
    },
  });
  const base = await listen(server);
  try {
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    assert.match(health.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await health.json(), { status: "ok" });

    const starts = app.ledger().query({ eventType: "MCP_START" });
    assert.equal(starts.length, 1);
    const port = Number(new URL(base).port);
    assert.equal((starts[0]?.payload as { port?: number } | undefined)?.port, port);
    assert.equal(starts[0]?.actorIdentity, "system:maos-codex");

    const missing = await fetch(`${base}/nope?x=1`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: "not_found", path: "/nope" });

    const wrongMethod = await fetch(`${base}/health`, { method: "POST", body: "{}" });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "GET");
    await wrongMethod.body?.cancel();

    const slack = await fetch(`${base}/slack/events`, { method: "POST", body: "payload" });
    assert.equal(await slack.text(), "slack");
    assert.deepEqual(claimed, ["POST"]);
  } finally {
    await close(server);
  }

  // A restart is a new start.
  await listen(server);
  await close(server);
  // The start is queued in the listening callback; a checkpoint writes what is queued first.
  await app.ledger().checkpoint();
  assert.equal(app.ledger().query({ eventType: "MCP_START" }).length, 2);
});

test("GET /checkpoint is public and serves the latest signed note, which the ledger key verifies", async () => {
  const server = createRelayServer({ app });
  const base = await listen(server);
  try {
    localLedger(app.ledger()).appendSync({ eventType: "NOTE", actor: "test", correlationId: "cp" });
    const cp = await app.ledger().checkpoint();
    const res = await fetch(`${base}/checkpoint`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    const note = await res.text();
    assert.equal(note, cp.note);
    const opened = openNote(note, [app.ledgerKey().verifier]);
    assert.equal(parseCheckpoint(opened.text).size, cp.size);
  } finally {
    await close(server);
  }
});
