import type { ApprovalOutcome } from "../src/approvals/ApprovalService.ts";
import { outcomeReply } from "../src/approvals/commandApprovals.ts";
import { INCIDENT_ID, type IncidentView, incidentReply } from "../src/autonomy/IncidentService.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { Reply } from "../src/core/Reply.ts";
import { chicagoIso } from "../src/core/timestamps.ts";
import type { CommandContext, CommandSpec } from "./CommandSpec.ts";
import { grantingRoles, type Outcome, refusedOutcome } from "./governed.ts";

function incidentId(word: string | undefined, sub: string): string {
  const id = word?.toUpperCase();
  if (!id || !INCIDENT_ID.test(id))
    throw new CodexError("USAGE", `/codex incident ${sub} takes an incident id such as INC-1`);
  return id;
}

function line(i: IncidentView): string {
  const approval = i.approval ? `${i.approval.id} ${i.approval.status}` : "no approval";
  return `• *${i.id}* ${i.status} · ${i.trigger} · ${i.summary} · ${approval} · opened ${chicagoIso(new Date(i.openedAt))}`;
}

export function incidentList(
  ctx: CommandContext,
  filter: "open" | "resolved" | "all",
): Outcome<IncidentView[]> {
  const list = ctx.app.autonomy().incidents.list(filter === "all" ? undefined : filter, 50);
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

export function incidentShow(ctx: CommandContext, id: string): Outcome<IncidentView> {
  const view = ctx.app.autonomy().incidents.mustGet(id);
  return { ok: true, data: view, reply: { ...incidentReply(view), ephemeral: true } };
}

export async function incidentApprove(ctx: CommandContext, id: string): Promise<Outcome<ApprovalOutcome>> {
  const outcome = await ctx.app.autonomy().incidents.approve(id, ctx.actor);
  const ok = outcome.outcome === "accepted";
  return { ok, data: outcome, reply: outcomeReply(outcome) };
}

export async function incidentResolve(
  ctx: CommandContext,
  id: string,
  note: string,
): Promise<Outcome<{ resolved: boolean; incident?: IncidentView; reasons?: string[] }>> {
  try {
    const view = await ctx.app
      .autonomy()
      .incidents.resolve(id, note, ctx.actor, grantingRoles(ctx, "incident.resolve"));
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

/** `incident approve …` and `incident resolve …` have their own charter entries. */
function incidentPermission(args: string[]): string {
  const sub = args[0]?.toLowerCase();
  return sub === "approve" || sub === "resolve" ? `incident.${sub}` : "incident";
}

/** `/codex incident [list [open|resolved|all] | show INC-n | approve INC-n | resolve INC-n <note>]`. */
export const incidentCommand: CommandSpec = {
  name: "incident",
  usage: "incident [list [open|resolved|all] | show INC-n | approve INC-n | resolve INC-n <note>]",
  summary: "governance incidents: their reports, approvals and resolutions",
  permission: incidentPermission,
  forms: [
    { usage: "incident [list [open|resolved|all] | show INC-n]", permission: "incident" },
    { usage: "incident approve INC-n", permission: "incident.approve" },
    { usage: "incident resolve INC-n <note>", permission: "incident.resolve" },
  ],
  async run(args, ctx): Promise<Reply> {
    const [sub = "list", ...rest] = args.map((a, i) => (i === 0 ? a.toLowerCase() : a));
    switch (sub) {
      case "list": {
        const filter = (rest[0]?.toLowerCase() ?? "open") as "open" | "resolved" | "all";
        if (!["open", "resolved", "all"].includes(filter) || rest.length > 1) {
          throw new CodexError("USAGE", "/codex incident list takes open, resolved or all");
        }
        return incidentList(ctx, filter).reply;
      }
      case "show":
        if (rest.length !== 1) throw new CodexError("USAGE", "/codex incident show takes one incident id");
        return incidentShow(ctx, incidentId(rest[0], "show")).reply;
      case "approve":
        if (rest.length !== 1) throw new CodexError("USAGE", "/codex incident approve takes one incident id");
        return (await incidentApprove(ctx, incidentId(rest[0], "approve"))).reply;
      case "resolve": {
        const id = incidentId(rest[0], "resolve");
        return (await incidentResolve(ctx, id, rest.slice(1).join(" "))).reply;
      }
      default:
        throw new CodexError("USAGE", `unknown incident subcommand "${sub}"`);
    }
  },
};
