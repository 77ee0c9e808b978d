// `npm run bench`: measures the targets the issues set, prints a readable table on stderr and one JSON
// object on the last line of stdout. Targets live here, never in timed tests.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { run } from "../commands/run.ts";
import { createApp } from "../src/app/createApp.ts";
import { loadEnv } from "../src/config/loadEnv.ts";
import { localActor } from "../src/core/Actor.ts";
import { createLogger } from "../src/core/logger.ts";
import { benchLedger } from "./benchLedger.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const only = new Set(process.argv.slice(2));
const want = (name: string) => only.size === 0 || only.has(name);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Per-step executor time with the offline provider, and a full sealed, committed 3-agent run. */
async function benchRuns(): Promise<{ stepMs: number; runMs: number; runs: number }> {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-bench-"));
  const env = loadEnv(
    { MAOS_HOME: home, MAOS_STACKS: path.join(REPO, "stacks"), MAOS_CHARTER: path.join(REPO, "charter.yml") },
    REPO,
  );
  const app = createApp({ env, log: createLogger({ level: "silent" }) });
  const actor = localActor("cli");
  const inputs = { event: "Midwest Builders Expo 2027" };
  try {
    await app.vault();
    await run({ stack: "marketing_ops", inputs }, actor, app); // warm-up: JIT, prepared statements, git
    const stepTimes: number[] = [];
    const runTimes: number[] = [];
    const runs = 15;
    for (let i = 0; i < runs; i++) {
      let loopStart = 0;
      let loopEnd = 0;
      let steps = 0;
      const t0 = performance.now();
      await run({ stack: "marketing_ops", inputs }, actor, app, (e) => {
        if (e.type === "started") loopStart = performance.now();
        if (e.type === "step" && e.state !== "running") steps++;
        if (e.type === "evaluating") loopEnd = performance.now();
      });
      runTimes.push(performance.now() - t0);
      stepTimes.push((loopEnd - loopStart) / steps);
    }
    return { stepMs: round(median(stepTimes)), runMs: round(median(runTimes), 1), runs };
  } finally {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const results: Record<string, unknown> = {};
const table: [string, string, string][] = [];

if (want("ledger")) {
  const l = await benchLedger();
  results.ledger = l;
  table.push(
    ["durable appends/s, 1 producer", String(Math.round(l.appendsPerSecSingle)), "—"],
    ["durable appends/s, 50 producers", String(Math.round(l.appendsPerSecConcurrent50)), "≥ 25000"],
    ["ledger verify, 100k entries (ms)", String(Math.round(l.verify100kMs)), "—"],
    ["heartbeat ledger check, 100k + 20 new entries (ms)", String(l.heartbeatVerify100kPlus20Ms), "—"],
    ["ledger verify, 1M entries, 1 thread (ms)", String(l.verify1MSingleThreadMs), "≤ 2500"],
    ["ledger verify, 1M entries, all cores (ms)", String(l.verify1MMs), "≤ 1600 (2 idle cores)"],
    [
      "CPU ms of those: 1 thread / all cores; CPU µs per concurrent append",
      `${l.cpu.verify1MSingleThreadMs} / ${l.cpu.verify1MMs}; ${l.cpu.concurrentAppendMicros}`,
      "—",
    ],
    ["load average during the ledger bench (1 min, start / end)", `${l.load[0]} / ${l.load[1]}`, "—"],
  );
}
if (want("postgres")) {
  const { benchPostgres } = await import("./benchPostgres.ts");
  try {
    const p = await benchPostgres();
    results.postgres = p;
    table.push(
      [
        `PostgreSQL durable appends/s, ${p.producers} producers (SQLite same run)`,
        `${p.appendsPerSec} (${p.sqliteAppendsPerSec}: ${(p.appendsPerSec / p.sqliteAppendsPerSec).toFixed(2)}×)`,
        "≥ 5000",
      ],
      [
        `leader failover after kill -9, ms (heartbeat ${p.heartbeatMs} ms)`,
        `median ${p.failoverMedianMs}, max ${p.failoverMaxMs} (${p.failoverHeartbeats} heartbeats)`,
        "≤ 2 heartbeats",
      ],
      [
        `run queue latency, ack → worker start, ${p.queue.runs} runs (in-thread executor same run)`,
        `p50 ${p.queue.p50Ms} ms, p99 ${p.queue.p99Ms} ms (in-thread p99 ${p.queue.threadP99Ms} ms)`,
        "—",
      ],
    );
  } catch (err) {
    // No server binaries here: say so in the table and the JSON rather than fail the other sections.
    results.postgres = { skipped: err instanceof Error ? err.message : String(err) };
    table.push([
      "PostgreSQL section",
      `not run: ${String((results.postgres as { skipped: string }).skipped)}`,
      "—",
    ]);
  }
}

if (want("scale")) {
  const { benchLedgerScale } = await import("./ledgerScale.ts");
  const s = await benchLedgerScale();
  results.scale = s;
  const big = `${s.entries.large / 1_000_000}M`;
  const vs = (large: number, small: number, ratio: number) =>
    `${large} (${small} at ${s.entries.small}, ${ratio}×)`;
  table.push(
    [
      `steady heartbeat, ledger part, ${big} entries (ms)`,
      vs(s.heartbeatLedgerMs.large, s.heartbeatLedgerMs.small, s.heartbeatLedgerMs.ratio),
      "≤ 1.2×",
    ],
    [
      `maos status --json, ${big} entries (ms)`,
      vs(s.statusJsonMs.large, s.statusJsonMs.small, s.statusJsonMs.ratio),
      "≤ 1.2×",
    ],
    [
      `maos status --json, first after a full pass is due (ms)`,
      String(s.statusJsonMs.largeFirstAfterFullMs),
      "—",
    ],
    [`ledger verify, ${big} entries, 1 thread (ms)`, String(s.verifyLargeMs.oneThread), "≤ 2500"],
    [`ledger verify, ${big} entries, 2 threads (ms)`, String(s.verifyLargeMs.twoThreads), "≤ 1600"],
    [
      `/health during a full pass of ${big}: p50 / p99 / max (ms), answers > 25 ms`,
      `${s.healthDuringFullPass.p50Ms} / ${s.healthDuringFullPass.p99Ms} / ${s.healthDuringFullPass.maxMs}, ${s.healthDuringFullPass.over25} of ${s.healthDuringFullPass.requests}`,
      "max ≤ 50",
    ],
  );
  for (const c of s.cliStart) {
    const where = c.home === s.cliStart[0]?.home ? "fresh home" : `${big} home`;
    table.push([`node -e 0, node ${c.node} first on PATH (ms)`, String(c.nodeEMs), "—"]);
    for (const cmd of c.commands) {
      table.push([
        `${cmd.command}, ${where}, node ${c.node} (ms)`,
        `${cmd.ms} (${cmd.ratio}×)`,
        "≤ 300 (node 24)",
      ]);
    }
  }
}
if (want("runs")) {
  const r = await benchRuns();
  results.executor = { perStepMs: r.stepMs, sealedRunMs: r.runMs, runs: r.runs };
  table.push(
    ["executor time per agent step, offline (ms)", String(r.stepMs), "≤ 5"],
    ["sealed, committed 3-agent run (ms, median)", String(r.runMs), "≤ 400"],
  );
}
if (want("ack")) {
  const { benchAck } = await import("./ack.ts").catch(() => ({ benchAck: undefined }));
  if (benchAck) {
    const a = await benchAck();
    results.ack = a;
    table.push(
      ["/codex ack p50 (ms)", String(round(a.p50Ms)), "—"],
      ["/codex ack p99 (ms)", String(round(a.p99Ms)), "≤ 50"],
      ["ack p99 ours / bare Bolt", String(round(a.ratio)), "≤ 1.3"],
    );
  }
}

if (want("mcp")) {
  const { benchMcp } = await import("./mcpBench.ts");
  const m = await benchMcp();
  results.mcp = m;
  table.push(
    [
      `MCP tools/call status p50, ${m.clients} clients (ms)`,
      String(m.mcpP50Ms),
      `≤ direct + 2 (${m.directP50Ms + 2})`,
    ],
    [`MCP tools/call status p99, ${m.clients} clients (ms)`, String(m.mcpP99Ms), "—"],
    ["status called directly p50 / p99 (ms)", `${m.directP50Ms} / ${m.directP99Ms}`, "—"],
  );
}
if (want("memory")) {
  const { benchMemory } = await import("./memoryBench.ts");
  const m = await benchMemory();
  results.memory = m;
  table.push(
    ["memory search p99, 100k items, keyword (ms)", String(m.keywordP99Ms), "≤ 20"],
    ["memory search p99, 100k items, hybrid (ms)", String(m.hybridP99Ms), "≤ 20"],
    ["memory index build, keyword (items/s)", String(m.keywordBuildPerSec), "—"],
    ["memory index build, with vectors (items/s)", String(m.hybridBuildPerSec), "—"],
  );
}

if (want("vault")) {
  const { benchVault } = await import("./vaultBench.ts");
  const sizes = (process.env.MAOS_BENCH_VAULT_RUNS ?? "10,1000,10000").split(",").map(Number);
  const v = await benchVault(sizes);
  results.vault = v;
  const at = (runs: number, key: keyof (typeof v.homes)[number]) => {
    const h = v.homes.find((x) => x.runs === runs);
    const r = v.ratios[String(runs)]?.[key as string];
    return h ? `${h[key]}${r !== undefined && runs !== sizes[0] ? ` (${r}×)` : ""}` : "—";
  };
  for (const [label, key, target] of [
    ["steady heartbeat (ms)", "steadyHeartbeatMs", "≤ 1.2×"],
    ["first heartbeat: full vault pass in a worker (ms)", "firstHeartbeatMs", "—"],
    ["maos status --json, CLI (ms)", "statusCliMs", "≤ 1.2×"],
    ["Slack /codex status reply (ms)", "slackStatusMs", "≤ 1.2×"],
    ["App Home view (ms)", "appHomeMs", "≤ 1.2×"],
    ["maos vault verify (ms)", "vaultVerifyMs", "—"],
    ["git time of one sealed run (ms)", "sealGitMs", "≤ 1.3×"],
    ["git time of the first sealed run in a fresh process (ms)", "sealGitFirstMs", "—"],
    ["split index folded into a new shared index, per seal (ms)", "consolidatePerSealMs", "—"],
    ["vault on disk per run (bytes)", "vaultBytesPerRun", "near packed"],
    ["vault on disk after git gc (bytes)", "vaultBytesPacked", "—"],
  ] as const) {
    for (const runs of sizes)
      table.push([`${label}, ${runs} runs`, at(runs, key), runs === sizes[0] ? "—" : target]);
  }
  table.push(["load average during the vault bench (1/5/15 min)", v.load, "—"]);
}

const width = Math.max(...table.map((r) => r[0].length));
process.stderr.write(`\n${"measure".padEnd(width)}  ${"value".padStart(10)}  target\n`);
for (const [name, value, target] of table)
  process.stderr.write(`${name.padEnd(width)}  ${value.padStart(10)}  ${target}\n`);
process.stderr.write(
  `\nnode ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "unknown cpu"}\n`,
);
process.stdout.write(`${JSON.stringify({ node: process.version, cores: os.cpus().length, ...results })}\n`);
