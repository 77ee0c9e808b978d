import { randomUUID } from "node:crypto";
import { type Actor, actorIdentity } from "../core/Actor.ts";
import { CodexError } from "../core/CodexError.ts";
import { personName } from "../core/personName.ts";
import { chicagoIso, compactUtc, utcIso } from "../core/timestamps.ts";
import { SEAL_VERSIONS, type SealCondition, type SealVersion } from "../governance/charter.ts";
import { payloadOf } from "../ledger/events.ts";
import { memoryHealth } from "../memory/memoryHealth.ts";
import type { SealDeps } from "./AutonomyDeps.ts";
import type { AutonomyKernel } from "./AutonomyKernel.ts";
import { type ConfigHashes, configHashes } from "./configHashes.ts";
import { sealDocument } from "./sealDocument.ts";

export interface SealConditionResult {
  name: SealCondition;
  ok: boolean;
  detail: string;
}

export interface SealEvaluation {
  version: SealVersion;
  ok: boolean;
  conditions: SealConditionResult[];
}

/** What a seal recorded; later seal alignment is measured against `hashes`. */
export interface SealRecord {
  version: SealVersion;
  file: string;
  commit: string;
  hashes: ConfigHashes;
  checkpoint: { size: number; root: string };
  ledgerSeq: number;
  correlationId: string;
  sealedAt: string;
  sealedBy: string;
  conditions: SealConditionResult[];
}

export type SealOutcome =
  | { granted: true; evaluation: SealEvaluation; record: SealRecord }
  | { granted: false; evaluation: SealEvaluation; seq: number };

/** What each MVP version means, per the seed's seal ladder. */
export const SEAL_MEANING: Record<SealVersion, string> = {
  v0: "First live ignition",
  v1: "First integration (Slack and Teamwork live)",
  v2: "Multi-agent task orchestration",
  v3: "KPI Intelligence Layer",
  v4: "Full autonomy mesh",
};

/** How many consecutive heartbeats must be under green_max before a seal. */
export const GREEN_CYCLES = 3;

export function parseSealVersion(word: string | undefined): SealVersion {
  const v = word?.toLowerCase().replace(/^mvp_?/, "");
  if (!v || !(SEAL_VERSIONS as readonly string[]).includes(v)) {
    throw new CodexError("USAGE", `name the seal version: one of ${SEAL_VERSIONS.join(", ")}`, {
      hint: "for example /codex seal v0",
    });
  }
  return v as SealVersion;
}

/** What a seal reads of the kernel: its measurements, state and views, and its evidence publisher. */
export type SealKernel = Pick<
  AutonomyKernel,
  | "measure"
  | "publisher"
  | "srr"
  | "probeRelay"
  | "lastHeartbeat"
  | "loopStatus"
  | "governanceCheck"
  | "slackLive"
>;

/**
 * MVP seals v0…v4. Each version's conditions come from the charter (`seal_conditions`); a refusal
 * lists every failing one. A granted seal writes MVP_vN_SEAL.md (conditions with evidence, config
 * hashes, the signed ledger checkpoint) into the vault, commits it, checkpoints the ledger, and posts
 * the evidence. Integrations that do not exist in this build fail their conditions and say why.
 */
export class SealService {
  readonly #app: SealDeps;
  readonly #kernel: SealKernel;

  constructor(app: SealDeps, kernel: SealKernel) {
    this.#app = app;
    this.#kernel = kernel;
  }

  async latest(version?: SealVersion): Promise<SealRecord | undefined> {
    return (await this.#app.state().latestSeal<SealRecord>(version))?.record;
  }

  async evaluate(version: SealVersion): Promise<SealEvaluation> {
    const app = this.#app;
    const charter = app.charter();
    const kernel = this.#kernel;
    const wanted = charter.sealConditions[version];
    const reading = await kernel.measure();
    const results: SealConditionResult[] = [];
    for (const name of wanted) {
      results.push(await this.#check(name, reading));
    }
    return { version, ok: results.every((r) => r.ok), conditions: results };
  }

  async take(version: SealVersion, actor: Actor, roles: string[]): Promise<SealOutcome> {
    const app = this.#app;
    const evaluation = await this.evaluate(version);
    const correlationId = randomUUID();
    if (!evaluation.ok) {
      const refused = await app.ledger().append({
        eventType: "SEAL_REFUSED",
        level: "warn",
        actor: actorIdentity(actor),
        correlationId,
        payload: {
          version,
          roles,
          failing: evaluation.conditions
            .filter((c) => !c.ok)
            .map((c) => ({ condition: c.name, detail: c.detail })),
        },
      });
      return { granted: false, evaluation, seq: refused.seq };
    }
    const now = app.clock.now();
    const hashes = configHashes(app);
    const ledger = app.ledger();
    const checkpoint = await ledger.checkpoint();
    const file = `MVP_${version}_SEAL.md`;
    const doc = sealDocument({
      version,
      meaning: SEAL_MEANING[version],
      sealedAt: now,
      sealedBy: actorIdentity(actor),
      roles,
      identity: app.charter().identity,
      environment: ledger.environment,
      correlationId,
      conditions: evaluation.conditions,
      hashes,
      checkpoint,
      verifierKey: app.ledgerKey().verifierKey,
    });
    const vault = await app.vault();
    const commit = await vault.commitFiles(
      { [file]: doc, [`checkpoints/MVP_${version}-${compactUtc(now)}.txt`]: checkpoint.note },
      `MVP ${version} sealed — system online`,
    );
    const title = `MVP ${version} sealed: ${SEAL_MEANING[version]}`;
    // SEAL_CREATED is written with its confirmation, which therefore cannot quote its seq.
    const sealed = await this.#kernel.publisher.publish(
      {
        kind: "seal",
        title,
        reply: {
          summary: title,
          parts: [
            { kind: "header", text: `🔏 ${title}` },
            { kind: "text", text: evaluation.conditions.map((c) => `✅ ${c.name}: ${c.detail}`).join("\n") },
            {
              kind: "fields",
              fields: [
                {
                  label: "Seal document",
                  value: `\`${file}\` in the vault, commit \`${commit.slice(0, 12)}\``,
                },
                {
                  label: "Ledger checkpoint",
                  value: `size ${checkpoint.size}, root \`${checkpoint.root.slice(0, 16)}…\``,
                },
                { label: "Sealed", value: `${chicagoIso(now)} by ${personName(actor)}` },
              ],
            },
          ],
        },
        markdown: doc,
        correlationId,
        sealVersion: `MVP_${version}`,
        governanceStatus: (await this.#kernel.srr()).state,
        vaultCommit: commit,
        occurredAt: now,
        channel: "evidence",
      },
      {
        eventType: "SEAL_CREATED",
        level: "info",
        actor: actorIdentity(actor),
        correlationId,
        sealVersion: `MVP_${version}`,
        payload: {
          version,
          file,
          commit,
          roles,
          hashes,
          checkpoint: { size: checkpoint.size, root: checkpoint.root },
          conditions: evaluation.conditions,
        },
      },
    );
    // Every seal-state change creates a ledger checkpoint (the seed's governance rule).
    const after = await ledger.checkpoint();
    await ledger.append({
      eventType: "LEDGER_CHECKPOINT",
      level: "info",
      actor: actorIdentity(actor),
      correlationId,
      sealVersion: `MVP_${version}`,
      payload: { size: after.size, root: after.root, reason: `MVP_${version} seal`, sealSeq: sealed.seq },
    });
    const record: SealRecord = {
      version,
      file,
      commit,
      hashes,
      checkpoint: { size: checkpoint.size, root: checkpoint.root },
      ledgerSeq: sealed.seq,
      correlationId,
      sealedAt: utcIso(now),
      sealedBy: actorIdentity(actor),
      conditions: evaluation.conditions,
    };
    await app.state().insertSeal(version, record);
    return { granted: true, evaluation, record };
  }

  async #check(
    name: SealCondition,
    reading: Awaited<ReturnType<AutonomyKernel["measure"]>>,
  ): Promise<SealConditionResult> {
    const app = this.#app;
    const kernel = this.#kernel;
    const env = app.env;
    const r = (ok: boolean, detail: string): SealConditionResult => ({ name, ok, detail });
    switch (name) {
      case "relay_online": {
        const relay = await kernel.probeRelay();
        return r(relay.online, relay.online ? `relay server online: ${relay.detail}` : relay.detail);
      }
      case "memory_online": {
        const m = await memoryHealth(app.memory(), app.ledgerPath(), app.home, app.ledger().head().seq);
        return r(m.ok, m.detail);
      }
      case "telemetry_live": {
        const last = kernel.lastHeartbeat();
        const interval = app.charter().schedules.heartbeatSeconds;
        if (!last)
          return r(false, "no heartbeat yet: start the loop (npm start, or /codex activate in the shell)");
        const age = (app.clock.now().getTime() - Date.parse(last.timestampUtc)) / 1000;
        const faults = payloadOf(last, "HEARTBEAT").faults ?? [];
        const ok = age <= 2 * interval && faults.length === 0;
        return r(
          ok,
          `last heartbeat seq ${last.seq}, ${Math.round(age)} s ago (limit ${2 * interval} s)${faults.length > 0 ? `, faults: ${faults.join("; ")}` : ", every signal measured"}`,
        );
      }
      case "agents_active": {
        const probes = await app.hub().probe();
        const ok = probes.every((p) => p.ok);
        return r(
          ok,
          probes.map((p) => `${p.provider} ${p.ok ? "answered" : `failed (${p.error})`}`).join(", "),
        );
      }
      case "autonomy_running": {
        const loop = await kernel.loopStatus();
        const srr = await kernel.srr();
        const ok = loop.running && srr.state === "RUNNING";
        return r(
          ok,
          `loop ${loop.running ? `running in ${loop.where}` : `not running: ${loop.where}`}; SRR ${srr.state}`,
        );
      }
      case "drift_green_3_cycles": {
        const greenMax = app.charter().drift.bands.greenMax;
        const last = app.ledger().query({ eventType: "HEARTBEAT", newestFirst: true, limit: GREEN_CYCLES });
        const scores = last.map((e) => payloadOf(e, "HEARTBEAT").drift?.score);
        const ok = last.length === GREEN_CYCLES && scores.every((s) => typeof s === "number" && s < greenMax);
        return r(
          ok,
          last.length < GREEN_CYCLES
            ? `only ${last.length} heartbeat(s) so far; ${GREEN_CYCLES} under ${greenMax} are needed`
            : `last ${GREEN_CYCLES} heartbeats scored ${scores.join(", ")} (each must be under ${greenMax}), seqs ${last.map((e) => e.seq).join(", ")}`,
        );
      }
      case "governance_enforced": {
        const g = await kernel.governanceCheck();
        return r(g.ok, g.detail);
      }
      case "ledger_healthy": {
        const l = reading.ledger;
        return r(
          l.ok && reading.vault.ok,
          l.ok
            ? `ledger verifies (${l.size} entries, ${l.checkpoints} signed checkpoints)${reading.vault.ok ? `; vault verifies (${reading.vault.runs} runs)` : `; vault fails: ${reading.vault.problem}`}`
            : `ledger fails verification${l.firstBad ? ` at seq ${l.firstBad.seq}: ${l.firstBad.reason}` : ""}`,
        );
      }
      case "slack_live":
        return (await kernel.slackLive())
          ? r(true, "Slack connected (auth.test passed) in the process hosting the loop")
          : r(
              false,
              env.SLACK_BOT_TOKEN
                ? "SLACK_BOT_TOKEN is set but no Slack connection is live (start npm start)"
                : "not configured (SLACK_BOT_TOKEN not set)",
            );
      case "teamwork_live": {
        const t = await app.relays().teamworkLive();
        return r(t.ok, t.detail);
      }
      case "multi_agent_runs": {
        const ledger = app.ledger();
        const passed = new Set(
          ledger
            .query({ eventType: "RUN_COMPLETED", newestFirst: true, limit: 200 })
            .filter((e) => payloadOf(e, "RUN_COMPLETED").pass === true)
            .map((e) => e.correlationId),
        );
        const multi = ledger
          .query({ eventType: "RUN_STARTED", newestFirst: true, limit: 200 })
          .find((e) => passed.has(e.correlationId) && (payloadOf(e, "RUN_STARTED").agents?.length ?? 0) >= 2);
        return multi
          ? r(
              true,
              `run of ${String(payloadOf(multi, "RUN_STARTED").stack)} with ${payloadOf(multi, "RUN_STARTED").agents?.length} agents passed (seq ${multi.seq})`,
            )
          : r(false, "no passing run of a stack with two or more agents in the ledger yet");
      }
      case "kpi_layer_synced": {
        const k = await app.clients().kpiLayer();
        return r(k.ok, k.detail);
      }
      case "full_mesh": {
        const parts = {
          slack: (await kernel.slackLive())
            ? { ok: true, detail: "live" }
            : { ok: false, detail: "not live" },
          teamwork: await app.relays().teamworkLive(),
          notion: await app.relays().notionLive(),
          "KPI layer": await app.clients().kpiLayer(),
        };
        const bad = Object.entries(parts).filter(([, p]) => !p.ok);
        return r(
          bad.length === 0,
          bad.length === 0
            ? "Slack, Teamwork, Notion and the KPI layer are all live"
            : `not all live: ${bad.map(([k, p]) => `${k} (${p.detail})`).join("; ")}`,
        );
      }
    }
  }
}
