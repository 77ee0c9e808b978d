import { chicagoIso } from "../core/timestamps.ts";
import type { Evaluation } from "../evaluator/evaluateRun.ts";
import type { StepSummary } from "./runTypes.ts";

export interface DigestInput {
  runId: string;
  correlationId: string;
  stack: string;
  stackGoal: string;
  status: "completed" | "failed" | "cancelled";
  cancelled?: { by: string; via: string };
  steps: StepSummary[];
  evaluation: Evaluation | undefined;
  lessonsApplied: string[];
  /** Memory items the agents' prompts carried, by ledger seq. */
  memoryUsed?: readonly { seq: number; kind: string; vaultPath: string | null; agents: string[] }[];
  finishedAt: Date;
  error?: { code: string; message: string };
}

const STATUS_MARK = { applied: "✅", "not applied": "❌", "not judged": "➖" } as const;

/** codex_digest_report.md: what a reviewer reads first — scores, rationale, what to improve. */
export function digestReport(d: DigestInput): string {
  const e = d.evaluation;
  const lines: string[] = [
    `# Codex digest — ${d.stack}`,
    "",
    `- Run: \`${d.runId}\` (correlation \`${d.correlationId}\`)`,
    `- Finished: ${chicagoIso(d.finishedAt)} (America/Chicago)`,
    `- Goal: ${d.stackGoal}`,
    `- Status: **${d.status}**${d.error ? ` — ${d.error.code}: ${d.error.message}` : ""}${d.cancelled ? ` by ${d.cancelled.by} (${d.cancelled.via})` : ""}`,
  ];
  if (e) {
    lines.push(
      `- Score: **${e.score.toFixed(2)}** / 1.00 — ${e.pass ? "PASS" : "below the bar"} (threshold ${e.threshold})`,
      `- Judge: ${e.judge.provider}${e.judge.provider === "offline" ? " (deterministic heuristics, not a model)" : ""}`,
    );
  }
  lines.push(
    "",
    "## Steps",
    "",
    "| agent | status | provider | attempts | tokens in/out | ms |",
    "|---|---|---|---|---|---|",
  );
  for (const s of d.steps) {
    lines.push(
      `| ${s.agent} | ${s.status} | ${s.provider || "—"} | ${s.attempts} | ${s.tokens.input}/${s.tokens.output} | ${s.ms} |`,
    );
  }
  if (e) {
    lines.push("", "## Scores", "", "| criterion | weight | score | rationale |", "|---|---|---|---|");
    for (const c of e.criteria) {
      lines.push(
        `| ${c.id} | ${c.weight} | ${c.score.toFixed(2)} | ${c.rationale.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`,
      );
    }
    const failed = e.checks.filter((c) => !c.passed);
    lines.push("", "## Deterministic checks", "");
    lines.push(
      ...(e.checks.length === 0
        ? ["No deterministic checks are configured for this stack."]
        : e.checks.map((c) => `- ${c.passed ? "✅" : "❌"} ${c.detail}`)),
    );
    lines.push("", `Formula: ${e.formula}.`);
    lines.push("", "## What to improve", "");
    lines.push(
      ...(e.lessons.length > 0 ? e.lessons.map((l) => `- ${l}`) : ["- Nothing flagged by the evaluator."]),
    );
    if (failed.length > 0)
      lines.push(
        "",
        `${failed.length} deterministic check(s) failed; the verdict cannot pass until they do.`,
      );
  }
  lines.push("", "## Lessons applied from earlier runs", "");
  if (d.lessonsApplied.length === 0) {
    lines.push("- None yet: this is the first run of this stack, or no lessons were recorded.");
  } else if (e?.lessonChecks) {
    // Judged from the deliverable's copy, never from a lesson list a draft carries.
    const applied = e.lessonChecks.filter((c) => c.status === "applied").length;
    lines.push(
      `${applied} of ${e.lessonChecks.length} applied, judged from the copy (a lesson list in a draft counts for nothing):`,
      "",
      ...e.lessonChecks.map((c) => `- ${STATUS_MARK[c.status]} ${c.status}: ${c.lesson} (${c.evidence})`),
    );
  } else {
    lines.push(
      "The run was not evaluated, so whether these were applied was not judged:",
      "",
      ...d.lessonsApplied.map((l) => `- ${l}`),
    );
  }
  const memory = d.memoryUsed ?? [];
  lines.push("", "## Memory used", "");
  lines.push(
    ...(memory.length > 0
      ? memory.map(
          (m) =>
            `- ledger seq ${m.seq} (${m.kind}${m.vaultPath ? `, \`${m.vaultPath}\`` : ""}) → ${m.agents.join(", ")}`,
        )
      : ["- None: the memory index had nothing relevant for this stack yet."]),
  );
  return `${lines.join("\n")}\n`;
}
