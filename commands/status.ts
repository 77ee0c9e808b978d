import { existsSync } from "node:fs";
import type { App } from "../src/app/App.ts";
import { autonomyInWords, driftComponentLine } from "../src/autonomy/autonomyWords.ts";
import { isCodexError } from "../src/core/CodexError.ts";
import { personName } from "../src/core/personName.ts";
import type { Reply, ReplyPart } from "../src/core/Reply.ts";
import type { LedgerEntry } from "../src/ledger/Ledger.ts";
import { FULL_VERIFY_MAX_AGE_MS } from "../src/ledger/LedgerWatch.ts";
import { lastSecretsLoad } from "../src/secrets/loadNotionSecrets.ts";
import { describeSlackConnection, readSlackConnection } from "../src/state/slackConnection.ts";

/** How many recent runs status lists. */
const LAST_RUNS = 5;

export interface RunRecord {
  stack: string;
  runId: string;
  status: "completed" | "failed" | "aborted" | "cancelled" | "running";
  score: number | undefined;
  pass: boolean | undefined;
  sealRoot: string | undefined;
  commit: string | undefined;
  /** When it started, America/Chicago. */
  startedCt: string;
  actor: string;
}

/** The last runs, newest first, read from their ledger threads (RUN_STARTED … RUN_SEALED). */
export function lastRuns(app: Pick<App, "ledger">, limit = LAST_RUNS): RunRecord[] {
  const ledger = app.ledger();
  return ledger.query({ eventType: "RUN_STARTED", newestFirst: true, limit }).map((started) => {
    const thread = ledger.byCorrelation(started.correlationId);
    const find = (type: string) => thread.find((e) => e.eventType === type);
    const end = find("RUN_COMPLETED") ?? find("RUN_FAILED") ?? find("RUN_ABORTED") ?? find("RUN_CANCELLED");
    const sealed = payload(find("RUN_SEALED"));
    const p = payload(end);
    const s = payload(started);
    return {
      stack: typeof s.stack === "string" ? s.stack : "?",
      runId: typeof s.runId === "string" ? s.runId : started.correlationId,
      status: !end
        ? "running"
        : end.eventType === "RUN_COMPLETED"
          ? "completed"
          : end.eventType === "RUN_FAILED"
            ? "failed"
            : end.eventType === "RUN_CANCELLED"
              ? "cancelled"
              : "aborted",
      score: typeof p.score === "number" ? p.score : undefined,
      pass: typeof p.pass === "boolean" ? p.pass : undefined,
      sealRoot: typeof sealed.sealRoot === "string" ? sealed.sealRoot : undefined,
      commit: typeof sealed.commit === "string" ? sealed.commit : undefined,
      startedCt: started.timestampCt,
      actor: started.actorIdentity,
    };
  });
}

function payload(e: LedgerEntry | undefined): Record<string, unknown> {
  return e && typeof e.payload === "object" && e.payload !== null
    ? (e.payload as Record<string, unknown>)
    : {};
}

/** What status reads. */
export type StatusDeps = Pick<
  App,
  | "autonomy"
  | "charter"
  | "clients"
  | "clock"
  | "custody"
  | "egress"
  | "env"
  | "ledger"
  | "ledgerPath"
  | "relays"
  | "state"
>;

export async function statusReply(app: StatusDeps): Promise<Reply> {
  const parts: ReplyPart[] = [{ kind: "header", text: "MAOS Codex status" }];
  const fields: { label: string; value: string }[] = [];
  let runs: RunRecord[] = [];
  let ledgerSummary: string;
  if (existsSync(app.ledgerPath())) {
    const ledger = app.ledger();
    const head = ledger.head();
    let verified: string;
    try {
      // Only what changed since the last verification (kept signed in state.db), whatever the ledger's
      // size: no full pass because one is due by the hour (seconds at 1M entries); the heartbeat runs it.
      const r = await app.custody({ periodic: false });
      verified = r.ok
        ? `intact (${r.mode === "full" ? "fully verified now" : "new entries verified now"}, ${r.checkpointsChecked} signed checkpoints${lastFullNote(r.lastFullAt, app.clock.now().getTime())})`
        : `BROKEN at seq ${r.firstBad?.seq}: ${r.firstBad?.reason}`;
    } catch (err) {
      if (!isCodexError(err)) throw err;
      verified = `could not verify: ${err.message}`;
    }
    ledgerSummary = `${ledger.size()} ${ledger.size() === 1 ? "entry" : "entries"}, ${verified}`;
    fields.push(
      { label: "Ledger", value: ledgerSummary },
      { label: "Ledger head", value: `\`${head.hash}\` (seq ${head.seq})` },
    );
    runs = lastRuns(app);
  } else {
    ledgerSummary = "no ledger yet";
    fields.push({ label: "Ledger", value: `none yet at ${app.ledgerPath()} (the first run creates it)` });
  }
  const env = app.env;
  fields.push(
    {
      label: "Providers",
      value: `prime \`${env.MAOS_PRIME}\`, backup ${env.MAOS_BACKUP ? `\`${env.MAOS_BACKUP}\`` : "none"}`,
    },
    ...(await autonomyFields(app)),
  );
  parts.push({ kind: "fields", fields });
  const drift = driftLines(app);
  if (drift) parts.push({ kind: "text", text: drift });

  parts.push({
    kind: "text",
    text:
      runs.length > 0 ? `*Last runs*\n${runs.map(runLine).join("\n")}` : "*Last runs*\nno runs recorded yet",
  });
  parts.push({ kind: "text", text: `*Integrations*\n${(await integrations(app)).join("\n")}` });
  const outbox = await outboxLines(app);
  if (outbox) parts.push({ kind: "text", text: outbox });
  parts.push({
    kind: "context",
    text: `charter ${app.charter().file} (sha256 ${app.charter().hash.slice(0, 12)}) · environment ${app.charter().identity.environment}`,
  });
  return { summary: `status: ledger ${ledgerSummary}; ${runs.length} recent runs`, parts };
}

/** When every entry was last verified, once that is longer ago than the heartbeat's hourly full pass. */
function lastFullNote(lastFullAt: number | undefined, now: number): string {
  if (lastFullAt === undefined || now - lastFullAt <= FULL_VERIFY_MAX_AGE_MS) return "";
  const minutes = Math.floor((now - lastFullAt) / 60_000);
  const ago =
    minutes < 120
      ? `${minutes} min`
      : minutes < 48 * 60
        ? `${Math.floor(minutes / 60)} h`
        : `${Math.floor(minutes / 1440)} days`;
  return `; every entry last verified ${ago} ago: /codex ledger verify checks them all now`;
}

function runLine(r: RunRecord): string {
  const score =
    r.score === undefined ? "" : ` · score ${r.score.toFixed(2)}${r.pass ? " (pass)" : " (below the bar)"}`;
  const seal = r.sealRoot ? ` · seal \`${r.sealRoot.slice(0, 16)}\`` : " · not sealed";
  // status is posted in the channel: a mention, never the email the ledger keeps.
  return `• *${r.stack}* ${r.status}${score}${seal} · ${r.startedCt} · ${personName(r.actor)}`;
}

/** Configured or off, from the environment alone: nothing here is probed over the network. */
async function integrations(app: StatusDeps): Promise<string[]> {
  const env = app.env;
  const slack = env.SLACK_BOT_TOKEN
    ? `on (${env.SLACK_APP_TOKEN ? "Socket Mode" : "HTTP mode at /slack/events"}); ${describeSlackConnection(await readSlackConnection(app.state()))}`
    : "off (SLACK_BOT_TOKEN not set)";
  const notionOff = app.relays().notionOff();
  const notion = notionOff
    ? `evidence relay off (${notionOff})`
    : "evidence relay configured (MAOS Activation Ledger)";
  const teamworkVars = {
    TEAMWORK_SITE: env.TEAMWORK_SITE,
    TEAMWORK_API_KEY: env.TEAMWORK_API_KEY,
    TEAMWORK_TASKLIST_ID: env.TEAMWORK_TASKLIST_ID,
  };
  const missing = Object.entries(teamworkVars)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  const teamwork =
    missing.length === 0
      ? "configured"
      : missing.length === 3
        ? "off (TEAMWORK_SITE not set)"
        : `off (incomplete: set ${missing.join(", ")})`;
  const secrets = lastSecretsLoad();
  const clients = app.clients();
  const sync = clients.off() ? undefined : await clients.status();
  const matrix = clients.off()
    ? `off (${clients.off()})`
    : sync
      ? `${(await clients.list()).length} client(s), last sync ${sync.at}${sync.ok ? "" : ` FAILED: ${sync.error}`}`
      : "configured, not synced yet (/codex client sync)";
  return [
    `• Slack: ${slack}`,
    `• Notion: ${notion}`,
    `• Teamwork: ${teamwork}`,
    `• Secrets registry: ${secrets.status}: ${secrets.detail}`,
    `• Client matrix: ${matrix}`,
    `• Egress allowlist: ${app.egress().hosts().join(", ") || "no outbound host (everything offline)"}`,
  ];
}

/** The evidence outbox: pending, delivered, dead letters (with why), from ledger.db. */
async function outboxLines(app: StatusDeps): Promise<string | undefined> {
  if (!existsSync(app.ledgerPath())) return undefined;
  const relays = app.relays();
  const c = await relays.counts();
  const sinks = (Object.entries(c.bySink) as [string, { pending: number; delivered: number; dead: number }][])
    .filter(([, n]) => n.pending + n.delivered + n.dead > 0)
    .map(([sink, n]) => `${sink} ${n.delivered} delivered, ${n.pending} pending, ${n.dead} dead`);
  const lines = [
    `*Evidence outbox*: ${c.pending} pending, ${c.delivered} delivered, ${c.dead} dead letter(s)${c.oldestPendingUtc ? ` · oldest pending since ${c.oldestPendingUtc}` : ""}`,
    ...(sinks.length > 0 ? [`• ${sinks.join(" · ")}`] : []),
  ];
  const dead = await relays.outbox().deadLetters(5);
  if (dead.length > 0) {
    lines.push(
      ...dead.map(
        (d) =>
          `• dead #${d.id} ${d.sink}: ${d.body.item.title} — ${d.lastError ?? "?"} (${d.attempts} tries)`,
      ),
      "Redrive with `maos relay redrive` once the cause is fixed.",
    );
  }
  return lines.join("\n");
}

/** SRR state, the loop, the last heartbeat's drift, open incidents and the last seal. */
async function autonomyFields(app: StatusDeps): Promise<{ label: string; value: string }[]> {
  const kernel = app.autonomy();
  const srr = await kernel.srr();
  const loop = await kernel.loopStatus();
  const ledgerExists = existsSync(app.ledgerPath());
  const last = ledgerExists ? kernel.lastHeartbeat() : undefined;
  const drift = payload(last).drift as { score?: number; band?: string } | undefined;
  const open = await app.state().listIncidents({ status: "open" });
  const seal = await kernel.seals.latest();
  const aligned = payload(last).sealAlignment as { aligned?: boolean } | undefined;
  return [
    { label: "Autonomy", value: autonomyInWords(srr, loop).text },
    {
      label: "Drift",
      value: last
        ? `${drift?.score ?? "?"} (${drift?.band ?? "?"}) at heartbeat seq ${last.seq}, ${last.timestampCt}`
        : "no heartbeat yet",
    },
    {
      label: "Incidents",
      value: open.length > 0 ? `${open.length} open: ${open.map((i) => i.id).join(", ")}` : "none open",
    },
    ...(app.charter().approvals.selfApproval
      ? [{ label: "Governance", value: kernel.selfApprovalNote() ?? "" }]
      : []),
    {
      label: "Seal",
      value: seal
        ? `MVP_${seal.version} (${seal.sealedAt}, commit \`${seal.commit.slice(0, 12)}\`)${aligned?.aligned === false ? ", config changed since" : ""}`
        : "no MVP seal yet",
    },
  ];
}

/** Each drift component's points and share of the score, from the last heartbeat. */
function driftLines(app: StatusDeps): string | undefined {
  if (!existsSync(app.ledgerPath())) return undefined;
  const last = app.autonomy().lastHeartbeat();
  const drift = payload(last).drift as
    | {
        score: number;
        band: string;
        components: { name: string; points: number; share: number; detail: string }[];
      }
    | undefined;
  if (!drift?.components) return undefined;
  const lines = drift.components.map((c) => driftComponentLine(c, drift.score));
  const lead =
    drift.score > 0
      ? `*Drift components* (score ${drift.score} of 100, ${drift.band})`
      : `*Drift components*: none adds anything (score 0 of 100, ${drift.band})`;
  return `${lead}\n${lines.join("\n")}`;
}
