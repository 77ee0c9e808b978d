import type { ApprovalOutcome } from "../src/approvals/ApprovalService.ts";
import { outcomeReply } from "../src/approvals/commandApprovals.ts";
import { INCIDENT_ID, type IncidentView, incidentReply } from "../src/autonomy/IncidentService.ts";
import { CodexError } from "../src/core/CodexError.ts";
import { chicagoIso } from "../src/core/timestamps.ts";
import type { Caller } from "./CommandSpec.ts";
import { grantingRoles, type Outcome, refusedOutcome } from "./governed.ts";

export function incidentId(word: string | undefined, sub: string): string {
  const id = word?.toUpperCase();
  if (!id || !INCIDENT_ID.test(id))
    throw new CodexError("USAGE", `/codex incident ${sub} takes an incident id such as INC-1`);
  return id;
}

function line(i: IncidentView): string {
  const approval = i.approval ? `${i.approval.id} ${i.approval.status}` : "no approval";
  return `• *${i.id}* ${i.status} · ${i.trigger} · ${i.summary} · ${approval} · opened ${chicagoIso(new Date(i.openedAt))}`;
}

export async function incidentList(
  ctx: Caller<"autonomy">,
  filter: "open" | "resolved" | "all",
): Promise<Outcome<IncidentView[]>> {
  const list = await ctx.app.autonomy().incidents.list(filter === "all" ? undefined : filter, 50);
  const text =
    list.length > 0 ? list.map(line).join("\n") : `no ${filter === "all" ? "" : `${filter} `}incidents`;
  return {
    ok: true,
    data: list,
    reply: {
      summary: `${list.length} ${filter === "all" ? "" : `${filter} `}incidents`,
      ephemeral: true,
      parts: [
        { kind: "header", text: `Governance incidents (${filter})` },
        { kind: "text", text },
      ],
    },
  };
}

export async function incidentShow(ctx: Caller<"autonomy">, id: string): Promise<Outcome<IncidentView>> {
  const view = await ctx.app.autonomy().incidents.mustGet(id);
  return { ok: true, data: view, reply: { ...incidentReply(view), ephemeral: true } };
}

export async function incidentApprove(
  ctx: Caller<"autonomy">,
  id: string,
): Promise<Outcome<ApprovalOutcome>> {
  const outcome = await ctx.app.autonomy().incidents.approve(id, ctx.actor);
  const ok = outcome.outcome === "accepted";
  return { ok, data: outcome, reply: outcomeReply(outcome) };
}

export async function incidentResolve(
  ctx: Caller<"autonomy" | "charter" | "extraRoles">,
  id: string,
  note: string,
): Promise<Outcome<{ resolved: boolean; incident?: IncidentView; reasons?: string[] }>> {
  try {
    const view = await ctx.app
      .autonomy()
      .incidents.resolve(id, note, ctx.actor, grantingRoles(ctx.app, ctx.actor, "incident.resolve"));
    const text = `${view.id} resolved: ${view.resolution}. An operator can now resume with /codex resume.`;
    return {
      ok: true,
      data: { resolved: true, incident: view },
      reply: { summary: text, parts: [{ kind: "text", text }] },
    };
  } catch (err) {
    return refusedOutcome(err, `${id} was not resolved.`, (reasons) => ({ resolved: false, reasons }));
  }
}
