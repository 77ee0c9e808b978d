import type { IncidentView } from "../src/autonomy/IncidentService.ts";
import { incidentReply } from "../src/autonomy/IncidentService.ts";
import type { Caller } from "./CommandSpec.ts";
import { grantingRoles, type Outcome, refusedOutcome } from "./governed.ts";

/** `/codex stop`: STOP–RESET–REALIGN by hand. */
export async function stopOutcome(
  ctx: Caller<"autonomy" | "charter" | "extraRoles">,
  reason: string,
): Promise<Outcome<{ halted: boolean; incident?: IncidentView; reasons?: string[] }>> {
  try {
    const incident = await ctx.app
      .autonomy()
      .stop(ctx.actor, reason || "no reason given", grantingRoles(ctx.app, ctx.actor, "stop"));
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
  ctx: Caller<"autonomy" | "charter" | "extraRoles">,
): Promise<Outcome<{ resumed: boolean; reasons?: string[]; seq?: number; incidents?: string[] }>> {
  try {
    const r = await ctx.app.autonomy().resume(ctx.actor, grantingRoles(ctx.app, ctx.actor, "resume"));
    const text = `▶️ The autonomy loop is RUNNING again (ledger seq ${r.seq}).${r.incidents.length > 0 ? ` Incidents of the halt: ${r.incidents.join(", ")}.` : ""}`;
    return {
      ok: true,
      data: { resumed: true, ...r },
      reply: { summary: text, parts: [{ kind: "text", text }] },
    };
  } catch (err) {
    const halted = (await ctx.app.autonomy().srr()).state === "HALTED";
    const summary = halted ? "resume refused: the loop stays HALTED." : "Nothing to resume.";
    return refusedOutcome(err, summary, (reasons) => ({
      resumed: false,
      reasons,
    }));
  }
}
