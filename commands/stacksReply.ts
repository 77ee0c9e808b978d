import type { Reply, ReplyPart } from "../src/core/Reply.ts";
import { shortLine } from "../src/core/shortLine.ts";
import type { StackListing } from "../src/stacks/stackListing.ts";

export interface StacksList {
  dir: string;
  stacks: StackListing[];
  /** Files in the folder that did not load, so a broken stack is never silently missing. */
  invalid: { code: string; message: string }[];
}

export function stacksReply(list: StacksList): Reply {
  const parts: ReplyPart[] = [{ kind: "header", text: `Stacks (${list.stacks.length})` }];
  for (const s of list.stacks) {
    const inputs = s.inputs.map((i) =>
      i.required
        ? `\`${i.name}=…\` (required)`
        : `\`${i.name}\` (default: ${i.default === undefined ? "none" : shortLine(i.default)})`,
    );
    parts.push({
      kind: "text",
      text: [
        `*${s.name}*: ${s.goal}`,
        `agents: ${s.agents.map((a) => a.id).join(" → ")}`,
        `inputs: ${inputs.length > 0 ? inputs.join(", ") : "(none)"}`,
      ].join("\n"),
    });
  }
  if (list.stacks.length === 0) parts.push({ kind: "text", text: `no stacks in ${list.dir}` });
  for (const bad of list.invalid) parts.push({ kind: "text", text: `✖ invalid: ${bad.message}` });
  parts.push({
    kind: "context",
    text: `from ${list.dir} (MAOS_STACKS) · run one with /codex run <stack> key=value …`,
  });
  return {
    summary: `${list.stacks.length} stacks: ${list.stacks.map((s) => s.name).join(", ")}`,
    parts,
    ephemeral: true,
  };
}
