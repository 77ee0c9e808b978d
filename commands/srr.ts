import type { IncidentView } from "../src/autonomy/IncidentService.ts";
import { incidentReply } from "../src/autonomy/IncidentService.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { CommandContext, CommandSpec } from "./CommandSpec.ts";
import { grantingRoles, type Outcome, refusedOutcome } from "./governed.ts";

/** `/codex stop`: STOP–RESET–REALIGN by hand. */
export async function stopOutcome(
  ctx: CommandContext,
  reason: string,
): Promise<Outcome<{ halted: boolean; incident?: IncidentView; reasons?: string[] }>> {
  try {
    const incident = await ctx.app
      .autonomy()
      .stop(ctx.actor, reason || "no reason given", grantingRoles(ctx, "stop"));
    // With the Approve buttons: a reaction or a click on this reply counts like one on the signals post.
    const reply = incidentReply(incident, {
      opening: true,
      approverRoles: ctx.app.autonomy().incidents.approverRoles(),
    });
    return {
      ok: true,
      data: { halted: true, incident },
      reply: {
        ...reply,
        summary: `STOP–RESET–REALIGN: the autonomy loop is HALTED; ${incident.id} opened`,
        parts: [
          { kind: "text", text: `🛑 The autonomy loop is HALTED; ${incident.id} is open.` },
          ...reply.parts,
        ],
      },
    };
  } catch (err) {
    return refusedOutcome(err, "stop refused.", (reasons) => ({ halted: false, reasons }));
  }
}

/** `/codex resume`: refused, with every reason, until the halt's incidents are approved and resolved. */
export async function resumeOutcome(
  ctx: CommandContext,
): Promise<Outcome<{ resumed: boolean; reasons?: string[]; seq?: number; incidents?: string[] }>> {
  try {
    const r = await ctx.app.autonomy().resume(ctx.actor, grantingRoles(ctx, "resume"));
    const text = `▶️ The autonomy loop is RUNNING again (ledger seq ${r.seq}).${r.incidents.length > 0 ? ` Incidents of the halt: ${r.incidents.join(", ")}.` : ""}`;
    return {
      ok: true,
      data: { resumed: true, ...r },
      reply: { summary: text, parts: [{ kind: "text", text }] },
    };
  } catch (err) {
    const halted = ctx.app.autonomy().srr().state === "HALTED";
    const summary = halted ? "resume refused: the loop stays HALTED." : "Nothing to resume.";
    return refusedOutcome(err, summary, (reasons) => ({
      resumed: false,
      reasons,
    }));
  }
}

export const stopCommand: CommandSpec = {
  name: "stop",
  usage: "stop [reason …]",
  summary: "STOP–RESET–REALIGN by hand: halt the autonomy loop, freeze configs, open an incident",
  async run(args, ctx) {
    return (await stopOutcome(ctx, args.join(" ").trim())).reply;
  },
};

export const resumeCommand: CommandSpec = {
  name: "resume",
  usage: "resume",
  summary: "resume the autonomy loop once every incident of the halt is approved and resolved",
  async run(args, ctx) {
    if (args.length > 0) throw new CodexError("USAGE", "/codex resume takes no arguments");
    return (await resumeOutcome(ctx)).reply;
  },
};
