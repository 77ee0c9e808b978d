import { CodexError } from "../../src/core/CodexError.ts";
import { defineCommand } from "../CommandSpec.ts";
import { parsePositive, parseWhole } from "../words.ts";
import { done, joined, textReply, words } from "./specKit.ts";

// Reading and verifying what was recorded: stacks, status, the ledger, the vault, memory.

export const DEFAULT_TAIL = 10;
/** A chat message holds this many entry lines comfortably; `maos ledger tail -n` has no cap. */
const MAX_TAIL = 100;
const dbOption = {
  key: "db",
  flags: "--db <file>",
  description: "the ledger file (default: MAOS_HOME/ledger.db)",
};

export const stacksListCommand = defineCommand({
  name: "stacks list",
  usage: "stacks",
  summary: "the stacks you can run, and their inputs",
  permission: "stacks",
  input: (z) => z.object({}),
  // z.object({}) keeps no field of any object.
  plainInput: () => ({}),
  deps: ["stacksDir", "home"],
  chat: { words: ["stacks"] },
  cli: { path: ["stacks", "list"], description: "list the stacks in MAOS_STACKS", ungoverned: true },
  async execute(_input, ctx) {
    // The listings kept for files already validated, so the list starts without zod and the YAML parser.
    const [{ listStackListings }, { stacksReply }] = await Promise.all([
      import("../../src/stacks/stackListCache.ts"),
      import("../stacksReply.ts"),
    ]);
    const dir = ctx.deps.stacksDir;
    const { stacks, errors } = await listStackListings(dir, ctx.deps.home);
    const list = { dir, stacks, invalid: errors.map((e) => ({ code: e.code, message: e.message })) };
    return done(list, stacksReply(list));
  },
});

export const stacksValidateCommand = defineCommand({
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
    const { validateStacks } = await import("../stacks.ts");
    const r = validateStacks(files, ctx.deps);
    const bad = r.results.filter((x) => !x.ok);
    return done(r, textReply(r.ok ? `${r.results.length} stack(s) valid` : `${bad.length} invalid`), r.ok);
  },
});

export const statusCommand = defineCommand({
  name: "status",
  usage: "status",
  summary: "ledger, last runs, providers and integrations, as they are now",
  permission: "status",
  input: (z) => z.object({}),
  deps: [
    "autonomy",
    "charter",
    "clients",
    "clock",
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
    const [{ statusReply }, { existsSync }] = await Promise.all([import("../status.ts"), import("node:fs")]);
    const reply = await statusReply(ctx.deps);
    // The JSON state only where it is printed: reading it opens the ledger, which chat's status must not create.
    if (ctx.surface === "chat") return done(null, reply);
    const outbox = existsSync(ctx.deps.ledgerPath()) ? await ctx.deps.relays().counts() : null;
    return done({ ...(await ctx.deps.autonomy().stateJson()), outbox }, reply);
  },
});

export const ledgerTailCommand = defineCommand({
  name: "ledger tail",
  usage: "ledger [tail [N]|verify]",
  summary: `the last N ledger entries (default ${DEFAULT_TAIL}), or verify the whole chain`,
  permission: "ledger",
  input: (z) => z.object({ lines: z.number().int().positive() }),
  plainInput: ({ lines }) =>
    Number.isSafeInteger(lines) && (lines as number) > 0 ? { lines: lines as number } : undefined,
  deps: ["env", "ledgerPath", "ledger"],
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
    const { tail, tailReply } = await import("../ledgerTail.ts");
    const entries = tail(lines, ctx.deps);
    return done(entries, tailReply(entries));
  },
});

export const ledgerVerifyCommand = defineCommand({
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
    const { verify, verifyReply } = await import("../ledger.ts");
    const report = await verify(ctx.deps, input);
    return done(report, verifyReply(report), report.ok);
  },
});

export const ledgerProofInclusionCommand = defineCommand({
  name: "ledger proof inclusion",
  usage: "ledger proof inclusion SEQ [--size N]",
  summary: "the audit path of entry SEQ in the tree of the first N entries (default: all)",
  permission: "ledger",
  input: (z) => z.object({ seq: z.number(), size: z.number().optional(), db: z.string().optional() }),
  deps: ["ledgerPath"],
  cli: {
    path: ["ledger", "proof", "inclusion"],
    description: "the audit path of entry SEQ in the tree of the first N entries (default: all)",
    args: [{ key: "seq", name: "<seq>", description: "the entry's seq (its leaf index)", parse: parseWhole }],
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
    const { inclusionProof } = await import("../ledger.ts");
    const p = inclusionProof(ctx.deps, seq, opts);
    return done(p, textReply(JSON.stringify(p, null, 2)));
  },
});

export const ledgerProofConsistencyCommand = defineCommand({
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
    const { consistency } = await import("../ledger.ts");
    const p = consistency(ctx.deps, oldSize, newSize, { db });
    return done(p, textReply(JSON.stringify(p, null, 2)));
  },
});

export const ledgerCheckpointCommand = defineCommand({
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
    const { latestCheckpoint } = await import("../ledger.ts");
    const c = latestCheckpoint(ctx.deps, opts);
    return done(c, textReply(c.note.trimEnd()));
  },
});

export const ledgerExportCommand = defineCommand({
  name: "ledger export",
  usage: "ledger export --sqlite FILE",
  summary: "write the ledger (SQLite or PostgreSQL) to a new SQLite file that `ledger verify --key` checks",
  permission: "ledger",
  input: (z) => z.object({ sqlite: z.string() }),
  deps: ["env", "ledgerPath"],
  cli: {
    path: ["ledger", "export"],
    description:
      "write one consistent snapshot of the ledger (from DATABASE_URL when set, else MAOS_HOME/ledger.db) to a new SQLite file, for auditors",
    options: [
      {
        key: "sqlite",
        flags: "--sqlite <file>",
        description: "the SQLite file to write (must not exist)",
        required: true,
      },
    ],
    ungoverned: true,
  },
  async execute({ sqlite }, ctx) {
    const { exportLedger, exportReply } = await import("../ledgerExport.ts");
    const report = await exportLedger(ctx.deps, sqlite);
    return done(report, exportReply(report));
  },
});

export const vaultVerifyCommand = defineCommand({
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
    const { verifyVault } = await import("../vault.ts");
    const report = await verifyVault(runIds, ctx.deps);
    return done(
      report,
      textReply(report.ok ? "vault intact" : "vault BROKEN", { isError: !report.ok }),
      report.ok,
    );
  },
});

export const memorySearchCommand = defineCommand({
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
    const { memorySearch, memorySearchReply } = await import("../memory.ts");
    const r = await memorySearch(ctx.deps, input);
    return done(r, memorySearchReply(r));
  },
});

export const memoryReindexCommand = defineCommand({
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
    const { memoryReindex } = await import("../memory.ts");
    const r = await memoryReindex(ctx.deps);
    return done(
      r,
      textReply(
        `memory reindexed: ${r.items} items through ledger seq ${r.through} in ${r.ms} ms (${r.itemsPerSecond} items/s); vectors: ${r.vectors ?? "off (MAOS_EMBEDDINGS not set)"}`,
      ),
    );
  },
});
