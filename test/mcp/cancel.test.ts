import assert from "node:assert/strict";
import { test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createMcpServer } from "../../src/mcp/createMcpServer.ts";
import { startFakeOpenAI } from "../fakes/openaiServer.ts";
import { testApp } from "../helpers/testApp.ts";

test("a client's cancellation of run_stack stops the run before its next agent, and the ledger says so", async () => {
  const fake = await startFakeOpenAI();
  const t = testApp({
    MAOS_PRIME: "openai:gpt-4o-mini",
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: "sk-fake-cancel-key-00000000000000",
  });
  let release = () => {};
  fake.script([{ gate: new Promise<void>((r) => (release = r)) }]);
  const handle = createMcpServer(t.app, {
    actor: { source: "mcp", id: "local:tester" },
    client: "stdio",
    transport: "stdio",
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "cancel-test", version: "1.0.0" });
  try {
    await handle.server.connect(serverSide);
    await client.connect(clientSide);
    const ac = new AbortController();
    const call = client
      .callTool(
        { name: "run_stack", arguments: { stack: "marketing_ops", inputs: { event: "Expo" } } },
        undefined,
        { signal: ac.signal },
      )
      .then(
        () => "answered",
        () => "aborted",
      );
    await fake.waitForRequests(1); // the first agent is waiting on the model
    ac.abort("the operator changed their mind");
    assert.equal(await call, "aborted");
    await client.ping(); // messages are ordered: the server has seen the cancellation
    release();
    await handle.idle();

    const cancelled = t.app.ledger().query({ eventType: "RUN_CANCELLED" });
    assert.equal(cancelled.length, 1);
    assert.match(JSON.stringify(cancelled[0]?.payload), /the operator changed their mind/);
    // One cancellation model for every adapter (issue 12's): the run ends in RUN_CANCELLED, not RUN_FAILED.
    assert.equal(t.app.ledger().query({ eventType: "RUN_FAILED" }).length, 0);
    assert.equal(
      t.app.ledger().query({ eventType: "RUN_SEALED" }).length,
      1,
      "a cancelled run is sealed too",
    );
    const request = t.app
      .ledger()
      .query({ eventType: "MCP_REQUEST" })
      .find((e) => (e.payload as { tool?: string }).tool === "run_stack");
    assert.equal((request?.payload as { outcome?: string } | undefined)?.outcome, "cancelled");
    assert.equal(
      fake.requests.filter((r) => r.path === "/v1/chat/completions").length,
      1,
      "no agent after the cancel",
    );
  } finally {
    await client.close();
    await handle.close();
    await t.cleanup();
    await fake.close();
  }
});
