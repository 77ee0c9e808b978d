import type { ApprovalOutcome, ApprovalRecord } from "../approvals/ApprovalService.ts";
import { type Actor, actorIdentity } from "../core/Actor.ts";
import { CodexError } from "../core/CodexError.ts";
import { personName } from "../core/personName.ts";
import type { Reply, ReplyPart } from "../core/Reply.ts";
import { chicagoIso } from "../core/timestamps.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import type { EvidenceDraft, EvidencePublisher } from "../relays/EvidencePublisher.ts";
import type { IncidentRow } from "../state/StateStore.ts";
import type { IncidentDeps } from "./AutonomyDeps.ts";
import type { ConfigHashes } from "./configHashes.ts";
import type { DriftComponent, DriftResult } from "./drift.ts";

export type { IncidentRow } from "../state/StateStore.ts";

/** A ledger entry an incident points at, by seq and correlation id. */
export interface LedgerLink {
  seq: number;
  eventType: string;
  correlationId: string;
}

/** The Governance Incident Report: what tripped, the evidence, the drift, the ledger cross-links. */
export interface IncidentReport {
  trigger: string;
  reasons: string[];
  drift?: { score: number; band: string; components: DriftComponent[] };
  evidence: LedgerLink[];
  /** Config hashes frozen at the halt. */
  frozen?: ConfigHashes;
  openedBy: string;
}

export interface IncidentView extends IncidentRow {
  report: IncidentReport;
  approval: ApprovalRecord | undefined;
  approved: boolean;
}

export interface OpenIncident {
  trigger: string;
  summary: string;
  reasons: string[];
  drift?: DriftResult;
  evidence: LedgerLink[];
  frozen?: ConfigHashes;
  actor: Actor;
  correlationId: string;
}

export const INCIDENT_ID = /^INC-\d{1,9}$/;
/** A resolution note long enough to say what was found and done. */
export const MIN_RESOLUTION_CHARS = 10;

/**
 * Governance incidents: `INC-<n>`, each with a report, an approval (kind `incident`, decided by the
 * roles of `permissions["incident.approve"]`, by reaction, button or typed command) and a resolution.
 * Its first message in the signals channel is the approval target; every update goes in its thread.
 */
export class IncidentService {
  readonly #app: IncidentDeps;
  readonly #publisher: () => EvidencePublisher;

  constructor(app: IncidentDeps, publisher: () => EvidencePublisher) {
    this.#app = app;
    this.#publisher = publisher;
  }

  async open(input: OpenIncident): Promise<IncidentView> {
    const app = this.#app;
    const store = app.state();
    const report: IncidentReport = {
      trigger: input.trigger,
      reasons: input.reasons,
      ...(input.drift
        ? { drift: { score: input.drift.score, band: input.drift.band, components: input.drift.components } }
        : {}),
      evidence: input.evidence,
      ...(input.frozen ? { frozen: input.frozen } : {}),
      openedBy: actorIdentity(input.actor),
    };
    const row = await store.insertIncident({
      trigger: input.trigger,
      summary: input.summary,
      report,
      correlationId: input.correlationId,
      openedBy: actorIdentity(input.actor),
      openedSeq: -1,
    });
    // The approval comes first: the opening message carries its buttons, and that message is written
    // with INCIDENT_OPENED (whose seq it therefore cannot quote until it is known).
    const approval = await app.approvals().request({
      kind: "incident",
      subjectId: row.id,
      requestedBy: input.actor,
      prompt: `Approve the resolution of ${row.id} (${input.summary}). Then an approver records what was done with /codex incident resolve ${row.id} <note>, and an operator resumes with /codex resume.`,
      correlationId: input.correlationId,
    });
    await store.setIncidentApproval(row.id, approval.id);
    const pending = await this.mustGet(row.id);
    const opened = await this.#publisher().publish(
      {
        kind: "incident",
        title: `${row.id} opened: ${input.summary}`,
        reply: incidentReply(pending, { opening: true, approverRoles: this.approverRoles() }),
        markdown: incidentMarkdown(pending),
        correlationId: input.correlationId,
        ...(input.drift ? { drift: input.drift.score } : {}),
        governanceStatus: "HALTED",
        occurredAt: app.clock.now(),
        channel: "signals",
        threadKey: row.id,
      },
      {
        eventType: "INCIDENT_OPENED",
        level: "error",
        actor: actorIdentity(input.actor),
        correlationId: input.correlationId,
        payload: { incidentId: row.id, trigger: input.trigger, summary: input.summary, report },
      },
    );
    await store.setIncidentOpenedSeq(row.id, opened.seq);
    return this.mustGet(row.id);
  }

  async get(id: string): Promise<IncidentView | undefined> {
    const row = await this.#app.state().getIncident(id.toUpperCase());
    return row ? this.#view(row) : undefined;
  }

  async mustGet(id: string): Promise<IncidentView> {
    const view = await this.get(id);
    if (!view) {
      throw new CodexError("NOT_FOUND", `there is no incident ${id}`, {
        hint: "incident ids look like INC-3; list them with /codex incident list",
      });
    }
    return view;
  }

  async list(status?: "open" | "resolved", limit = 20): Promise<IncidentView[]> {
    const rows = await this.#app.state().listIncidents({ ...(status ? { status } : {}), limit });
    return Promise.all(rows.map((r) => this.#view(r)));
  }

  approverRoles(): string[] {
    return this.#app.approvals().approverRoles("incident");
  }

  /** `/codex incident approve INC-n`: the same decision as the reaction and the button. */
  async approve(id: string, actor: Actor): Promise<ApprovalOutcome> {
    const view = await this.mustGet(id);
    if (!view.approvalId) {
      throw new CodexError("INTERNAL", `${view.id} has no approval request`, {
        hint: "the incident was opened by a build that crashed before requesting its approval; open a new one with /codex stop",
      });
    }
    return this.#app.approvals().decide(view.approvalId, "approve", actor, "typed");
  }

  /**
   * Records the resolution note. The incident must be approved first; its approval is then consumed,
   * so removing the reaction can no longer revoke it. Refusals throw REFUSED with every reason.
   */
  async resolve(id: string, note: string, actor: Actor, roles: string[]): Promise<IncidentView> {
    const app = this.#app;
    const view = await this.mustGet(id);
    const reasons: string[] = [];
    if (view.status === "resolved")
      reasons.push(`${view.id} was already resolved ${view.resolvedAt ?? ""}`.trim());
    if (!view.approved) {
      reasons.push(
        `${view.id} is not approved yet (${view.approvalId ?? "no approval"} is ${view.approval?.status ?? "missing"}): an approver (${this.approverRoles().join(" or ") || "nobody"}) approves it first`,
      );
    }
    if (note.trim().length < MIN_RESOLUTION_CHARS) {
      reasons.push(
        `the resolution note must say what was found and done (at least ${MIN_RESOLUTION_CHARS} characters)`,
      );
    }
    if (reasons.length > 0) {
      await app.ledger().append({
        eventType: "INCIDENT_RESOLVE_REFUSED",
        level: "warn",
        actor: actorIdentity(actor),
        correlationId: view.correlationId,
        payload: { incidentId: view.id, reasons },
      });
      throw new CodexError("REFUSED", `${view.id} cannot be resolved yet: ${reasons.join("; ")}`, {
        hint: `approve it (reaction, Approve button or /codex incident approve ${view.id}), then /codex incident resolve ${view.id} <what was found and done>`,
        details: { reasons },
      });
    }
    if (view.approval?.status === "approved" && view.approvalId)
      await app.approvals().consume(view.approvalId, actor);
    if (!(await app.state().resolveIncident(view.id, note.trim(), actorIdentity(actor)))) {
      throw new CodexError("REFUSED", `${view.id} was resolved by someone else a moment ago`, {
        hint: `see it with /codex incident show ${view.id}`,
      });
    }
    const resolved = await this.mustGet(view.id);
    await this.#publisher().publish(
      {
        ...this.threadUpdate(
          resolved,
          `${view.id} resolved`,
          `✅ *${view.id} resolved* by ${personName(actor)}: ${note.trim()}\nAn operator can now resume the autonomy loop with \`/codex resume\`.`,
        ),
        // The opening message now reads resolved, with the note, and without its buttons.
        rootReply: incidentReply(resolved),
      },
      {
        eventType: "INCIDENT_RESOLVED",
        level: "info",
        actor: actorIdentity(actor),
        correlationId: view.correlationId,
        payload: { incidentId: view.id, resolution: note.trim(), roles, approvalId: view.approvalId ?? null },
      },
    );
    return resolved;
  }

  /** Writes `cause` with an update for the incident's thread; resolves with the entry. */
  update(view: IncidentRow, title: string, text: string, cause: LedgerAppend): Promise<LedgerEntry> {
    return this.#publisher().publish(this.threadUpdate(view, title, text), cause);
  }

  /**
   * An update for the incident's thread, to publish with the entry it reports. Sinks show that entry's
   * seq beside the text (Notion's Ledger seq, Teamwork's facts); the correlation finds the whole thread.
   */
  threadUpdate(view: IncidentRow, title: string, text: string): EvidenceDraft {
    return {
      kind: "incident",
      title,
      reply: { summary: title, parts: [{ kind: "text", text }] },
      markdown: `## ${title}\n\n${text}\n\nCorrelation \`${view.correlationId}\`.\n`,
      correlationId: view.correlationId,
      occurredAt: this.#app.clock.now(),
      channel: "signals",
      threadKey: view.id,
    };
  }

  async #view(row: IncidentRow): Promise<IncidentView> {
    const approval = row.approvalId ? await this.#app.approvals().get(row.approvalId) : undefined;
    return {
      ...row,
      report: row.report as IncidentReport,
      approval,
      approved: approval?.status === "approved" || approval?.status === "consumed",
    };
  }
}

/** The INCIDENT_OPENED seq, once known: the opening evidence is written with that entry, before it has one. */
function seqText(view: IncidentView, before: string, after: string): string {
  return view.openedSeq >= 0 ? `${before}${view.openedSeq}${after}` : "";
}

function approvalLine(view: IncidentView): string {
  const a = view.approval;
  if (!a) return "no approval request";
  if (a.status === "open") return `${a.id} waiting for an approver`;
  return `${a.id} ${a.status}${a.decidedBy ? ` by ${personName(a.decidedBy)}` : ""}${a.decidedVia ? ` (${a.decidedVia})` : ""}`;
}

function componentLines(components: DriftComponent[]): string[] {
  return components
    .filter((c) => c.points > 0)
    .sort((a, b) => b.points - a.points)
    .map((c) => `• ${c.name}: ${c.points} points (${Math.round(c.share * 100)}%): ${c.detail}`);
}

/** The incident as a Reply: the full report, and on the opening message the Approve/Reject buttons. */
export function incidentReply(
  view: IncidentView,
  opts: { opening?: boolean; approverRoles?: string[] } = {},
): Reply {
  const r = view.report;
  const parts: ReplyPart[] = [
    { kind: "header", text: `🚨 ${view.id}: governance incident` },
    { kind: "text", text: `*${view.summary}*\n${r.reasons.map((x) => `• ${x}`).join("\n")}` },
    {
      kind: "fields",
      fields: [
        { label: "Trigger", value: r.trigger },
        { label: "Status", value: view.status === "resolved" ? "resolved" : "open" },
        { label: "Approval", value: approvalLine(view) },
        { label: "Opened", value: `${chicagoIso(new Date(view.openedAt))} by ${personName(view.openedBy)}` },
        ...(r.drift ? [{ label: "Drift", value: `${r.drift.score} (${r.drift.band})` }] : []),
        { label: "Ledger", value: `${seqText(view, "seq ", " · ")}correlation \`${view.correlationId}\`` },
      ],
    },
  ];
  if (r.drift) {
    const lines = componentLines(r.drift.components);
    if (lines.length > 0) parts.push({ kind: "text", text: `*Drift components*\n${lines.join("\n")}` });
  }
  if (r.evidence.length > 0) {
    parts.push({
      kind: "text",
      text: `*Evidence (ledger)*\n${r.evidence.map((e) => `• seq ${e.seq} ${e.eventType} · \`${e.correlationId}\``).join("\n")}`,
    });
  }
  if (view.resolution) {
    parts.push({
      kind: "text",
      text: `*Resolution* (${view.resolvedBy ? personName(view.resolvedBy) : "?"}, ${view.resolvedAt ? chicagoIso(new Date(view.resolvedAt)) : "?"})\n${view.resolution}`,
    });
  }
  if (opts.opening && view.approvalId) {
    parts.push({
      kind: "approval",
      approvalId: view.approvalId,
      prompt: `Approve the resolution of ${view.id}? Approvers: ${opts.approverRoles?.join(", ") || "nobody (none configured)"}.`,
    });
  }
  parts.push({
    kind: "context",
    text:
      view.status === "resolved"
        ? `${view.id} is resolved. An operator resumes the autonomy loop with /codex resume.`
        : view.approved
          ? `Approved. Next: /codex incident resolve ${view.id} <what was found and done>, then /codex resume.`
          : `The autonomy loop is halted (STOP–RESET–REALIGN). To resume: approve (reaction, button or /codex incident approve ${view.id}), resolve (/codex incident resolve ${view.id} <note>), then /codex resume.`,
  });
  return { summary: `${view.id}: ${view.summary}`, parts };
}

/** The Governance Incident Report as markdown, for Notion and Teamwork. */
export function incidentMarkdown(view: IncidentView): string {
  const r = view.report;
  const lines = [
    `# ${view.id}: governance incident`,
    "",
    `**${view.summary}**`,
    "",
    `- Trigger: ${r.trigger}`,
    `- Opened: ${chicagoIso(new Date(view.openedAt))} by ${view.openedBy}`,
    `- Status: ${view.status}`,
    `- Approval: ${approvalLine(view)}`,
    `- Ledger: ${seqText(view, "seq ", ", ")}correlation \`${view.correlationId}\``,
    "",
    "## Reasons",
    ...r.reasons.map((x) => `- ${x}`),
  ];
  if (r.drift) {
    lines.push(
      "",
      `## Drift: ${r.drift.score} (${r.drift.band})`,
      "",
      "| component | points | share | detail |",
      "|---|---|---|---|",
    );
    for (const c of r.drift.components)
      lines.push(`| ${c.name} | ${c.points} | ${Math.round(c.share * 100)}% | ${c.detail} |`);
  }
  if (r.evidence.length > 0) {
    lines.push(
      "",
      "## Ledger cross-links",
      ...r.evidence.map((e) => `- seq ${e.seq}: ${e.eventType} (\`${e.correlationId}\`)`),
    );
  }
  if (r.frozen) {
    lines.push(
      "",
      "## Frozen config hashes",
      ...Object.entries(r.frozen).map(([f, h]) => `- ${f}: \`${h}\``),
    );
  }
  if (view.resolution)
    lines.push(
      "",
      "## Resolution",
      "",
      view.resolution,
      "",
      `By ${view.resolvedBy ?? "?"} at ${view.resolvedAt ?? "?"}.`,
    );
  return `${lines.join("\n")}\n`;
}
