import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { sha256Hex } from "../../src/mcp/mcpClients.ts";
import { createRelayServer } from "../../src/server/createRelayServer.ts";
import { REPO, testApp } from "../helpers/testApp.ts";

const TOKEN = "conformance-client-token-0123456789";
const CLI = path.join(REPO, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const EXPECTED = path.join(import.meta.dirname, "conformance-expected-failures.yml");

/**
 * The conformance runner's client sends no credentials, so it talks to /mcp through this loopback hop
 * that adds the client's bearer token, as an MCP client configured with one would. Every other header
 * (Host and Origin included, which the DNS-rebinding scenario sets) passes through untouched.
 */
function authProxy(target: number): http.Server {
  return http.createServer((req, res) => {
    const up = http.request(
      {
        host: "127.0.0.1",
        port: target,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, authorization: `Bearer ${TOKEN}` },
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
}

test("@modelcontextprotocol/conformance: the active server suite passes, bar fixture-bound scenarios", async () => {
  const t = testApp({ MAOS_MCP_TOKENS: `conformance:${sha256Hex(TOKEN)}` });
  const server = createRelayServer({ app: t.app });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const proxy = authProxy((server.address() as AddressInfo).port);
  proxy.listen(0, "127.0.0.1");
  await once(proxy, "listening");
  const out = mkdtempSync(path.join(os.tmpdir(), "maos-conformance-"));
  try {
    const url = `http://localhost:${(proxy.address() as AddressInfo).port}/mcp`;
    const child = spawn(
      process.execPath,
      [CLI, "server", "--url", url, "--suite", "active", "--expected-failures", EXPECTED, "-o", out],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const [code] = (await once(child, "close")) as [number];
    assert.equal(code, 0, output.slice(-4000));
    assert.match(output, /Baseline check passed/);
  } finally {
    proxy.closeAllConnections();
    proxy.close();
    server.closeAllConnections();
    server.close();
    await t.cleanup();
    rmSync(out, { recursive: true, force: true });
  }
});
