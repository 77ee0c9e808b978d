// Costs against history size (issue 11): homes of 10, 1,000 and 10,000 sealed runs, built with the
// app's own code, and on each the steady heartbeat, `maos status --json`, the Slack status reply, the
// App Home, `maos vault verify`, the git time of one more sealed run and the vault's size on disk, each
// with its ratio to the 10-run home.
//
// Building: one real run (`run()` with the offline provider) gives the template of a run: its folder
// and its ledger thread. The other runs are that run again under new run ids, spread over past months
// on an injected clock: each folder and SEAL.json made with the vault's own sealRoot/sha256 code and
// committed one commit per run in one `git fast-import` stream (as sealRun would commit them, unsigned),
// and each run's ledger thread appended with Ledger.appendBatchSync, its RUN_SEALED naming its commit.
// A real home of that many runs holds the same folders, commits and entries; only the build is faster.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { run } from "../commands/run.ts";
import { statusReply } from "../commands/status.ts";
import { type App, createApp } from "../src/app/createApp.ts";
import { loadEnv } from "../src/config/loadEnv.ts";
import { localActor } from "../src/core/Actor.ts";
import { ManualClock } from "../src/core/clock.ts";
import { createLogger } from "../src/core/logger.ts";
import { chicagoIso, utcIso } from "../src/core/timestamps.ts";
import type { LedgerAppend } from "../src/ledger/Ledger.ts";
import { localLedger } from "../src/ledger/LedgerHandle.ts";
import { HomeDashboard } from "../src/slack/homeView.ts";
import { CONSOLIDATE_AT } from "../src/vault/fastCommit.ts";
import { sealRoot, sha256Hex } from "../src/vault/sealRoot.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const BIN = path.join(REPO, "bin", "maos.js");
const STACK = "marketing_ops";
const BEATS = 9;
const CALLS = 9;
const CLI_CALLS = 5;
const SEALS = 15;

export interface VaultHomeFigures {
  runs: number;
  ledgerEntries: number;
  buildS: number;
  firstHeartbeatMs: number;
  steadyHeartbeatMs: number;
  statusCliMs: number;
  slackStatusMs: number;
  appHomeMs: number;
  vaultVerifyMs: number;
  sealGitMs: number;
  /** The first seal in a fresh process: it also reads HEAD's runs/ tree and the shared index once. */
  sealGitFirstMs: number;
  /** Folding the split index into a new shared index (`git update-index --split-index`), and that per seal. */
  consolidateMs: number;
  consolidatePerSealMs: number;
  vaultBytes: number;
  vaultBytesPerRun: number;
  vaultBytesPacked: number;
}

export interface VaultBenchResult {
  homes: VaultHomeFigures[];
  ratios: Record<string, Record<string, number>>;
  load: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function envFor(home: string): ReturnType<typeof loadEnv> {
  return loadEnv(
    {
      MAOS_HOME: home,
      MAOS_STACKS: path.join(REPO, "stacks"),
      MAOS_CHARTER: path.join(REPO, "charter.yml"),
      MAOS_RELAY_TOKEN: "bench-relay-token-0123456789",
    },
    REPO,
  );
}

function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_")) env[k] = v;
  return { ...env, ...extra };
}

function files(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

function du(dir: string): number {
  return Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);
}

/** A home of `runs` sealed runs: one real, the others its copies under new ids (see the file comment). */
async function buildHome(runs: number): Promise<{ home: string; entries: number }> {
  const home = mkdtempSync(path.join(os.tmpdir(), `maos-bench-vault-${runs}-`));
  // Runs spread over the past: one every 20 minutes, ending an hour ago (outside the drift window).
  const start = Date.now() - 60 * 60_000 - runs * 20 * 60_000;
  const clock = new ManualClock(new Date(start), { autoAdvance: true });
  const app = createApp({ env: envFor(home), clock, log: createLogger({ level: "silent" }) });
  try {
    const first = await run({ stack: STACK, inputs: { event: "Bench Expo 0" } }, localActor("cli"), app);
    const vault = await app.vault();
    const ledger = localLedger(app.ledger());
    const firstDir = first.vault?.path as string;
    const templateFiles = files(firstDir)
      .filter((f) => f !== "SEAL.json")
      .map((f) => ({ path: f, text: readFileSync(path.join(firstDir, f), "utf8") }));
    const thread = ledger.byCorrelation(first.correlationId);
    const started = thread.find((e) => e.eventType === "RUN_STARTED");
    const runId = first.runId;
    const cp = ledger.checkpoint();
    const head = ledger.head().hash;

    // One commit per run, in one fast-import stream.
    const imp = spawn("git", ["fast-import", "--quiet", "--done"], {
      cwd: vault.dir,
      env: gitEnv(),
      stdio: ["pipe", "inherit", "inherit"],
    });
    const done = new Promise<number>((resolve) => imp.on("close", (c) => resolve(c ?? 1)));
    const write = (s: string | Buffer) =>
      new Promise<void>((resolve) => {
        if (imp.stdin.write(s)) resolve();
        else imp.stdin.once("drain", () => resolve());
      });
    const parent = (await vault.headCommit()) as string;
    const made: { runId: string; correlationId: string; folder: string; root: string; at: number }[] = [];
    for (let i = 1; i < runs; i++) {
      const at = start + i * 20 * 60_000;
      const id = randomUUID();
      const correlationId = `bench-${id}`;
      const folder = vault.runFolderName(id, STACK, new Date(at));
      const contents = templateFiles.map((f) => {
        const bytes = Buffer.from(
          f.text.replaceAll(runId, id).replaceAll("Bench Expo 0", `Bench Expo ${i}`),
          "utf8",
        );
        return { path: f.path, bytes };
      });
      const list = contents.map((f) => ({ path: f.path, sha256: sha256Hex(f.bytes), bytes: f.bytes.length }));
      const root = sealRoot(list);
      const seal = {
        version: 1,
        runId: id,
        stack: STACK,
        sealedAtUtc: utcIso(new Date(at)),
        sealedAtCt: chicagoIso(new Date(at)),
        files: list,
        root,
        ledger: { size: cp.size, head, root: cp.root, checkpoint: cp.note },
      };
      const message = `seal: ${STACK} run ${id.slice(0, 8)} root ${root.slice(0, 16)}\n`;
      const when = `${Math.floor(at / 1000)} +0000`;
      await write(
        `commit refs/heads/main\nmark :${i}\nauthor MAOS Codex <maos-codex@localhost> ${when}\ncommitter MAOS Codex <maos-codex@localhost> ${when}\ndata ${Buffer.byteLength(message)}\n${message}${i === 1 ? `from ${parent}\n` : ""}`,
      );
      for (const f of [
        ...contents,
        { path: "SEAL.json", bytes: Buffer.from(`${JSON.stringify(seal, null, 2)}\n`) },
      ]) {
        await write(`M 100644 inline runs/${folder}/${f.path}\ndata ${f.bytes.length}\n`);
        await write(f.bytes);
        await write("\n");
      }
      made.push({ runId: id, correlationId, folder, root, at });
    }
    const marks = path.join(home, "marks");
    await write("done\n");
    imp.stdin.end();
    if ((await done) !== 0) throw new Error("git fast-import failed");
    // The commit of each mark, then the index and working tree as a checkout leaves them.
    const ids = execFileSync("git", ["rev-list", "--reverse", `${parent}..HEAD`], {
      cwd: vault.dir,
      env: gitEnv(),
      encoding: "utf8",
      maxBuffer: 1 << 28,
    })
      .trim()
      .split("\n")
      .filter(Boolean);
    execFileSync("git", ["reset", "--quiet", "--hard", "HEAD"], { cwd: vault.dir, env: gitEnv() });
    rmSync(marks, { force: true });

    // Each run's ledger thread, as the real run wrote it, under its own ids.
    let batch: LedgerAppend[] = [];
    for (const [i, m] of made.entries()) {
      clock.set(new Date(m.at));
      for (const e of thread) {
        if (e.seq < (started?.seq ?? 0)) continue;
        const text = JSON.stringify(e.payload ?? null).replaceAll(runId, m.runId);
        let payload = JSON.parse(text) as Record<string, unknown> | null;
        if (e.eventType === "RUN_SEALED") {
          payload = {
            ...payload,
            vaultPath: `runs/${m.folder}`,
            commit: ids[i],
            sealRoot: m.root,
          };
        }
        batch.push({
          eventType: e.eventType,
          level: e.level,
          actor: e.actorIdentity,
          correlationId: m.correlationId,
          payload,
        });
      }
      if (batch.length >= 5000) {
        ledger.appendBatchSync(batch);
        batch = [];
      }
    }
    if (batch.length > 0) ledger.appendBatchSync(batch);
    clock.set(new Date());
    return { home, entries: ledger.size() };
  } finally {
    await app.close();
  }
}

async function timed<T>(f: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

function cli(args: string[], home: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, MAOS_HOME: home, LOG_LEVEL: "silent" },
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`maos ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** MAOS_BENCH_VAULT_SEAL_ONLY=1: only the seal figures (the others take minutes at 10,000 runs). */
const SEAL_ONLY = process.env.MAOS_BENCH_VAULT_SEAL_ONLY === "1";

async function measureHome(runs: number): Promise<VaultHomeFigures> {
  const t0 = performance.now();
  const { home, entries } = await buildHome(runs);
  const buildS = (performance.now() - t0) / 1000;
  try {
    const app: App = createApp({ env: envFor(home), log: createLogger({ level: "silent" }) });
    let first = 0;
    const beats: number[] = [];
    const slack: number[] = [];
    const homeViews: number[] = [];
    const seals: number[] = [];
    let template: string[] = [];
    try {
      const kernel = app.autonomy();
      first = await timed(() => kernel.heartbeat("relay"));
      for (let i = 0; i < (SEAL_ONLY ? 0 : BEATS); i++)
        beats.push(await timed(() => kernel.heartbeat("relay")));
      for (let i = 0; i < (SEAL_ONLY ? 0 : CALLS); i++) {
        localLedger(app.ledger()).appendSync({
          eventType: "NOTE",
          actor: "bench",
          correlationId: "bench",
          payload: { i },
        });
        slack.push(await timed(() => statusReply(app)));
        homeViews.push(
          await timed(() =>
            new HomeDashboard({
              clock: app.clock,
              ledger: () => app.ledger(),
              custody: () => app.custody(),
              autonomySummary: () => app.autonomy().homeSummary(),
              openApprovals: async () => [],
            }).view(),
          ),
        );
      }
      // One more sealed run's git work: Vault.sealRun with a run's files (the commit and its stage).
      const vault = await app.vault();
      template = files(
        path.join(vault.dir, "runs", readdirSync(path.join(vault.dir, "runs"))[0] as string),
      ).filter((f) => f !== "SEAL.json");
      for (let i = 0; i < SEALS; i++) {
        const id = randomUUID();
        const dir = path.join(vault.dir, "runs", readdirSync(path.join(vault.dir, "runs"))[0] as string);
        const input = Object.fromEntries(
          template.map((f) => [f, `${readFileSync(path.join(dir, f), "utf8")}\n${id}\n`]),
        );
        const cp = await app.ledger().checkpoint();
        seals.push(
          await timed(() =>
            vault.sealRun({
              runId: id,
              stack: STACK,
              startedAt: new Date(),
              files: input,
              ledger: { size: cp.size, head: app.ledger().head().hash, root: cp.root, checkpoint: cp.note },
            }),
          ),
        );
      }
      // The seals' checkpoint goes in with the next heartbeat, as in the bot.
      await kernel.heartbeat("relay");
    } finally {
      await app.close();
    }
    const statusCli: number[] = [];
    for (let i = 0; i < (SEAL_ONLY ? 0 : CLI_CALLS); i++) statusCli.push(cli(["status", "--json"], home));
    const verify = SEAL_ONLY ? Number.NaN : cli(["vault", "verify", "--json"], home);
    const vaultDir = path.join(home, "vault");
    // What the vault does every CONSOLIDATE_AT index entries (~14 a seal), off the seal's path.
    const c0 = performance.now();
    execFileSync("git", ["update-index", "--split-index"], { cwd: vaultDir, env: gitEnv() });
    const consolidateMs = performance.now() - c0;
    const bytes = du(vaultDir);
    execFileSync("git", ["gc", "--quiet"], { cwd: vaultDir, env: gitEnv() });
    const packed = du(vaultDir);
    return {
      runs,
      ledgerEntries: entries,
      buildS: round(buildS),
      firstHeartbeatMs: round(first),
      steadyHeartbeatMs: round(median(beats)),
      statusCliMs: round(median(statusCli)),
      slackStatusMs: round(median(slack)),
      appHomeMs: round(median(homeViews)),
      vaultVerifyMs: round(verify),
      sealGitMs: round(median(seals)),
      sealGitFirstMs: round(seals[0] ?? Number.NaN),
      consolidateMs: round(consolidateMs),
      consolidatePerSealMs: round((consolidateMs * (template.length + 2)) / CONSOLIDATE_AT, 2),
      vaultBytes: bytes,
      vaultBytesPerRun: Math.round(bytes / runs),
      vaultBytesPacked: packed,
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export async function benchVault(sizes: number[] = [10, 1_000, 10_000]): Promise<VaultBenchResult> {
  const homes: VaultHomeFigures[] = [];
  for (const n of sizes) {
    process.stderr.write(`vault bench: building and measuring a ${n}-run home…\n`);
    homes.push(await measureHome(n));
  }
  const base = homes[0] as VaultHomeFigures;
  const keys = [
    "steadyHeartbeatMs",
    "statusCliMs",
    "slackStatusMs",
    "appHomeMs",
    "vaultVerifyMs",
    "sealGitMs",
    "sealGitFirstMs",
    "consolidatePerSealMs",
    "vaultBytesPerRun",
  ] as const;
  const ratios: Record<string, Record<string, number>> = {};
  for (const h of homes) {
    ratios[String(h.runs)] = Object.fromEntries(keys.map((k) => [k, round(h[k] / base[k], 2)]));
  }
  return {
    homes,
    ratios,
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
  };
}
