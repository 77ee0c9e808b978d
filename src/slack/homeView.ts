import type { ApprovalRecord } from "../approvals/ApprovalService.ts";
import type { Clock } from "../core/clock.ts";
import { personName } from "../core/personName.ts";
import { chicagoIso } from "../core/timestamps.ts";
import { payloadOf } from "../ledger/events.ts";
import type { LedgerHandle } from "../ledger/LedgerHandle.ts";
import type { LedgerWatchReport } from "../ledger/LedgerWatch.ts";
import { type Block, context, divider, escapeMrkdwn, header, section } from "../slackWire/blockKit.ts";
import { fitHomeTab } from "../slackWire/packMessages.ts";

export interface HomeRun {
  runId: string;
  stack: string;
  status: string;
  score: number | undefined;
  pass: boolean | undefined;
  sealRoot: string | undefined;
  commit: string | undefined;
  at: string;
}

export type LedgerCheck =
  | { ok: true; size: number }
  | { ok: false; size: number; reason: string }
  | { ok: false; error: string };

export interface HomeSnapshot {
  runs: HomeRun[];
  ledger: { size: number; head: string; check: LedgerCheck };
  /** What is true about the autonomy loop: SRR state, last heartbeat and drift, incidents, seal. */
  autonomy: string;
  approvals: ApprovalRecord[];
  at: Date;
}

export interface HomeView {
  type: "home";
  blocks: Block[];
}

const RECENT_RUNS = 5;
const SHOWN_APPROVALS = 15;

/** What the App Home reads. */
export interface HomeDeps {
  clock: Clock;
  ledger: () => LedgerHandle;
  /** Custody as of now, incrementally (App["custody"]). */
  custody: () => Promise<LedgerWatchReport>;
  /** The autonomy loop's state in a few lines (the kernel's homeSummary). */
  autonomySummary: () => Promise<string>;
  openApprovals: () => Promise<ApprovalRecord[]>;
}

/**
 * The App Home dashboard: reads the last runs and the ledger state from the ledger, checks custody
 * through the app's incremental verifier (only when the ledger has grown since the last check), and
 * lists open approvals.
 */
export class HomeDashboard {
  readonly #deps: HomeDeps;
  #lastCheck: LedgerCheck | undefined;

  constructor(deps: HomeDeps) {
    this.#deps = deps;
  }

  async snapshot(): Promise<HomeSnapshot> {
    const ledger = this.#deps.ledger();
    const size = ledger.size();
    return {
      runs: recentRuns(ledger),
      ledger: { size, head: ledger.head().hash, check: await this.#check(size) },
      autonomy: await this.#deps.autonomySummary(),
      approvals: await this.#deps.openApprovals(),
      at: this.#deps.clock.now(),
    };
  }

  async view(): Promise<HomeView> {
    return buildHomeView(await this.snapshot());
  }

  async #check(size: number): Promise<LedgerCheck> {
    const last = this.#lastCheck;
    if (last && "size" in last && last.size === size) return last;
    let check: LedgerCheck;
    try {
      const report = await this.#deps.custody();
      check = report.ok
        ? { ok: true, size: report.size }
        : {
            ok: false,
            size: report.size,
            reason: report.firstBad ? `seq ${report.firstBad.seq}: ${report.firstBad.reason}` : "mismatch",
          };
    } catch (err) {
      check = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    this.#lastCheck = check;
    return check;
  }
}

function recentRuns(ledger: LedgerHandle): HomeRun[] {
  const ends = [
    ...ledger.query({ eventType: "RUN_COMPLETED", newestFirst: true, limit: RECENT_RUNS }),
    ...ledger.query({ eventType: "RUN_FAILED", newestFirst: true, limit: RECENT_RUNS }),
    ...ledger.query({ eventType: "RUN_CANCELLED", newestFirst: true, limit: RECENT_RUNS }),
  ]
    .sort((a, b) => b.seq - a.seq)
    .slice(0, RECENT_RUNS);
  return ends.map((end) => {
    const thread = ledger.byCorrelation(end.correlationId);
    const started = thread.find((e) => e.eventType === "RUN_STARTED");
    const sealed = thread.find((e) => e.eventType === "RUN_SEALED");
    const p = payloadOf(end, end.eventType as "RUN_COMPLETED" | "RUN_FAILED" | "RUN_CANCELLED");
    const s = payloadOf(sealed, "RUN_SEALED");
    return {
      runId: str(p.runId) ?? end.correlationId,
      stack: str(payloadOf(started, "RUN_STARTED").stack) ?? "?",
      status: str(p.status) ?? (end.eventType === "RUN_FAILED" ? "failed" : "completed"),
      score: typeof p.score === "number" ? p.score : undefined,
      pass: typeof p.pass === "boolean" ? p.pass : undefined,
      sealRoot: str(s.sealRoot),
      commit: str(s.commit),
      at: end.timestampCt,
    };
  });
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The Home tab as a view, at most 100 blocks. */
export function buildHomeView(s: HomeSnapshot): HomeView {
  const blocks: Block[] = [header("MAOS Codex"), context(`Updated ${chicagoIso(s.at)} (America/Chicago)`)];

  blocks.push(divider(), section("*Recent runs*"));
  if (s.runs.length === 0) blocks.push(context("No runs yet. Start one with `/codex run <stack>`."));
  for (const r of s.runs) {
    // A failed or cancelled run was never scored: its 0 is not "below threshold".
    const score =
      r.status !== "completed"
        ? r.status === "failed"
          ? "🔴 not scored"
          : "not scored"
        : r.score === undefined
          ? "no score"
          : `score ${r.score.toFixed(2)} ${r.pass ? "✅ pass" : "⚠️ below the bar"}`;
    const seal = r.sealRoot ? `seal \`${r.sealRoot.slice(0, 16)}…\`` : "not sealed";
    const commit = r.commit ? ` · commit \`${r.commit.slice(0, 12)}\`` : "";
    blocks.push(
      section(`*${escapeMrkdwn(r.stack)}* · ${r.status} · ${score}\n${seal}${commit}`),
      context(`run \`${escapeMrkdwn(r.runId)}\` · ${r.at}`),
    );
  }

  blocks.push(divider(), section("*LedgerHandle*"));
  const c = s.ledger.check;
  const verdict =
    "error" in c
      ? `⚠️ could not verify: ${escapeMrkdwn(c.error)}`
      : c.ok
        ? `✅ verified (${c.size} entries: chain, Merkle root and signed checkpoints)`
        : `❌ verification failed at ${escapeMrkdwn(c.reason)}`;
  blocks.push(section(`${s.ledger.size} entries · head \`${s.ledger.head.slice(0, 16)}…\`\n${verdict}`));

  blocks.push(divider(), section(`*Autonomy*\n${escapeMrkdwn(s.autonomy)}`));

  blocks.push(divider(), section(`*Open approvals* (${s.approvals.length})`));
  if (s.approvals.length === 0) blocks.push(context("Nothing is waiting for approval."));
  for (const a of s.approvals.slice(0, SHOWN_APPROVALS)) {
    blocks.push(
      section(
        `\`${a.id}\` · ${escapeMrkdwn(a.kind)} ${escapeMrkdwn(a.subjectId)}\n${escapeMrkdwn(a.prompt)}\n_requested by ${personName(a.requestedBy)}_`,
      ),
    );
  }
  if (s.approvals.length > SHOWN_APPROVALS) {
    blocks.push(context(`…and ${s.approvals.length - SHOWN_APPROVALS} more`));
  }
  return { type: "home", blocks: fitHomeTab(blocks) };
}
