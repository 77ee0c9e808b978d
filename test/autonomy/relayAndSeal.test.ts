import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { dispatch } from "../../commands/dispatch.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { evidenceRecords } from "../../src/relays/evidenceRecord.ts";
import { createRelayServer } from "../../src/server/createRelayServer.ts";
import { type AutonomyHarness, RELAY_TOKEN, startAutonomyHarness } from "./autonomyHarness.ts";

/**
 * A strict reader of the Prometheus text exposition format (0.0.4): every line is a comment
 * (# HELP name text / # TYPE name type) or a sample `name{label="value",…} number`, every sample's
 * family has a TYPE declared before it, and label values are properly escaped.
 */
function parsePrometheus(
  text: string,
): Map<string, { type: string; samples: { labels: string; value: number }[] }> {
  const families = new Map<string, { type: string; samples: { labels: string; value: number }[] }>();
  const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const LABELS = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\["\\\\n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\["\\\\n])*")*,?)?\\}`;
  const VALUE = "(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?Inf|NaN)";
  const sample = new RegExp(`^(${NAME})(${LABELS})?\\s+(${VALUE})(?:\\s+-?\\d+)?$`);
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  for (const [i, line] of text.slice(0, -1).split("\n").entries()) {
    if (line === "") continue;
    const help = new RegExp(`^# HELP (${NAME}) .*$`).exec(line);
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (help) continue;
    if (type) {
      assert.ok(!families.has(type[1] as string), `line ${i + 1}: TYPE declared twice for ${type[1]}`);
      families.set(type[1] as string, { type: type[2] as string, samples: [] });
      continue;
    }
    assert.ok(!line.startsWith("#"), `line ${i + 1}: unknown comment ${line}`);
    const m = sample.exec(line);
    assert.ok(m, `line ${i + 1} is not a valid sample: ${JSON.stringify(line)}`);
    const name = m[1] as string;
    const family = families.get(name) ?? families.get(name.replace(/_(total|sum|count|bucket)$/, ""));
    assert.ok(family, `line ${i + 1}: sample ${name} has no TYPE before it`);
    family.samples.push({ labels: m[2] ?? "", value: Number(m[3]) });
  }
  return families;
}

const operator: Actor = { source: "shell", id: "local:olive" };
const approver: Actor = { source: "shell", id: "local:abe" };

describe("the relay server over real HTTP, and MVP seal v0", () => {
  let h: AutonomyHarness;
  let server: Server;
  let base: string;
  before(async () => {
    h = await startAutonomyHarness();
    server = createRelayServer({ app: h.app });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await h.close();
  });
  const auth = { authorization: `Bearer ${RELAY_TOKEN}` };

  test("GET /health answers ok and the ledger records MCP_START", async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
    const start = h.app.ledger().query({ eventType: "MCP_START" });
    assert.equal(start.length, 1);
    assert.ok((start[0]?.payload as { routes?: string[] } | undefined)?.routes?.includes("GET /heartbeat"));
  });

  test("GET /heartbeat needs the bearer token, then writes the ledger and answers the heartbeat JSON", async () => {
    const before = h.app.ledger().query({ eventType: "HEARTBEAT" }).length;
    const none = await fetch(`${base}/heartbeat`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
    const wrong = await fetch(`${base}/heartbeat`, {
      headers: { authorization: "Bearer not-the-token-at-all-0000" },
    });
    assert.equal(wrong.status, 401);
    assert.equal(h.app.ledger().query({ eventType: "HEARTBEAT" }).length, before, "refused: nothing written");

    const res = await fetch(`${base}/heartbeat`, { headers: auth });
    assert.equal(res.status, 200);
    const beat = (await res.json()) as {
      status: string;
      seq: number;
      source: string;
      srr: string;
      drift: { score: number; band: string; components: unknown[] };
      signals: Record<string, unknown>;
      relays: { ledger: number };
    };
    assert.equal(beat.status, "ok");
    assert.equal(beat.source, "relay");
    assert.equal(beat.srr, "RUNNING");
    assert.equal(beat.drift.band, "green");
    for (const signal of [
      "heartbeatAgeSeconds",
      "load",
      "drift",
      "agents",
      "governance",
      "sealAlignment",
      "ledger",
      "relay",
    ]) {
      assert.ok(signal in beat.signals, signal);
    }
    assert.equal((beat.signals.relay as { online: boolean }).online, true);
    const entry = h.app.ledger().query({ eventType: "HEARTBEAT" }).at(-1);
    assert.equal(entry?.seq, beat.seq);
    assert.equal(beat.relays.ledger, beat.seq);
  });

  test("GET /status needs the token and returns the full state", async () => {
    assert.equal((await fetch(`${base}/status`)).status, 401);
    const res = await fetch(`${base}/status`, { headers: auth });
    assert.equal(res.status, 200);
    const s = (await res.json()) as Record<string, { state?: string; running?: boolean; seq?: number }>;
    assert.equal(s.srr?.state, "RUNNING");
    assert.equal(s.loop?.running, true);
    assert.ok(typeof s.lastHeartbeat?.seq === "number");
    for (const k of ["drift", "relay", "incidents", "seal", "governance", "ledger"]) assert.ok(k in s, k);
  });

  test("GET /metrics is open and parses as Prometheus text with every telemetry signal", async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(await res.text());
    for (const name of [
      "maos_heartbeat_age_seconds",
      "maos_load_index",
      "maos_drift_score",
      "maos_drift_component_points",
      "maos_provider_attempts",
      "maos_governance_compliant",
      "maos_seal_aligned",
      "maos_ledger_healthy",
      "maos_relay_uptime_seconds",
      "maos_heartbeats_total",
    ]) {
      assert.ok(families.has(name), name);
    }
    assert.equal(families.get("maos_heartbeats_total")?.type, "counter");
    assert.equal(families.get("maos_ledger_healthy")?.samples[0]?.value, 1);
    assert.equal(families.get("maos_drift_component_points")?.samples.length, 7);
  });

  test("seal v0 is refused with every failing condition, then granted after 3 green cycles", async () => {
    const refused = await dispatch("seal v0", { app: h.app, actor: approver });
    assert.equal(refused.isError, true);
    const why = replyToText(refused);
    assert.match(why, /MVP v0 seal refused/);
    // The loop's own first heartbeat at start, and the one GET /heartbeat emitted (issue 8: the first
    // heartbeat is emitted at start, not one interval later).
    assert.match(why, /drift_green_3_cycles: only 2 heartbeat/);
    assert.doesNotMatch(why, /❌ relay_online/, "the relay is online");
    assert.match(why, /passing: relay_online, memory_online/);
    const refusal = h.app.ledger().query({ eventType: "SEAL_REFUSED" }).at(-1)?.payload as {
      failing: { condition: string }[];
    };
    assert.deepEqual(
      refusal.failing.map((f) => f.condition),
      ["drift_green_3_cycles"],
    );

    for (let i = 0; i < 3; i++) await h.beat();
    const granted = await dispatch("seal v0", { app: h.app, actor: approver });
    assert.equal(granted.isError, undefined, replyToText(granted));
    assert.match(replyToText(granted), /MVP V0 SEALED: FIRST LIVE IGNITION/);

    const sealed = h.app.ledger().query({ eventType: "SEAL_CREATED" });
    assert.equal(sealed.length, 1);
    const p = sealed[0]?.payload as { commit: string; file: string; hashes: Record<string, string> };
    assert.equal(sealed[0]?.sealVersion, "MVP_v0");
    assert.equal(p.file, "MVP_v0_SEAL.md");
    // The confirmation was published with SEAL_CREATED itself (no sink here: noted, with the reason).
    assert.deepEqual(
      evidenceRecords(sealed[0]).map((r) => [r.kind, r.sinks]),
      [["seal", []]],
    );
    const vault = path.join(h.app.home, "vault");
    const tracked = execFileSync("git", ["-C", vault, "ls-tree", "--name-only", p.commit], {
      encoding: "utf8",
    });
    assert.match(tracked, /^MVP_v0_SEAL\.md$/m, "MVP_v0_SEAL.md is committed");
    const doc = execFileSync("git", ["-C", vault, "show", `${p.commit}:MVP_v0_SEAL.md`], {
      encoding: "utf8",
    });
    assert.match(doc, /# MVP v0 SEAL/);
    assert.match(doc, /charter:charter\.yml \| `[0-9a-f]{64}`/);
    assert.match(doc, /stack:marketing_ops\.yaml/);
    assert.match(doc, /manifest:manifest\.yml/);
    assert.match(
      doc,
      /^maos-codex-test\/ledger\n\d+\n\S+=\n\n— maos-codex-test \S+$/m,
      "the signed checkpoint note",
    );
    const checkpoint = h.app.ledger().query({ eventType: "LEDGER_CHECKPOINT" }).at(-1);
    assert.equal((checkpoint?.payload as { sealSeq?: number } | undefined)?.sealSeq, sealed[0]?.seq);
    assert.equal(h.ledgerVerifies().ok, true);

    // Seal alignment is now measured against that record.
    await h.beat();
    const beat = h.app.ledger().query({ eventType: "HEARTBEAT" }).at(-1)?.payload as {
      sealAlignment: { sealVersion: string; aligned: boolean };
    };
    assert.deepEqual(beat.sealAlignment, { sealVersion: "v0", aligned: true, changes: [] });
    const status = replyToText(await dispatch("status", { app: h.app, actor: operator }));
    assert.match(status, /Seal:\s+MVP_v0/);
    assert.match(status, /Drift components/);
  });
});
