import { CodexError, isCodexError } from "../src/core/CodexError.ts";
import type { Reply } from "../src/core/Reply.ts";
import type { Zod } from "./CommandSpec.ts";
import { type AnyCommand, defineCommand, type Outcome } from "./CommandSpec.ts";
import { collectInput, parsePositive, parseWhole } from "./words.ts";

// Every command, once, for every adapter: Slack and the shell read `chat`, the CLI `cli`, MCP the
// schema and the permission. Implementations load when a command runs (`await import`), so the CLI's
// `maos --help`, `stacks list` and `ledger tail` never load the kernel, the vault or the SDKs.

/** A reply of one line, for commands whose result is mostly data. */
const textReply = (text: string, extra: Partial<Reply> = {}): Reply => ({
  summary: text,
  parts: [{ kind: "text", text }],
  ...extra,
});
const done = <T>(data: T, reply: Reply, ok = true): Outcome<T> => ({ ok, data, reply });
// Schemas are built when a command runs (zod is slow to load; `maos --help` never pays for it).
const words = (z: Zod) => z.array(z.string()).default([]);
const joined = (z: Zod) => words(z).transform((w) => w.join(" "));
const dbOption = {
  key: "db",
  flags: "--db <file>",
  description: "the ledger file (default: MAOS_HOME/ledger.db)",
};

/** Approval ids are opaque tokens; this keeps a typo'd sentence from being taken as one. */
const APPROVAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const RUN_STACK_MISSING = "name the stack to run, for example `/codex run marketing_ops event=Expo`";
const CANCEL_USAGE = "name the run to cancel, for example `/codex cancel 3f2a9c1e`";
const INCIDENT_FILTER = "/codex incident list takes open, resolved or all";
const DEFAULT_TAIL = 10;
/** A chat message holds this many entry lines comfortably; `maos ledger tail -n` has no cap. */
const MAX_TAIL = 100;

function decide(decision: "approve" | "reject"): AnyCommand {
  const wrong = `/codex ${decision} takes exactly one approval id`;
  return defineCommand({
    name: decision,
    usage: `${decision} <approvalId>`,
    summary: `${decision} a pending approval by its id (typed approvals, for the shell)`,
    // Deciding an approval is the charter's approval right; the service may check more (self-approval).
    permission: "incident.approve",
    input: (z) => z.object({ id: z.string() }),
    deps: [],
    chat: {
      words: [decision],
      args: [
        {
          key: "id",
          parse: (w) => {
            if (!APPROVAL_ID.test(w)) throw new CodexError("USAGE", wrong);
            return w;
          },
        },
      ],
      wrongCount: wrong,
    },
    async execute({ id }, ctx) {
      if (!ctx.approvals) {
        const { errorReply } = await import("./replies.ts");
        return done(
          null,
          errorReply(
            `no approvals service is running in this process, so approval ${id} cannot be decided here.`,
          ),
          false,
        );
      }
      return done(null, await ctx.approvals.decide(id, decision, ctx.actor));
    },
  });
}

function incidentCommand(
  sub: "show" | "approve",
  permission: string,
  description: string,
  fn: "incidentShow" | "incidentApprove",
): AnyCommand {
  return defineCommand({
    name: `incident ${sub}`,
    usage: `incident ${sub} INC-n`,
    summary: description,
    permission,
    input: (z) => z.object({ id: z.string() }),
    deps: ["autonomy"],
    chat: {
      words: ["incident", sub],
      args: [{ key: "id" }],
      wrongCount: `/codex incident ${sub} takes one incident id`,
    },
    cli: { path: ["incident", sub], description, args: [{ key: "id", name: "<id>", description: "INC-n" }] },
    async execute({ id }, ctx): Promise<Outcome<unknown>> {
      const m = await import("./incident.ts");
      const caller = { app: ctx.deps, actor: ctx.actor };
      // Chat takes inc-1 as INC-1 and names the form on a bad id; the CLI passes the id as typed.
      const which = ctx.surface === "chat" ? m.incidentId(id, sub) : id;
      return fn === "incidentShow" ? m.incidentShow(caller, which) : m.incidentApprove(caller, which);
    },
  });
}

/** Every command, in the order chat's help lists them. */
export const COMMANDS: AnyCommand[] = [
  defineCommand({
    name: "help",
    usage: "help",
    summary: "the commands you may run",
    permission: "help",
    input: (z) => z.object({}),
    deps: ["charter", "extraRoles"],
    // Help ignores whatever follows it.
    chat: { words: ["help"], args: [{ key: "_", variadic: true, optional: true }] },
    async execute(_input, ctx) {
      const { helpReply } = await import("./dispatch.ts");
      return done(null, helpReply(ctx.deps, ctx.actor));
    },
  }),
  defineCommand({
    name: "run",
    usage: "run <stack> [key=value …]",
    summary: "run a stack: agents, evaluation, seal, vault commit and ledger",
    permission: "run",
    input: (z) =>
      z.object({
        stack: z.string(),
        inputs: z.record(z.string(), z.string()).default({}),
        provider: z.string().optional(),
      }),
    deps: "app",
    chat: {
      words: ["run"],
      args: [
        {
          key: "stack",
          parse: (w) => {
            if (w.includes("=")) throw new CodexError("USAGE", RUN_STACK_MISSING);
            return w;
          },
        },
      ],
      pairs: "inputs",
      wrongCount: RUN_STACK_MISSING,
    },
    cli: {
      path: ["run"],
      description: "run a stack, seal it into the vault and write it to the ledger",
      args: [{ key: "stack", name: "<stack>", description: "stack name, e.g. marketing_ops" }],
      options: [
        {
          key: "inputs",
          attribute: "input",
          flags: "-i, --input <key=value>",
          description: "a stack input (repeatable)",
          parse: (v, prev) => collectInput(v, prev as Record<string, string>),
          default: {},
        },
        {
          key: "provider",
          flags: "--provider <spec>",
          description: "prime provider for this run: offline, openai:MODEL or anthropic:MODEL",
        },
      ],
    },
    async execute(input, ctx) {
      const { runOutcome, unknownStackReply } = await import("./run.ts");
      try {
        return await runOutcome(input, { ...ctx, app: ctx.deps });
      } catch (err) {
        // On chat a mistyped stack is answered with the stacks there are; the CLI exits 2 naming it.
        if (ctx.surface === "chat" && isCodexError(err) && err.code === "STACK_NOT_FOUND")
          return done(null, unknownStackReply(err.message, ctx.deps), false);
        throw err;
      }
    },
  }),
  defineCommand({
    name: "stacks list",
    usage: "stacks",
    summary: "the stacks you can run, and their inputs",
    permission: "stacks",
    input: (z) => z.object({}),
    deps: ["stacksDir"],
    chat: { words: ["stacks"] },
    cli: { path: ["stacks", "list"], description: "list the stacks in MAOS_STACKS", ungoverned: true },
    async execute(_input, ctx) {
      const { listStacks, stacksReply } = await import("./stacks.ts");
      const list = listStacks(ctx.deps);
      return done(list, stacksReply(list));
    },
  }),
  defineCommand({
    name: "stacks validate",
    usage: "stacks validate [FILE…]",
    summary: "validate stack files (all in MAOS_STACKS when none are given)",
    permission: "stacks",
    input: (z) => z.object({ files: words(z) }),
    deps: ["stacksDir"],
    cli: {
      path: ["stacks", "validate"],
      description: "validate stack files (all in MAOS_STACKS when none are given)",
      args: [{ key: "files", name: "[files...]", description: "stack files" }],
      ungoverned: true,
    },
    async execute({ files }, ctx) {
      const { validateStacks } = await import("./stacks.ts");
      const r = validateStacks(files, ctx.deps);
      const bad = r.results.filter((x) => !x.ok);
      return done(r, textReply(r.ok ? `${r.results.length} stack(s) valid` : `${bad.length} invalid`), r.ok);
    },
  }),
  defineCommand({
    name: "status",
    usage: "status",
    summary: "ledger, last runs, providers and integrations, as they are now",
    permission: "status",
    input: (z) => z.object({}),
    deps: [
      "autonomy",
      "charter",
      "clients",
      "custody",
      "egress",
      "env",
      "ledger",
      "ledgerPath",
      "relays",
      "state",
    ],
    chat: { words: ["status"] },
    cli: {
      path: ["status"],
      description: "the ledger, SRR state, the loop, drift and its components, incidents, seals",
    },
    async execute(_input, ctx) {
      const [{ statusReply }, { existsSync }] = await Promise.all([import("./status.ts"), import("node:fs")]);
      const reply = await statusReply(ctx.deps);
      // The JSON state only where it is printed: reading it opens the ledger, which chat's status must not create.
      if (ctx.surface === "chat") return done(null, reply);
      const outbox = existsSync(ctx.deps.ledgerPath()) ? ctx.deps.relays().counts() : null;
      return done({ ...ctx.deps.autonomy().stateJson(), outbox }, reply);
    },
  }),
  defineCommand({
    name: "ledger tail",
    usage: "ledger [tail [N]|verify]",
    summary: `the last N ledger entries (default ${DEFAULT_TAIL}), or verify the whole chain`,
    permission: "ledger",
    input: (z) => z.object({ lines: z.number().int().positive() }),
    deps: ["ledger", "ledgerPath"],
    chat: {
      words: ["ledger", "tail"],
      isDefault: true,
      args: [
        {
          key: "lines",
          optional: true,
          default: DEFAULT_TAIL,
          parse: (w) => {
            const n = Number(w);
            if (!Number.isInteger(n) || n < 1 || n > MAX_TAIL)
              throw new CodexError("USAGE", `N must be a whole number from 1 to ${MAX_TAIL}, got "${w}"`);
            return n;
          },
        },
      ],
      wrongCount: "/codex ledger tail takes at most one number",
    },
    cli: {
      path: ["ledger", "tail"],
      description: "the last N entries",
      options: [
        {
          key: "lines",
          flags: "-n, --lines <n>",
          description: "how many entries",
          parse: parsePositive,
          default: 20,
        },
      ],
      ungoverned: true,
    },
    async execute({ lines }, ctx) {
      const { tail, tailReply } = await import("./ledger.ts");
      const entries = tail(lines, ctx.deps);
      return done(entries, tailReply(entries));
    },
  }),
  defineCommand({
    name: "ledger verify",
    usage: "ledger verify",
    summary: "verify the whole chain",
    permission: "ledger",
    input: (z) =>
      z.object({
        key: z.string().optional(),
        db: z.string().optional(),
        vault: z.string().optional(),
        checkpoint: z.string().optional(),
      }),
    deps: ["env", "home", "ledgerPath"],
    chat: { words: ["ledger", "verify"] },
    cli: {
      path: ["ledger", "verify"],
      description:
        "re-check the hash chain, the Merkle root, every signed checkpoint and the vault's seals; read-only",
      options: [
        {
          key: "key",
          flags: "--key <file>",
          description: "the ledger's public key file (default: MAOS_HOME/keys/ledger.vkey)",
        },
        dbOption,
        {
          key: "vault",
          flags: "--vault <dir>",
          description: "the vault folder (default: MAOS_HOME/vault when --db is not given)",
        },
        {
          key: "checkpoint",
          flags: "--checkpoint <file>",
          description: "a signed checkpoint received out of band: prove the ledger extends it",
        },
      ],
      ungoverned: true,
    },
    async execute(input, ctx) {
      const { verify, verifyReply } = await import("./ledger.ts");
      const report = await verify(ctx.deps, input);
      return done(report, verifyReply(report), report.ok);
    },
  }),
  defineCommand({
    name: "ledger proof inclusion",
    usage: "ledger proof inclusion SEQ [--size N]",
    summary: "the audit path of entry SEQ in the tree of the first N entries (default: all)",
    permission: "ledger",
    input: (z) => z.object({ seq: z.number(), size: z.number().optional(), db: z.string().optional() }),
    deps: ["ledgerPath"],
    cli: {
      path: ["ledger", "proof", "inclusion"],
      description: "the audit path of entry SEQ in the tree of the first N entries (default: all)",
      args: [
        { key: "seq", name: "<seq>", description: "the entry's seq (its leaf index)", parse: parseWhole },
      ],
      options: [
        {
          key: "size",
          flags: "--size <n>",
          description: "the tree size (default: the ledger's size)",
          parse: parseWhole,
        },
        dbOption,
      ],
      ungoverned: true,
    },
    async execute({ seq, ...opts }, ctx) {
      const { inclusionProof } = await import("./ledger.ts");
      const p = inclusionProof(ctx.deps, seq, opts);
      return done(p, textReply(JSON.stringify(p, null, 2)));
    },
  }),
  defineCommand({
    name: "ledger proof consistency",
    usage: "ledger proof consistency OLD NEW",
    summary: "the proof that the tree of OLD entries is a prefix of the tree of NEW entries",
    permission: "ledger",
    input: (z) => z.object({ oldSize: z.number(), newSize: z.number(), db: z.string().optional() }),
    deps: ["ledgerPath"],
    cli: {
      path: ["ledger", "proof", "consistency"],
      description: "the proof that the tree of OLD entries is a prefix of the tree of NEW entries",
      args: [
        { key: "oldSize", name: "<old>", description: "the older tree size", parse: parseWhole },
        { key: "newSize", name: "<new>", description: "the newer tree size", parse: parseWhole },
      ],
      options: [dbOption],
      ungoverned: true,
    },
    async execute({ oldSize, newSize, db }, ctx) {
      const { consistency } = await import("./ledger.ts");
      const p = consistency(ctx.deps, oldSize, newSize, { db });
      return done(p, textReply(JSON.stringify(p, null, 2)));
    },
  }),
  defineCommand({
    name: "ledger checkpoint",
    usage: "ledger checkpoint",
    summary: "the latest signed checkpoint (a C2SP signed note), as published at /checkpoint",
    permission: "ledger",
    input: (z) => z.object({ db: z.string().optional() }),
    deps: ["ledgerPath"],
    cli: {
      path: ["ledger", "checkpoint"],
      description: "the latest signed checkpoint (a C2SP signed note), as published at /checkpoint",
      options: [dbOption],
      ungoverned: true,
    },
    async execute(opts, ctx) {
      const { latestCheckpoint } = await import("./ledger.ts");
      const c = latestCheckpoint(ctx.deps, opts);
      return done(c, textReply(c.note.trimEnd()));
    },
  }),
  defineCommand({
    name: "vault verify",
    usage: "vault verify [RUN_ID…]",
    summary: "re-hash sealed run folders against their SEAL.json (all when no RUN_ID is given)",
    permission: "ledger",
    input: (z) => z.object({ runIds: words(z) }),
    deps: ["vault", "ledgerPath"],
    cli: {
      path: ["vault", "verify"],
      description: "re-hash sealed run folders against their SEAL.json (all when no RUN_ID is given)",
      args: [{ key: "runIds", name: "[runIds...]", description: "run ids, short ids or folder names" }],
      ungoverned: true,
    },
    async execute({ runIds }, ctx) {
      const { verifyVault } = await import("./vault.ts");
      const report = await verifyVault(runIds, ctx.deps);
      return done(
        report,
        textReply(report.ok ? "vault intact" : "vault BROKEN", { isError: !report.ok }),
        report.ok,
      );
    },
  }),
  defineCommand({
    name: "cancel",
    usage: "cancel RUN",
    summary: "stop a running run before its next agent; what it produced is sealed as a cancelled run",
    // Anyone who may run a stack may ask; cancelOutcome decides whose run it is.
    permission: "run",
    input: (z) => z.object({ run: z.string() }),
    deps: ["ledger", "state", "charter", "extraRoles"],
    chat: {
      words: ["cancel"],
      args: [
        {
          key: "run",
          parse: (w) => {
            if (!w) throw new CodexError("USAGE", CANCEL_USAGE);
            return w;
          },
        },
      ],
      wrongCount: CANCEL_USAGE,
    },
    cli: {
      path: ["cancel"],
      description:
        "cancel a running run (from any process): it stops before its next agent and is sealed as cancelled",
      args: [{ key: "run", name: "<run>", description: "the run id, or its first 8 characters" }],
    },
    async execute({ run }, ctx) {
      const { cancelOutcome } = await import("./cancel.ts");
      return cancelOutcome({ app: ctx.deps, actor: ctx.actor }, run);
    },
  }),
  defineCommand({
    name: "memory search",
    usage: "memory <query>",
    summary: "search memory (run outputs, evaluations, lessons, incidents), cited by ledger seq",
    permission: "memory",
    input: (z) => z.object({ query: joined(z), stack: z.string().optional(), limit: z.number().default(5) }),
    deps: ["home", "ledgerPath", "memory"],
    chat: {
      words: ["memory"],
      args: [{ key: "query", variadic: true }],
      wrongCount: "say what to search for: /codex memory <query>",
    },
    cli: {
      path: ["memory", "search"],
      description:
        "search memory (BM25, plus vectors when MAOS_EMBEDDINGS is set); every hit cites its ledger seq",
      args: [{ key: "query", name: "<query...>", description: "what to look for" }],
      options: [
        { key: "stack", flags: "--stack <stack>", description: "only this stack's memory" },
        {
          key: "limit",
          flags: "-n, --limit <n>",
          description: "how many hits",
          parse: parsePositive,
          default: 5,
        },
      ],
    },
    async execute(input, ctx) {
      const { memorySearch, memorySearchReply } = await import("./memory.ts");
      const r = await memorySearch(ctx.deps, input);
      return done(r, memorySearchReply(r));
    },
  }),
  defineCommand({
    name: "memory reindex",
    usage: "memory reindex",
    summary: "drop the memory index and derive it again from the ledger and the vault",
    permission: "memory",
    input: (z) => z.object({}),
    deps: ["home", "ledgerPath", "memory"],
    cli: {
      path: ["memory", "reindex"],
      description: "drop the memory index and derive it again from the ledger and the vault",
    },
    async execute(_input, ctx) {
      const { memoryReindex } = await import("./memory.ts");
      const r = await memoryReindex(ctx.deps);
      return done(
        r,
        textReply(
          `memory reindexed: ${r.items} items through ledger seq ${r.through} in ${r.ms} ms (${r.itemsPerSecond} items/s); vectors: ${r.vectors ?? "off (MAOS_EMBEDDINGS not set)"}`,
        ),
      );
    },
  }),
  decide("approve"),
  decide("reject"),
  defineCommand({
    name: "activate",
    usage: "activate",
    summary:
      "run the boot order (core pack, secrets, relay, heartbeat, agents, autonomy loop) and the 13-item checklist",
    permission: "activate",
    input: (z) => z.object({}),
    deps: "app",
    chat: { words: ["activate"] },
    cli: {
      path: ["activate"],
      description: "run the boot order and the 13-item MVP activation checklist; exit 0 only when ACTIVE",
    },
    async execute(_input, ctx) {
      const { activateOutcome } = await import("./activate.ts");
      return activateOutcome({ app: ctx.deps, actor: ctx.actor });
    },
  }),
  defineCommand({
    name: "relay redrive",
    usage: "relay redrive [ID…]",
    summary: "send dead letters again (all, or the given outbox ids) and run one delivery pass",
    permission: "relay.redrive",
    input: (z) => z.object({ ids: words(z) }),
    deps: ["relays", "ledger"],
    cli: {
      path: ["relay", "redrive"],
      description: "send dead letters again (all, or the given outbox ids) and run one delivery pass",
      args: [{ key: "ids", name: "[ids...]", description: "outbox ids, as maos status lists them" }],
    },
    async execute({ ids }, ctx) {
      const { redriveOutcome } = await import("./relay.ts");
      return redriveOutcome(ctx.deps, ctx.actor, ids);
    },
  }),
  defineCommand({
    name: "notion setup",
    usage: "notion setup --parent PAGE",
    summary: 'create the "MAOS Activation Ledger" database under a page shared with the integration',
    permission: "activate",
    input: (z) => z.object({ parent: z.string() }),
    deps: "app",
    cli: {
      path: ["notion", "setup"],
      description: 'create the "MAOS Activation Ledger" database under a page shared with the integration',
      options: [
        { key: "parent", flags: "--parent <page>", description: "the parent page id or URL", required: true },
      ],
    },
    async execute({ parent }, ctx) {
      const { setupNotion } = await import("../src/relays/notion/setupNotion.ts");
      const r = await setupNotion(ctx.deps, parent, ctx.actor);
      return done(
        r,
        textReply(
          `Created the MAOS Activation Ledger (database ${r.databaseId}, data source ${r.dataSourceId}). Put this in the environment:\n${r.env.join("\n")}`,
        ),
      );
    },
  }),
  defineCommand({
    name: "seal",
    usage: "seal <v0|v1|v2|v3|v4>",
    summary: "take an MVP seal once its charter conditions hold (refusals list every failing one)",
    permission: "seal",
    input: (z) => z.object({ version: z.string() }),
    deps: ["autonomy", "charter", "extraRoles"],
    chat: {
      words: ["seal"],
      args: [{ key: "version" }],
      wrongCount: "/codex seal takes one version, v0 to v4",
    },
    cli: {
      path: ["seal"],
      description: "take an MVP seal (v0…v4) once its conditions hold; exit 1 listing every failing one",
      args: [{ key: "version", name: "<version>", description: "v0, v1, v2, v3 or v4" }],
    },
    async execute({ version }, ctx) {
      const { sealOutcome } = await import("./seal.ts");
      return sealOutcome({ app: ctx.deps, actor: ctx.actor }, version);
    },
  }),
  defineCommand({
    name: "incident list",
    usage: "incident [list [open|resolved|all]]",
    summary: "incidents, newest first",
    permission: "incident",
    input: (z) =>
      z.object({
        filter: z
          .enum(["open", "resolved", "all"], {
            error: (iss) => `incident list takes open, resolved or all, not "${String(iss.input)}"`,
          })
          .default("open"),
      }),
    deps: ["autonomy"],
    chat: {
      words: ["incident", "list"],
      isDefault: true,
      args: [
        {
          key: "filter",
          optional: true,
          parse: (w) => {
            const filter = w.toLowerCase();
            if (!["open", "resolved", "all"].includes(filter)) throw new CodexError("USAGE", INCIDENT_FILTER);
            return filter;
          },
        },
      ],
      wrongCount: INCIDENT_FILTER,
    },
    cli: {
      path: ["incident", "list"],
      description: "incidents, newest first",
      args: [{ key: "filter", name: "[filter]", description: "open, resolved or all", default: "open" }],
    },
    async execute({ filter }, ctx) {
      const { incidentList } = await import("./incident.ts");
      return incidentList({ app: ctx.deps, actor: ctx.actor }, filter);
    },
  }),
  incidentCommand("show", "incident", "an incident's report, approval and resolution", "incidentShow"),
  incidentCommand(
    "approve",
    "incident.approve",
    "approve an incident (the same as the reaction or the Approve button)",
    "incidentApprove",
  ),
  defineCommand({
    name: "incident resolve",
    usage: "incident resolve INC-n <note>",
    summary: "record what was found and done; the incident must be approved first",
    permission: "incident.resolve",
    input: (z) => z.object({ id: z.string(), note: joined(z) }),
    deps: ["autonomy", "charter", "extraRoles"],
    chat: {
      words: ["incident", "resolve"],
      args: [{ key: "id" }, { key: "note", variadic: true, optional: true }],
      wrongCount: "/codex incident resolve takes an incident id such as INC-1",
    },
    cli: {
      path: ["incident", "resolve"],
      description: "record what was found and done; the incident must be approved first",
      args: [
        { key: "id", name: "<id>", description: "INC-n" },
        { key: "note", name: "<note...>", description: "the resolution note" },
      ],
    },
    async execute({ id, note }, ctx) {
      const { incidentId, incidentResolve } = await import("./incident.ts");
      const which = ctx.surface === "chat" ? incidentId(id, "resolve") : id;
      return incidentResolve({ app: ctx.deps, actor: ctx.actor }, which, note);
    },
  }),
  defineCommand({
    name: "stop",
    usage: "stop [reason …]",
    summary: "STOP–RESET–REALIGN by hand: halt the autonomy loop, freeze configs, open an incident",
    permission: "stop",
    input: (z) => z.object({ reason: joined(z) }),
    deps: ["autonomy", "charter", "extraRoles"],
    chat: { words: ["stop"], args: [{ key: "reason", variadic: true, optional: true }] },
    cli: {
      path: ["stop"],
      description: "STOP–RESET–REALIGN by hand: halt the autonomy loop, freeze configs, open an incident",
      args: [{ key: "reason", name: "[reason...]", description: "why" }],
    },
    async execute({ reason }, ctx) {
      const { stopOutcome } = await import("./srr.ts");
      return stopOutcome({ app: ctx.deps, actor: ctx.actor }, reason);
    },
  }),
  defineCommand({
    name: "resume",
    usage: "resume",
    summary: "resume the autonomy loop once every incident of the halt is approved and resolved",
    permission: "resume",
    input: (z) => z.object({}),
    deps: ["autonomy", "charter", "extraRoles"],
    chat: { words: ["resume"] },
    cli: {
      path: ["resume"],
      description: "resume the autonomy loop; exit 1 listing why while the conditions do not hold",
    },
    async execute(_input, ctx) {
      const { resumeOutcome } = await import("./srr.ts");
      return resumeOutcome({ app: ctx.deps, actor: ctx.actor });
    },
  }),
  defineCommand({
    name: "snapshot",
    usage: "snapshot",
    summary: "take the daily autonomy snapshot now (vault, ledger, evidence)",
    permission: "snapshot",
    input: (z) => z.object({}),
    deps: ["autonomy"],
    chat: { words: ["snapshot"] },
    cli: {
      path: ["snapshot"],
      description: "take the daily autonomy snapshot now (vault, ledger, evidence)",
    },
    async execute(_input, ctx) {
      const { snapshotOutcome } = await import("./snapshot.ts");
      return snapshotOutcome({ app: ctx.deps, actor: ctx.actor });
    },
  }),
  defineCommand({
    name: "client",
    usage: "client <name> | client list | client sync",
    summary: "a client's card from the MASTER CLIENT OPERATIONAL MATRIX (Notion)",
    // The card is read-only, for status's audience; a sync writes state on demand: client.sync.
    permission: (input: { name?: string[]; sync?: boolean }) =>
      input.sync || input.name?.[0] === "sync" || input.name?.[0] === "--sync" ? "client.sync" : "status",
    input: (z) => z.object({ name: words(z), sync: z.boolean().default(false) }),
    deps: ["clients"],
    chat: { words: ["client"], args: [{ key: "name", variadic: true, optional: true }] },
    cli: {
      path: ["client"],
      description: "a client's card from the MASTER CLIENT OPERATIONAL MATRIX; list; or --sync",
      args: [{ key: "name", name: "[name...]", description: "the client's name (none: list them)" }],
      options: [{ key: "sync", flags: "--sync", description: "pull the matrix from Notion now" }],
    },
    async execute({ name, sync }, ctx) {
      const { clientReply } = await import("./client.ts");
      const args = sync ? ["sync"] : name.length > 0 ? name : ["list"];
      const reply = await clientReply(ctx.deps, args);
      const matrix = ctx.deps.clients();
      const off = matrix.off();
      const data = {
        clients: matrix.list(),
        sync: matrix.status() ?? null,
        // With --json too, a refusal says why (the layer is off, or the sync failed).
        ...(reply.isError
          ? { error: { code: off ? "CLIENT_MATRIX_OFF" : "SYNC_FAILED", message: reply.summary } }
          : {}),
      };
      return done(data, reply, !reply.isError);
    },
  }),
];

/** Chat words that name more than one command, and how help and usage errors show them together. */
export const CHAT_GROUPS: Record<
  string,
  { usage: string; summary: string; lowerSub?: boolean; forms?: { usage: string; permission: string }[] }
> = {
  ledger: {
    usage: "ledger [tail [N]|verify]",
    summary: `the last N ledger entries (default ${DEFAULT_TAIL}), or verify the whole chain`,
  },
  incident: {
    usage: "incident [list [open|resolved|all] | show INC-n | approve INC-n | resolve INC-n <note>]",
    summary: "governance incidents: their reports, approvals and resolutions",
    lowerSub: true,
    forms: [
      { usage: "incident [list [open|resolved|all] | show INC-n]", permission: "incident" },
      { usage: "incident approve INC-n", permission: "incident.approve" },
      { usage: "incident resolve INC-n <note>", permission: "incident.resolve" },
    ],
  },
};

/** The CLI's parent commands (`maos ledger`, `maos ledger proof`), with what `maos --help` says of them. */
export const CLI_GROUPS: Record<string, string> = {
  stacks: "list or validate stacks",
  ledger: "read or verify the custodian ledger",
  "ledger proof": "RFC 6962 proofs over the ledger (read-only)",
  vault: "verify sealed run folders",
  relay: "the evidence outbox",
  notion: "the Notion relay",
  incident: "governance incidents",
  memory: "Memory Pack v1: search and rebuild the memory index",
};

/** The order `maos --help` lists the commands in. */
export const CLI_ORDER = [
  "run",
  "stacks list",
  "stacks validate",
  "ledger tail",
  "ledger verify",
  "ledger proof inclusion",
  "ledger proof consistency",
  "ledger checkpoint",
  "vault verify",
  "activate",
  "status",
  "relay redrive",
  "notion setup",
  "client",
  "seal",
  "incident list",
  "incident show",
  "incident approve",
  "incident resolve",
  "stop",
  "resume",
  "cancel",
  "snapshot",
  "memory search",
  "memory reindex",
];
