import { randomUUID } from "node:crypto";
import { Cron } from "croner";
import { type Actor, actorIdentity } from "../core/Actor.ts";
import type { Reply } from "../core/Reply.ts";
import { CHICAGO, chicagoIso, utcIso } from "../core/timestamps.ts";
import { payloadOf, type SnapshotSummary } from "../ledger/events.ts";
import type { SnapshotDeps } from "./AutonomyDeps.ts";
import type { AutonomyKernel } from "./AutonomyKernel.ts";

/** The day summarised: the ledger catalogue owns the shape (SNAPSHOT_TAKEN records it). */
export type { SnapshotSummary };

export interface SnapshotResult {
  summary: SnapshotSummary;
  file: string;
  commit: string;
  seq: number;
  correlationId: string;
}

const GOVERNANCE_EVENTS = [
  "GOVERNANCE_VIOLATION",
  "GOVERNANCE_REFUSAL",
  "IDENTITY_MISMATCH",
  "APPROVAL_ACCEPTED",
  "APPROVAL_REFUSED",
  "SRR_HALTED",
  "SRR_RESUMED",
  "INCIDENT_OPENED",
  "INCIDENT_RESOLVED",
  "SEAL_CREATED",
  "SEAL_REFUSED",
] as const;
/** A day holds at most 86400/5 heartbeats (the charter's 5 s floor); read that many at most. */
const DAY_SCAN = 86_400 / 5;

const round1 = (x: number) => Math.round(x * 10) / 10;

/** What a snapshot reads of the kernel. */
export type SnapshotKernel = Pick<
  AutonomyKernel,
  "measure" | "seals" | "srr" | "loopStatus" | "slackLive" | "publisher"
>;

/**
 * The daily autonomy snapshot: the Chicago day so far, summarised from the ledger (seal, drift
 * min/mean/max and time in each band, heartbeats expected vs received, governance events, runs and
 * scores, ledger health, component state) with a short note written from those facts. It is stored in
 * the vault (snapshots/YYYY-MM-DD.md and .json), written to the ledger, and posted as evidence.
 */
export class DailySnapshot {
  readonly #app: SnapshotDeps;
  readonly #kernel: SnapshotKernel;
  readonly #midnight = new Cron("0 0 * * *", { timezone: CHICAGO, paused: true });

  constructor(app: SnapshotDeps, kernel: SnapshotKernel) {
    this.#app = app;
    this.#kernel = kernel;
  }

  async summarise(): Promise<SnapshotSummary> {
    const app = this.#app;
    const kernel = this.#kernel;
    const now = app.clock.now();
    const dayStart = this.#midnight.previousRuns(1, now)[0] ?? new Date(now.getTime() - 86_400_000);
    const from = utcIso(dayStart);
    const ledger = app.ledger();
    const to = utcIso(now);
    // The day up to now, exclusive: a heartbeat falling due at the same instant belongs to the next one.
    const today = (type: string, limit = DAY_SCAN) =>
      ledger
        .query({ eventType: type, newestFirst: true, limit })
        .filter((e) => e.timestampUtc >= from && e.timestampUtc < to);
    const interval = app.charter().schedules.heartbeatSeconds;

    const beats = today("HEARTBEAT").filter((e) => payloadOf(e, "HEARTBEAT").source === "schedule");
    const scores = beats
      .map((e) => payloadOf(e, "HEARTBEAT").drift)
      .filter((d): d is NonNullable<typeof d> => typeof d?.score === "number");
    const secondsInBand = { green: 0, yellow: 0, red: 0 };
    for (const d of scores) {
      if (d.band === "green" || d.band === "yellow" || d.band === "red") secondsInBand[d.band] += interval;
    }
    const firstLoop = ledger.query({ eventType: "AUTONOMY_LOOP_STARTED", limit: 1 })[0];
    const loopSince = firstLoop
      ? Math.max(Date.parse(firstLoop.timestampUtc), dayStart.getTime())
      : undefined;
    // Slots strictly between the loop's start (or midnight) and now.
    const expected =
      loopSince === undefined
        ? 0
        : Math.max(0, Math.ceil((now.getTime() - loopSince) / (interval * 1000)) - 1);
    const ticks = beats
      .map((e) => payloadOf(e, "HEARTBEAT").tick)
      .filter((t): t is NonNullable<typeof t> => t !== undefined);

    const governance: SnapshotSummary["governance"] = {};
    for (const type of GOVERNANCE_EVENTS) {
      const n = today(type, 5000).length;
      if (n > 0) governance[type] = n;
    }
    const completed = today("RUN_COMPLETED", 5000);
    const runScores = completed
      .map((e) => payloadOf(e, "RUN_COMPLETED").score)
      .filter((s): s is number => typeof s === "number");
    const reading = await kernel.measure();
    const seal = await kernel.seals.latest();
    const srr = await kernel.srr();
    const loop = await kernel.loopStatus();
    const env = app.env;

    const summary: SnapshotSummary = {
      date: chicagoIso(dayStart).slice(0, 10),
      from,
      to,
      seal: seal
        ? { version: seal.version, sealedAt: seal.sealedAt, aligned: reading.sealAlignment.aligned }
        : null,
      drift:
        scores.length > 0
          ? {
              min: Math.min(...scores.map((d) => d.score)),
              mean: round1(scores.reduce((a, d) => a + d.score, 0) / scores.length),
              max: Math.max(...scores.map((d) => d.score)),
              secondsInBand,
            }
          : null,
      heartbeats: {
        expected,
        received: beats.length,
        missedSlots: ticks.reduce((n, t) => n + (t.missedSlots ?? 0), 0),
        late: ticks.filter((t) => t.late).length,
      },
      governance,
      runs: {
        completed: completed.length,
        failed: today("RUN_FAILED", 5000).length,
        passed: completed.filter((e) => payloadOf(e, "RUN_COMPLETED").pass === true).length,
        meanScore:
          runScores.length > 0
            ? Math.round((runScores.reduce((a, b) => a + b, 0) / runScores.length) * 1000) / 1000
            : null,
      },
      ledger: {
        ok: reading.ledger.ok,
        size: reading.ledger.size,
        ...(reading.ledger.firstBad ? { firstBad: reading.ledger.firstBad } : {}),
      },
      vault: { ok: reading.vault.ok, runs: reading.vault.runs },
      components: {
        srr: srr.state,
        loop: loop.running ? `running (${loop.where})` : `not running (${loop.where})`,
        relay: reading.relay.online
          ? `online (${reading.relay.detail})`
          : `offline (${reading.relay.detail})`,
        slack: (await kernel.slackLive())
          ? "live"
          : env.SLACK_BOT_TOKEN
            ? "configured, not connected here"
            : "off",
        // The evidence relays: configured or off, and what the outbox holds for each sink.
        notion: await relayState(app, "notion", app.relays().notionOff()),
        teamwork: await relayState(app, "teamwork", app.relays().teamworkOff()),
      },
      note: "",
    };
    summary.note = note(summary);
    return summary;
  }

  async take(actor: Actor, source: "schedule" | "command"): Promise<SnapshotResult> {
    const app = this.#app;
    const summary = await this.summarise();
    const correlationId = randomUUID();
    const file = `snapshots/${summary.date}.md`;
    const markdown = snapshotMarkdown(summary);
    const commit = await (await app.vault()).commitFiles(
      { [file]: markdown, [`snapshots/${summary.date}.json`]: `${JSON.stringify(summary, null, 2)}\n` },
      `Daily autonomy snapshot ${summary.date} (America/Chicago)`,
    );
    const entry = await this.#kernel.publisher.publish(
      {
        kind: "snapshot",
        title: `Daily autonomy snapshot ${summary.date}`,
        reply: snapshotReply(summary, commit),
        markdown,
        correlationId,
        ...(summary.seal ? { sealVersion: `MVP_${summary.seal.version}` } : {}),
        ...(summary.drift ? { drift: summary.drift.max } : {}),
        governanceStatus: summary.components.srr,
        vaultCommit: commit,
        occurredAt: app.clock.now(),
        channel: "evidence",
      },
      {
        eventType: "SNAPSHOT_TAKEN",
        level: "info",
        actor: actorIdentity(actor),
        correlationId,
        ...(summary.seal ? { sealVersion: `MVP_${summary.seal.version}` } : {}),
        payload: { source, file, commit, summary },
      },
    );
    return { summary, file, commit, seq: entry.seq, correlationId };
  }
}

/** A short qualitative note, written from the facts alone (no model is asked). */
function note(s: SnapshotSummary): string {
  const parts: string[] = [];
  if (s.components.srr === "HALTED") parts.push("The autonomy loop is HALTED under STOP–RESET–REALIGN.");
  if (!s.ledger.ok) parts.push("Custody is broken: the ledger fails verification.");
  if (!s.drift) parts.push("No heartbeat was recorded today.");
  else if (s.drift.max <= 10 && s.drift.secondsInBand.yellow + s.drift.secondsInBand.red === 0)
    parts.push("A quiet day: every heartbeat was green.");
  else
    parts.push(
      `Drift peaked at ${s.drift.max}; ${Math.round((s.drift.secondsInBand.red + s.drift.secondsInBand.yellow) / 60)} minutes were spent outside green.`,
    );
  if (s.heartbeats.expected > 0 && s.heartbeats.received < s.heartbeats.expected)
    parts.push(`${s.heartbeats.expected - s.heartbeats.received} heartbeats were expected but not received.`);
  const incidents = s.governance.INCIDENT_OPENED ?? 0;
  if (incidents > 0)
    parts.push(`${incidents} incident(s) opened, ${s.governance.INCIDENT_RESOLVED ?? 0} resolved.`);
  if (s.runs.completed + s.runs.failed > 0)
    parts.push(`${s.runs.completed} run(s) completed (${s.runs.passed} passed), ${s.runs.failed} failed.`);
  if (!s.seal) parts.push("No MVP seal has been taken yet.");
  else if (s.seal.aligned === false)
    parts.push(`Configuration has drifted from the MVP_${s.seal.version} seal.`);
  return parts.join(" ");
}

function bandTime(s: SnapshotSummary): string {
  if (!s.drift) return "no heartbeats";
  const m = (x: number) => `${Math.round(x / 60)} min`;
  const b = s.drift.secondsInBand;
  return `green ${m(b.green)}, yellow ${m(b.yellow)}, red ${m(b.red)}`;
}

function snapshotReply(s: SnapshotSummary, commit: string): Reply {
  const gov =
    Object.entries(s.governance)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ") || "none";
  return {
    summary: `Daily autonomy snapshot ${s.date}: ${s.note}`,
    parts: [
      { kind: "header", text: `📊 Daily autonomy snapshot ${s.date}` },
      { kind: "text", text: s.note },
      {
        kind: "fields",
        fields: [
          {
            label: "Seal",
            value: s.seal
              ? `MVP_${s.seal.version}${s.seal.aligned === false ? " (drifted)" : ""}`
              : "none yet",
          },
          {
            label: "Drift",
            value: s.drift
              ? `min ${s.drift.min} · mean ${s.drift.mean} · max ${s.drift.max}`
              : "no heartbeats",
          },
          { label: "Time in band", value: bandTime(s) },
          {
            label: "Heartbeats",
            value: `${s.heartbeats.received} received of ${s.heartbeats.expected} expected`,
          },
          { label: "Governance", value: gov },
          {
            label: "Runs",
            value: `${s.runs.completed} completed (${s.runs.passed} passed), ${s.runs.failed} failed${s.runs.meanScore === null ? "" : `, mean score ${s.runs.meanScore}`}`,
          },
          {
            label: "Ledger",
            value: s.ledger.ok
              ? `verifies (${s.ledger.size} entries)`
              : `BROKEN at seq ${s.ledger.firstBad?.seq}`,
          },
          {
            label: "Components",
            value: Object.entries(s.components)
              .map(([k, v]) => `${k}: ${v}`)
              .join("; "),
          },
        ],
      },
      {
        kind: "context",
        text: `stored in the vault as snapshots/${s.date}.md, commit ${commit.slice(0, 12)}`,
      },
    ],
  };
}

export function snapshotMarkdown(s: SnapshotSummary): string {
  const gov = Object.entries(s.governance).map(([k, v]) => `- ${k}: ${v}`);
  return `# Daily autonomy snapshot ${s.date} (America/Chicago)

${s.note}

From ${s.from} to ${s.to}.

| signal | value |
|---|---|
| seal | ${s.seal ? `MVP_${s.seal.version} (${s.seal.sealedAt})${s.seal.aligned === false ? ", drifted" : ""}` : "none yet"} |
| drift | ${s.drift ? `min ${s.drift.min}, mean ${s.drift.mean}, max ${s.drift.max}` : "no heartbeats"} |
| time in band | ${bandTime(s)} |
| heartbeats | ${s.heartbeats.received} received / ${s.heartbeats.expected} expected; ${s.heartbeats.missedSlots} missed slots, ${s.heartbeats.late} late |
| runs | ${s.runs.completed} completed (${s.runs.passed} passed), ${s.runs.failed} failed; mean score ${s.runs.meanScore ?? "n/a"} |
| ledger | ${s.ledger.ok ? "verifies" : `BROKEN at seq ${s.ledger.firstBad?.seq}: ${s.ledger.firstBad?.reason}`} (${s.ledger.size} entries) |
| vault | ${s.vault.ok ? "verifies" : "FAILS verification"} (${s.vault.runs} runs) |

## Governance events

${gov.length > 0 ? gov.join("\n") : "None."}

## Components

${Object.entries(s.components)
  .map(([k, v]) => `- ${k}: ${v}`)
  .join("\n")}
`;
}

/** A relay sink's state for the snapshot: off (why), or its outbox counts. */
async function relayState(
  app: SnapshotDeps,
  sink: "notion" | "teamwork",
  off: string | undefined,
): Promise<string> {
  if (off) return `off (${off})`;
  const c = (await app.relays().counts()).bySink[sink];
  return `configured: ${c.delivered} delivered, ${c.pending} pending, ${c.dead} dead letter(s)`;
}
