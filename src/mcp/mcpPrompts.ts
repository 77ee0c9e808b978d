import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { GetPromptResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { listStacks } from "../../commands/stacks.ts";
import { lastRuns } from "../../commands/status.ts";
import { CodexError } from "../core/CodexError.ts";
import { governedCall, type McpSession } from "./governedCall.ts";

function stackNames(s: McpSession, prefix: string): string[] {
  return listStacks(s.app)
    .stacks.map((x) => x.name)
    .filter((n) => n.startsWith(prefix));
}

async function governedPrompt(
  s: McpSession,
  name: string,
  permission: string,
  build: () => Promise<string>,
): Promise<GetPromptResult> {
  const g = await governedCall(s, "prompt", name, permission, async () => ({
    data: {},
    text: await build(),
  }));
  if (!g.ok) throw new Error(g.text);
  return { messages: [{ role: "user", content: { type: "text", text: g.text } }] };
}

/** `audit_run` and `explain_drift`: prompts that point an assistant at the evidence and the tools that check it. */
export function registerPrompts(server: McpServer, s: McpSession): void {
  server.registerPrompt(
    "audit_run",
    {
      title: "Audit a run",
      description:
        "Audit the latest run of a stack (or a given run id) against its ledger thread and its seal.",
      argsSchema: {
        stack: completable(z.string().describe("the stack whose run to audit"), (value) =>
          stackNames(s, value ?? ""),
        ),
        runId: z.string().optional().describe("a run id (default: the stack's latest run)"),
      },
    },
    ({ stack, runId }) =>
      governedPrompt(s, "audit_run", "ledger", async () => {
        const runs = lastRuns(s.app, 50).filter((r) => r.stack === stack);
        const run = runId ? runs.find((r) => r.runId.startsWith(runId)) : runs[0];
        if (!run) {
          throw new CodexError(
            "NOT_FOUND",
            `no recorded run of ${stack}${runId ? ` with id ${runId}` : ""}`,
            {
              hint: "run it first (run_stack), or pick a stack that has run",
            },
          );
        }
        return [
          `Audit run ${run.runId} of the ${run.stack} stack (started ${run.startedCt} by ${run.actor}).`,
          `Recorded status: ${run.status}; score ${run.score ?? "none"}${run.pass === undefined ? "" : run.pass ? " (pass)" : " (below the bar)"}; seal root ${run.sealRoot ?? "none"}; vault commit ${run.commit ?? "none"}.`,
          "",
          "Steps:",
          "1. Call ledger_verify: the chain, Merkle root and signed checkpoints must be intact.",
          `2. Call vault_verify with runIds ["${run.runId}"]: the sealed folder must re-hash to its seal root.`,
          "3. Read maos://ledger/checkpoint and ask ledger_proof (kind inclusion) for the run's RUN_SEALED entry.",
          "4. Read the sealed files (maos://vault/runs/…) and the digest; check the outputs against the charter's guardrails (maos://charter).",
          "5. Report: what holds, what does not, each claim cited by ledger seq or vault path.",
        ].join("\n");
      }),
  );
  server.registerPrompt(
    "explain_drift",
    {
      title: "Explain drift",
      description:
        "Explain the current drift score from its components, and what would bring it back to green.",
      argsSchema: {
        stack: completable(z.string().optional().describe("a stack to focus on (optional)"), (value) =>
          stackNames(s, value ?? ""),
        ),
      },
    },
    ({ stack }) =>
      governedPrompt(s, "explain_drift", "status", async () => {
        const last = s.app.autonomy().lastHeartbeat();
        const drift = (last?.payload as { drift?: unknown } | undefined)?.drift;
        return [
          `Explain the MAOS Codex drift score${stack ? `, focusing on the ${stack} stack` : ""}.`,
          last
            ? `Latest heartbeat: ledger seq ${last.seq} at ${last.timestampCt}. Its drift reading:\n${JSON.stringify(drift ?? null, null, 2)}`
            : "No heartbeat has been recorded yet: say so, and that /codex activate starts the loop.",
          "",
          "For each component, say what it measures, why it has the points it has (cite ledger seqs; ledger_tail and the status tool give them), and the concrete action that would lower it.",
          "End with whether the band is green, yellow or red, and what STOP–RESET–REALIGN would do in red.",
        ].join("\n");
      }),
  );
}
