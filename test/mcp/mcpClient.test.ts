import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { sha256Hex } from "../../src/mcp/mcpClients.ts";
import { createRelayServer } from "../../src/server/createRelayServer.ts";
import { REPO, type TestApp, testApp } from "../helpers/testApp.ts";

const TOKEN = "test-token-for-cursor-0123456789";
const OTHER = "test-token-for-viewer-0123456789";

type Content = { type: string; text?: string }[];
const textOf = (r: object) =>
  (((r as { content?: unknown }).content ?? []) as Content).map((c) => c.text ?? "").join("\n");

describe("MCP over Streamable HTTP, driven by the SDK's own Client", () => {
  let t: TestApp;
  let url: string;
  let server: ReturnType<typeof createRelayServer>;

  before(async () => {
    t = testApp({
      MAOS_MCP_TOKENS: `cursor:${sha256Hex(TOKEN)},viewer:${sha256Hex(OTHER)}`,
      MAOS_ROLES: "operator=mcp:cursor",
    });
    server = createRelayServer({ app: t.app });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
    await t.cleanup();
  });

  const connect = async (token: string) => {
    const client = new Client({ name: "mcp-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return client;
  };

  test("the relay records MCP_START with /mcp among its routes", () => {
    const [start] = t.app.ledger().query({ eventType: "MCP_START" });
    assert.ok(start);
    assert.ok((start.payload as { routes: string[] }).routes.includes("POST /mcp"));
  });

  test("no token: 401 with WWW-Authenticate naming the RFC 9728 metadata, which answers", async () => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    assert.equal(res.status, 401);
    const challenge = res.headers.get("www-authenticate") ?? "";
    const prm = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    assert.ok(prm?.endsWith("/.well-known/oauth-protected-resource/mcp"), challenge);
    const doc = (await (await fetch(prm as string)).json()) as {
      resource: string;
      bearer_methods_supported: string[];
    };
    assert.equal(doc.resource, url);
    assert.deepEqual(doc.bearer_methods_supported, ["header"]);
    const bad = await fetch(url, {
      method: "POST",
      headers: { authorization: "Bearer wrong-token-0123456789" },
      body: "{}",
    });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
  });

  test("a foreign Host or Origin is refused (DNS-rebinding protection)", async () => {
    const port = new URL(url).port;
    const { request } = await import("node:http");
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/mcp", method: "POST", headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end("{}");
      });
    assert.equal(await status({ host: `evil.example.com:${port}`, authorization: `Bearer ${TOKEN}` }), 403);
    assert.equal(
      await status({
        host: `127.0.0.1:${port}`,
        origin: "http://evil.example.com",
        authorization: `Bearer ${TOKEN}`,
      }),
      403,
    );
  });

  test("lists tools, runs a stack with progress, reads a resource, gets a refusal; the ledger records each", async () => {
    const client = await connect(TOKEN);
    const tools = (await client.listTools()).tools.map((x) => x.name);
    for (const name of [
      "run_stack",
      "list_stacks",
      "status",
      "ledger_tail",
      "ledger_verify",
      "ledger_proof",
      "memory_search",
      "stop",
      "resume",
    ])
      assert.ok(tools.includes(name), `${name} in ${tools.join(", ")}`);
    assert.ok(!tools.includes("seal"), "seal needs approver: not listed for cursor");

    const progress: string[] = [];
    const run = await client.callTool(
      {
        name: "run_stack",
        arguments: { stack: "marketing_ops", inputs: { event: "Midwest Builders Expo" } },
      },
      undefined,
      { onprogress: (p) => progress.push(p.message ?? "") },
    );
    assert.equal(run.isError, undefined, textOf(run));
    const summary = run.structuredContent as { status: string; runId: string; vault: { path: string } };
    assert.equal(summary.status, "completed");
    assert.ok(
      progress.some((m) => m.startsWith("started marketing_ops")),
      progress.join(" | "),
    );
    assert.ok(
      progress.some((m) => / done /.test(` ${m} `)),
      progress.join(" | "),
    );

    const charter = await client.readResource({ uri: "maos://charter" });
    assert.match((charter.contents[0] as { text: string }).text, /permissions:/);
    const entry = await client.readResource({ uri: "maos://ledger/entries/0" });
    assert.match((entry.contents[0] as { text: string }).text, /"event_type":"GENESIS"|"seq":0/);
    const checkpoint = await client.readResource({ uri: "maos://ledger/checkpoint" });
    assert.match((checkpoint.contents[0] as { text: string }).text, /maos-codex\/ledger/);

    const search = await client.callTool({
      name: "memory_search",
      arguments: { query: "marketing campaign" },
    });
    const hits = (search.structuredContent as { hits: { seq: number }[] }).hits;
    assert.ok(hits.length > 0 && hits.every((h) => Number.isInteger(h.seq)), textOf(search));

    const proof = await client.callTool({ name: "ledger_proof", arguments: { kind: "inclusion", seq: 3 } });
    assert.equal(proof.isError, undefined, textOf(proof));
    await client.close();

    const viewer = await connect(OTHER);
    const refused = await viewer.callTool({ name: "incident_list", arguments: {} });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /needs the operator or approver role; mcp:mcp:viewer does not hold it/);
    await viewer.close();

    const requests = t.app.ledger().query({ eventType: "MCP_REQUEST" });
    const byTool = (name: string) => requests.filter((e) => (e.payload as { tool?: string }).tool === name);
    assert.equal((byTool("run_stack")[0]?.payload as { outcome?: string } | undefined)?.outcome, "ok");
    assert.equal(byTool("run_stack")[0]?.actorIdentity, "mcp:mcp:cursor");
    assert.equal(
      (byTool("incident_list")[0]?.payload as { outcome?: string } | undefined)?.outcome,
      "refused",
    );
    const refusal = t.app.ledger().query({ eventType: "GOVERNANCE_REFUSAL" }).at(-1);
    assert.equal((refusal?.payload as { tool?: string } | undefined)?.tool, "incident_list");
    assert.equal(refusal?.actorIdentity, "mcp:mcp:viewer");
  });

  test("run_stack is refused while STOP–RESET–REALIGN holds", async () => {
    const client = await connect(TOKEN);
    const stop = await client.callTool({
      name: "stop",
      arguments: { reason: "drill: MCP refusal while halted" },
    });
    assert.equal(stop.isError, undefined, textOf(stop));
    const run = await client.callTool({
      name: "run_stack",
      arguments: { stack: "marketing_ops", inputs: { event: "Midwest Builders Expo" } },
    });
    assert.equal(run.isError, true);
    assert.match(textOf(run), /runs are paused: STOP–RESET–REALIGN/);
    const last = t.app.ledger().query({ eventType: "GOVERNANCE_REFUSAL" }).at(-1);
    assert.equal((last?.payload as { tool?: string } | undefined)?.tool, "run_stack");
    await client.close();
  });
});

test("MCP over stdio: `maos mcp` answers the SDK client, logs stay off stdout", async () => {
  const t = testApp();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(REPO, "bin/maos.js"), "mcp"],
    env: {
      ...(process.env as Record<string, string>),
      MAOS_HOME: t.home,
      MAOS_STACKS: path.join(REPO, "stacks"),
      MAOS_CHARTER: path.join(REPO, "charter.yml"),
      LOG_LEVEL: "info",
    },
    stderr: "pipe",
  });
  const client = new Client({ name: "stdio-test", version: "1.0.0" });
  try {
    await client.connect(transport);
    const tools = (await client.listTools()).tools.map((x) => x.name);
    assert.ok(tools.includes("run_stack"));
    const run = await client.callTool({
      name: "run_stack",
      arguments: { stack: "marketing_ops", inputs: { event: "Midwest Builders Expo" } },
    });
    assert.equal((run.structuredContent as { status: string }).status, "completed", textOf(run));
    const stacks = await client.readResource({ uri: "maos://stacks/field_estimator" });
    assert.match((stacks.contents[0] as { text: string }).text, /agents:/);
    const refused = await client.callTool({ name: "incident_list", arguments: {} });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /refused: tool incident_list/);
    const prompt = await client.getPrompt({ name: "audit_run", arguments: { stack: "marketing_ops" } });
    assert.match(JSON.stringify(prompt.messages), /Audit run/);
    const done = await client.complete({
      ref: { type: "ref/prompt", name: "audit_run" },
      argument: { name: "stack", value: "mark" },
    });
    assert.deepEqual(done.completion.values, ["marketing_ops"]);
  } finally {
    await client.close();
    await t.cleanup();
  }
});
