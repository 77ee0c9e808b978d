import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { CallToolResult, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { AnyCommand, Outcome } from "../../commands/CommandSpec.ts";
import { checkPermission, permissionOf } from "../../commands/permissions.ts";
import { COMMANDS } from "../../commands/registry.ts";
import { run, runReply } from "../../commands/run.ts";
import type { ValidationResult } from "../../commands/stacks.ts";
import type { StacksList } from "../../commands/stacksReply.ts";
import { checkInput } from "../../commands/words.ts";
import type { AuditReport } from "../audit/auditVerify.ts";
import { replyToText } from "../core/replyText.ts";
import type { RunProgress } from "../executor/RunProgress.ts";
import type { LedgerEntry } from "../ledger/Ledger.ts";
import type { VaultVerifyReport } from "../vault/Vault.ts";
import { type Answer, commandContext, type Governed, governedCall, type McpSession } from "./governedCall.ts";
import { ledgerProof } from "./ledgerProof.ts";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

interface ToolDef {
  name: string;
  title: string;
  description: string;
  /** The registry command the tool runs: its charter permission is the one every call checks. */
  command: string;
  /** Listed only when the charter grants it to the caller (seal, stop, resume, approvals). */
  governed?: boolean;
  readOnly: boolean;
  input: z.ZodRawShape;
  output: z.ZodRawShape;
  run(args: Record<string, unknown>, s: McpSession, extra: Extra): Promise<Answer>;
}

const loose = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);
const fromOutcome = (o: Outcome<unknown>, key: string): Answer => ({
  data: { ok: o.ok, [key]: o.data },
  text: replyToText(o.reply),
  outcome: o.ok ? "ok" : "refused",
});
const outcomeShape = { ok: z.boolean() };

function command(name: string): AnyCommand {
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) throw new Error(`no command "${name}" in the registry`);
  return spec;
}

/** Runs a registry command for the session's caller, its input checked by the command's own schema. */
async function execute<T>(s: McpSession, name: string, raw: Record<string, unknown>): Promise<Outcome<T>> {
  const spec = command(name);
  const input = await checkInput(spec, raw);
  return (await spec.execute(input, { actor: s.caller.actor, deps: s.app, surface: "mcp" })) as Outcome<T>;
}

const TOOLS: ToolDef[] = [
  {
    name: "run_stack",
    title: "Run a stack",
    description:
      "Run an agent stack under the charter: agents in order, evaluation, seal, vault commit and ledger. Sends a progress notification per agent; cancelling the request stops the run before its next agent.",
    command: "run",
    readOnly: false,
    input: {
      stack: z.string().min(1).describe("stack name, e.g. marketing_ops (list_stacks names them)"),
      inputs: z.record(z.string(), z.string()).optional().describe("stack inputs, key → value"),
      provider: z
        .string()
        .optional()
        .describe("prime provider for this run: offline, openai:MODEL, anthropic:MODEL"),
    },
    output: {
      runId: z.string(),
      correlationId: z.string(),
      stack: z.string(),
      status: z.enum(["completed", "failed"]),
      score: z.number(),
      pass: z.boolean(),
      steps: z.array(
        loose({ agent: z.string(), provider: z.string(), attempts: z.number(), ms: z.number() }),
      ),
      vault: loose({ path: z.string(), commit: z.string() }),
      seal: loose({ root: z.string() }),
      ledger: loose({ size: z.number(), head: z.string() }),
    },
    async run(args, s, extra) {
      const token = extra._meta?.progressToken;
      // Progress must grow with every notification: an agent at work counts half a step.
      let progress = 0;
      let total = 0;
      const onProgress = (e: RunProgress) => {
        if (token === undefined) return;
        let message: string | undefined;
        if (e.type === "started") {
          total = e.agents.length + 1;
          message = `started ${e.stack}: ${e.agents.join(" → ")}`;
        } else if (e.type === "step") {
          progress = e.state === "running" ? e.index + 0.5 : e.index + 1;
          message =
            e.state === "running"
              ? `${e.agent} running`
              : `${e.agent} ${e.state}${e.provider ? ` (${e.provider})` : ""}`;
        } else if (e.type === "sealed") {
          progress = total;
          message = `sealed, commit ${e.commit.slice(0, 12)}`;
        }
        if (message === undefined) return;
        extra
          .sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress, ...(total > 0 ? { total } : {}), message },
          })
          .catch(() => {});
      };
      const summary = await run(
        {
          stack: String(args.stack),
          inputs: (args.inputs as Record<string, string> | undefined) ?? {},
          provider: args.provider as string | undefined,
        },
        s.caller.actor,
        s.app,
        onProgress,
        { signal: extra.signal },
      );
      const cancelled = summary.status === "cancelled";
      return {
        data: summary as unknown as Record<string, unknown>,
        text: replyToText(runReply(summary, {})),
        outcome: cancelled ? "cancelled" : summary.status === "completed" ? "ok" : "error",
      };
    },
  },
  {
    name: "list_stacks",
    title: "List stacks",
    description: "The stacks in MAOS_STACKS, their agents and inputs, and any file that did not load.",
    command: "stacks list",
    readOnly: true,
    input: {},
    output: {
      dir: z.string(),
      stacks: z.array(loose({ name: z.string(), goal: z.string() })),
      invalid: z.array(loose({})),
    },
    async run(_args, s) {
      const o = await execute<StacksList>(s, "stacks list", {});
      return { data: { ...o.data }, text: replyToText(o.reply) };
    },
  },
  {
    name: "validate_stack",
    title: "Validate stacks",
    description: "Validates the stack files in MAOS_STACKS (all, or the one named).",
    command: "stacks validate",
    readOnly: true,
    input: { stack: z.string().optional().describe("a stack name or file name; all when omitted") },
    output: {
      ok: z.boolean(),
      results: z.array(loose({ file: z.string(), ok: z.boolean(), errors: z.array(z.string()) })),
    },
    async run(args, s) {
      const all = (await execute<ValidationResult>(s, "stacks validate", {})).data;
      const want = args.stack as string | undefined;
      const results = want
        ? all.results.filter(
            (r) => r.name === want || r.file.endsWith(`/${want}`) || r.file.includes(`/${want}.`),
          )
        : all.results;
      const ok = results.length > 0 && results.every((r) => r.ok);
      const lines = results.map(
        (r) => `${r.ok ? "✔" : "✖"} ${r.name ?? r.file}${r.ok ? "" : `: ${r.errors.join("; ")}`}`,
      );
      return {
        data: { ok, results },
        text: results.length > 0 ? lines.join("\n") : `no stack named "${want}" in ${s.app.stacksDir}`,
        outcome: ok ? "ok" : "error",
      };
    },
  },
  {
    name: "status",
    title: "Status",
    description:
      "The ledger, SRR state, the loop, drift, incidents, seals and integrations, as they are now.",
    command: "status",
    readOnly: true,
    input: {},
    output: { srr: z.unknown().optional() },
    async run(_args, s) {
      const o = await execute<Record<string, unknown>>(s, "status", {});
      return { data: o.data, text: replyToText(o.reply) };
    },
  },
  {
    name: "ledger_tail",
    title: "Ledger tail",
    description: "The last N ledger entries, oldest first.",
    command: "ledger tail",
    readOnly: true,
    input: { n: z.number().int().min(1).max(500).default(10).describe("how many entries (1–500)") },
    output: { entries: z.array(loose({ seq: z.number(), eventType: z.string(), entryHash: z.string() })) },
    async run(args, s) {
      const o = await execute<LedgerEntry[]>(s, "ledger tail", { lines: Number(args.n ?? 10) });
      return { data: { entries: o.data }, text: replyToText(o.reply) };
    },
  },
  {
    name: "ledger_verify",
    title: "Verify the ledger",
    description:
      "Re-checks the hash chain, the Merkle root and every signed checkpoint (including the vault's copies).",
    command: "ledger verify",
    readOnly: true,
    input: {},
    output: { ok: z.boolean(), size: z.number() },
    async run(_args, s) {
      const o = await execute<AuditReport>(s, "ledger verify", {});
      const report = o.data;
      return {
        data: report as unknown as Record<string, unknown>,
        text: replyToText(o.reply),
        outcome: report.ok ? "ok" : "error",
      };
    },
  },
  {
    name: "ledger_proof",
    title: "Ledger proof",
    description:
      "RFC 6962 proofs over the ledger's Merkle tree: inclusion of entry SEQ in the tree of SIZE entries, or consistency of an older size with the current tree.",
    command: "ledger proof inclusion",
    readOnly: true,
    input: {
      kind: z.enum(["inclusion", "consistency"]),
      seq: z.number().int().min(0).optional().describe("inclusion: the entry's seq"),
      size: z.number().int().min(1).optional().describe("inclusion: tree size (default: the current size)"),
      oldSize: z.number().int().min(1).optional().describe("consistency: the older tree size"),
    },
    output: { kind: z.string(), size: z.number(), root: z.string(), proof: z.array(z.string()) },
    async run(args, s) {
      const p = ledgerProof(s.app, args as unknown as Parameters<typeof ledgerProof>[1]);
      return { data: { ...p }, text: JSON.stringify(p, null, 2) };
    },
  },
  {
    name: "vault_verify",
    title: "Verify the vault",
    description: "Re-hashes sealed run folders against their SEAL.json (all, or the given run ids).",
    command: "vault verify",
    readOnly: true,
    input: { runIds: z.array(z.string()).optional().describe("run ids, short ids or folder names") },
    output: { ok: z.boolean(), runs: z.array(loose({ folder: z.string(), ok: z.boolean() })) },
    async run(args, s) {
      const o = await execute<VaultVerifyReport>(s, "vault verify", { runIds: args.runIds ?? [] });
      const report = o.data;
      const bad = report.runs.filter((r) => !r.ok);
      const text = report.ok
        ? `vault intact: ${report.runs.length} sealed run folder(s) re-hashed`
        : `vault BROKEN: ${bad.map((r) => `${r.folder} (${[...r.changed, ...r.missing, ...r.extra].join(", ") || r.sealError || "root mismatch"})`).join("; ")}`;
      return { data: { ...report }, text, outcome: report.ok ? "ok" : "error" };
    },
  },
  {
    name: "incident_list",
    title: "List incidents",
    description: "Governance incidents, newest first.",
    command: "incident list",
    readOnly: true,
    input: { filter: z.enum(["open", "resolved", "all"]).default("open") },
    output: { ...outcomeShape, incidents: z.array(loose({ id: z.string(), status: z.string() })) },
    async run(args, s) {
      return fromOutcome(await execute(s, "incident list", { filter: args.filter ?? "open" }), "incidents");
    },
  },
  {
    name: "incident_show",
    title: "Show an incident",
    description: "An incident's report, approval and resolution.",
    command: "incident show",
    readOnly: true,
    input: {
      id: z
        .string()
        .regex(/^INC-\d{1,9}$/i)
        .describe("INC-n"),
    },
    output: { ...outcomeShape, incident: loose({ id: z.string() }) },
    async run(args, s) {
      return fromOutcome(
        await execute(s, "incident show", { id: String(args.id).toUpperCase() }),
        "incident",
      );
    },
  },
  {
    name: "incident_approve",
    title: "Approve an incident",
    description: "Approves an incident (as the Slack reaction or the Approve button would).",
    command: "incident approve",
    governed: true,
    readOnly: false,
    input: {
      id: z
        .string()
        .regex(/^INC-\d{1,9}$/i)
        .describe("INC-n"),
    },
    output: { ...outcomeShape, approval: loose({}) },
    async run(args, s) {
      return fromOutcome(
        await execute(s, "incident approve", { id: String(args.id).toUpperCase() }),
        "approval",
      );
    },
  },
  {
    name: "incident_resolve",
    title: "Resolve an incident",
    description: "Records what was found and done; the incident must be approved first.",
    command: "incident resolve",
    governed: true,
    readOnly: false,
    input: {
      id: z.string().regex(/^INC-\d{1,9}$/i),
      note: z.string().min(1).describe("what was found and done"),
    },
    output: { ...outcomeShape, resolution: loose({ resolved: z.boolean() }) },
    async run(args, s) {
      return fromOutcome(
        await execute(s, "incident resolve", {
          id: String(args.id).toUpperCase(),
          note: [String(args.note)],
        }),
        "resolution",
      );
    },
  },
  {
    name: "memory_search",
    title: "Search memory",
    description:
      "Searches the memory index (run outputs, evaluations, lessons, incident reports): keyword BM25 always, plus vectors when MAOS_EMBEDDINGS is set. Every hit cites its ledger seq and vault path.",
    command: "memory search",
    readOnly: true,
    input: {
      query: z.string().min(1),
      stack: z.string().optional().describe("only this stack's memory"),
      limit: z.number().int().min(1).max(50).default(5),
    },
    output: {
      query: z.string(),
      mode: z.string(),
      hits: z.array(loose({ seq: z.number(), text: z.string() })),
    },
    async run(args, s) {
      const o = await execute<Record<string, unknown>>(s, "memory search", {
        query: [String(args.query)],
        ...(args.stack ? { stack: String(args.stack) } : {}),
        limit: Number(args.limit ?? 5),
      });
      return { data: { ...o.data }, text: replyToText(o.reply) };
    },
  },
  {
    name: "seal",
    title: "Take an MVP seal",
    description: "Takes an MVP seal (v0…v4) once its conditions hold; otherwise lists every failing one.",
    command: "seal",
    governed: true,
    readOnly: false,
    input: {
      version: z
        .string()
        .regex(/^v[0-4]$/)
        .describe("v0…v4"),
    },
    output: { ...outcomeShape, seal: loose({}) },
    async run(args, s) {
      return fromOutcome(await execute(s, "seal", { version: String(args.version) }), "seal");
    },
  },
  {
    name: "stop",
    title: "STOP–RESET–REALIGN",
    description: "Halts the autonomy loop, freezes configs and opens an incident.",
    command: "stop",
    governed: true,
    readOnly: false,
    input: { reason: z.string().min(1) },
    output: { ...outcomeShape, stop: loose({}) },
    async run(args, s) {
      return fromOutcome(await execute(s, "stop", { reason: [String(args.reason)] }), "stop");
    },
  },
  {
    name: "resume",
    title: "Resume the autonomy loop",
    description:
      "Resumes the loop once the halt's incidents are approved and resolved; otherwise says why not.",
    command: "resume",
    governed: true,
    readOnly: false,
    input: {},
    output: { ...outcomeShape, resume: loose({}) },
    async run(_args, s) {
      return fromOutcome(await execute(s, "resume", {}), "resume");
    },
  },
];

export const TOOL_NAMES = TOOLS.map((t) => t.name);

function toResult(g: Governed): CallToolResult {
  if (!g.ok && g.data === undefined) return { isError: true, content: [{ type: "text", text: g.text }] };
  return {
    ...(g.ok ? {} : { isError: true }),
    content: [{ type: "text", text: g.text }],
    ...(g.data ? { structuredContent: g.data } : {}),
  };
}

/**
 * Registers the tools for one session's caller. Governed tools appear only when the charter grants them
 * to the caller; every call is checked again (the charter may have changed since the session began).
 */
export function registerTools(server: McpServer, s: McpSession): void {
  const ctx = commandContext(s);
  for (const t of TOOLS) {
    const permission = permissionOf(command(t.command), {});
    if (t.governed && !checkPermission(ctx.app, ctx.actor, permission).allowed) continue;
    server.registerTool(
      t.name,
      {
        title: t.title,
        description: t.description,
        inputSchema: t.input,
        outputSchema: z.looseObject(t.output),
        annotations: { readOnlyHint: t.readOnly, openWorldHint: false },
      },
      async (args: Record<string, unknown>, extra: Extra) =>
        toResult(await governedCall(s, "tool", t.name, permission, () => t.run(args, s, extra))),
    );
  }
}
