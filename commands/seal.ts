import { parseSealVersion, SEAL_MEANING, type SealOutcome } from "../src/autonomy/SealService.ts";
import type { Reply } from "../src/core/Reply.ts";
import type { Caller } from "./CommandSpec.ts";
import { grantingRoles, type Outcome, refusedReply } from "./governed.ts";

/** Takes an MVP seal when every condition holds; otherwise lists every failing condition. */
export async function sealOutcome(
  ctx: Caller<"autonomy" | "charter" | "extraRoles">,
  versionWord: string | undefined,
): Promise<Outcome<SealOutcome>> {
  const version = parseSealVersion(versionWord);
  const kernel = ctx.app.autonomy();
  const outcome = await kernel.seals.take(version, ctx.actor, grantingRoles(ctx.app, ctx.actor, "seal"));
  return { ok: outcome.granted, data: outcome, reply: sealReply(outcome) };
}

export function sealReply(o: SealOutcome): Reply {
  const v = o.evaluation.version;
  if (!o.granted) {
    const failing = o.evaluation.conditions.filter((c) => !c.ok);
    return refusedReply(
      `MVP ${v} seal refused: ${failing.length} of ${o.evaluation.conditions.length} conditions fail.`,
      failing.map((c) => `❌ ${c.name}: ${c.detail}`),
      `the refusal is in the ledger (seq ${o.seq}); passing: ${
        o.evaluation.conditions
          .filter((c) => c.ok)
          .map((c) => c.name)
          .join(", ") || "none"
      }`,
    );
  }
  const r = o.record;
  return {
    summary: `MVP ${v} sealed: ${r.file} committed (${r.commit.slice(0, 12)})`,
    parts: [
      { kind: "header", text: `MVP ${v} sealed: ${SEAL_MEANING[v]}` },
      { kind: "text", text: o.evaluation.conditions.map((c) => `✅ ${c.name}: ${c.detail}`).join("\n") },
      {
        kind: "fields",
        fields: [
          { label: "Seal document", value: `\`${r.file}\` (vault commit \`${r.commit.slice(0, 12)}\`)` },
          {
            label: "Ledger checkpoint",
            value: `size ${r.checkpoint.size}, root \`${r.checkpoint.root.slice(0, 16)}…\``,
          },
          { label: "Ledger", value: `SEAL_CREATED at seq ${r.ledgerSeq}` },
          { label: "Config files hashed", value: String(Object.keys(r.hashes).length) },
        ],
      },
      { kind: "context", text: "seal alignment is measured against these hashes from now on" },
    ],
  };
}
