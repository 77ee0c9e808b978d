import type { Interface as ReadlineInterface } from "node:readline";
import { Command, CommanderError, Option } from "commander";
import type { CommandContext } from "../../commands/CommandSpec.ts";
import type { Outcome } from "../../commands/governed.ts";
import type { RunArgs } from "../../commands/run.ts";
import type { App } from "../app/App.ts";
import { commandApprovals } from "../approvals/commandApprovals.ts";
import { loadDotEnv } from "../config/dotEnv.ts";
import { localActor } from "../core/Actor.ts";
import { CodexError, isCodexError } from "../core/CodexError.ts";
import { replyToText } from "../core/replyText.ts";
import { loadNotionSecrets } from "../secrets/loadNotionSecrets.ts";
import { lineQuestions, terminalAsker } from "../terminal/askInputs.ts";
import { runProgress } from "../terminal/runProgress.ts";
import { forCli } from "./cliWording.ts";
import { exitCodeFor } from "./exitCode.ts";
import {
  renderEntries,
  renderLedgerVerify,
  renderProof,
  renderRun,
  renderStacks,
  renderValidation,
  renderVaultVerify,
} from "./renderText.ts";

// Each command loads its modules when it runs (`await import`), never at start-up: `maos --help`,
// `maos stacks list` and `maos ledger tail` must not pay for the SDKs, the database or the vault.

export interface CliIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Where missing stack inputs are typed when it and stderr are a terminal; process.stdin by default. */
  stdin?: NodeJS.ReadStream;
  /** Tests pass a prepared app; by default one is built from the environment. */
  app?: App;
}

/**
 * The `maos` CLI: a thin adapter over `commands/`. It parses argv, builds the app, calls the command
 * and renders the result (text, or one JSON document with --json). Only here do errors become exit codes.
 */
export async function main(
  argv: string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let exitCode = 0;
  let app: App | undefined = io.app;
  let json = false;
  const out = (text: string) => io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  const emit = (value: unknown, text: () => string) => out(json ? JSON.stringify(value, null, 2) : text());
  const getApp = async () => {
    if (!app) {
      const [{ createApp }, { loadEnv }, { createLogger }] = await Promise.all([
        import("../app/createApp.ts"),
        import("../config/loadEnv.ts"),
        import("../core/logger.ts"),
      ]);
      const env = loadEnv();
      // The CLI prints its own progress; its logs stay at warn unless LOG_LEVEL says otherwise.
      const log = env.LOG_LEVEL_SET ? undefined : createLogger({ level: "warn" });
      app = createApp({ env, ...(log ? { log } : {}) });
    }
    return app;
  };
  const act =
    <A extends unknown[]>(fn: (...args: A) => Promise<number> | number) =>
    async (...args: A) => {
      const opts = args.find((a) => a && typeof a === "object" && "json" in (a as object)) as
        | { json?: boolean }
        | undefined;
      json = Boolean(opts?.json);
      exitCode = await fn(...args);
    };

  // The seed's activation step 2: the Notion secrets registry fills the environment (variables already set win).
  if (!io.app) {
    try {
      // .env in the working directory, when present; variables already set in the environment win.
      loadDotEnv();
      const load = await loadNotionSecrets({ source: process.env });
      if (load.status === "failed") io.stderr.write(`maos: warning: ${load.detail}\n`);
    } catch (err) {
      if (!isCodexError(err)) throw err;
      io.stderr.write(`maos: ${err.toUserText()}\n`);
      return 2;
    }
  }

  const program = new Command("maos")
    .description("MAOS Codex: run governed agent stacks, and verify the ledger and the vault")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError("(run `maos --help` for usage)");

  program
    .command("run")
    .description("run a stack, seal it into the vault and write it to the ledger")
    .argument("<stack>", "stack name, e.g. marketing_ops")
    .addOption(
      new Option("-i, --input <key=value>", "a stack input (repeatable)").argParser(collectInput).default({}),
    )
    .option("--provider <spec>", "prime provider for this run: offline, openai:MODEL or anthropic:MODEL")
    .option("--json", "print one JSON document")
    .action(
      act(
        async (stack: string, opts: { input: Record<string, string>; provider?: string; json?: boolean }) => {
          const { run } = await import("../../commands/run.ts");
          const { authorize } = await import("../../commands/governed.ts");
          const a = await getApp();
          const actor = localActor("cli");
          // The charter's `run` permission holds here as on Slack (before anything is asked for).
          await authorize({ app: a, actor, approvals: commandApprovals(a.approvals()) }, "run");
          // On a terminal a missing input is asked for; without one, run() names it and we exit 2.
          const asked = await askOnTerminal({ stack, inputs: opts.input, provider: opts.provider }, a, io);
          const summary = await run(
            asked,
            actor,
            a,
            opts.json || !io.stderr.isTTY ? undefined : runProgress((s) => io.stderr.write(s), "overwrite"),
          );
          emit(summary, () => renderRun(summary));
          return summary.status === "completed" ? 0 : 1;
        },
      ),
    );

  const stacks = program.command("stacks").description("list or validate stacks");
  stacks
    .command("list")
    .description("list the stacks in MAOS_STACKS")
    .option("--json", "print one JSON document")
    .action(
      act(async (_opts: { json?: boolean }) => {
        const { listStacks } = await import("../../commands/stacks.ts");
        const list = listStacks(await getApp());
        emit(list, () => renderStacks(list));
        return 0;
      }),
    );
  stacks
    .command("validate")
    .description("validate stack files (all in MAOS_STACKS when none are given)")
    .argument("[files...]", "stack files")
    .option("--json", "print one JSON document")
    .action(
      act(async (files: string[], _opts: { json?: boolean }) => {
        const { validateStacks } = await import("../../commands/stacks.ts");
        const result = validateStacks(files, await getApp());
        emit(result, () => renderValidation(result));
        return result.ok ? 0 : 1;
      }),
    );

  const ledger = program.command("ledger").description("read or verify the custodian ledger");
  ledger
    .command("tail")
    .description("the last N entries")
    .option("-n, --lines <n>", "how many entries", parsePositive, 20)
    .option("--json", "print one JSON document")
    .action(
      act(async (opts: { lines: number; json?: boolean }) => {
        const { tail } = await import("../../commands/ledger.ts");
        const entries = tail(opts.lines, await getApp());
        emit(entries, () => renderEntries(entries));
        return 0;
      }),
    );
  ledger
    .command("verify")
    .description(
      "re-check the hash chain, the Merkle root, every signed checkpoint and the vault's seals; read-only",
    )
    .option("--key <file>", "the ledger's public key file (default: MAOS_HOME/keys/ledger.vkey)")
    .option("--db <file>", "the ledger file (default: MAOS_HOME/ledger.db)")
    .option("--vault <dir>", "the vault folder (default: MAOS_HOME/vault when --db is not given)")
    .option("--checkpoint <file>", "a signed checkpoint received out of band: prove the ledger extends it")
    .option("--json", "print one JSON document")
    .action(
      act(
        async (opts: { key?: string; db?: string; vault?: string; checkpoint?: string; json?: boolean }) => {
          const { verify } = await import("../../commands/ledger.ts");
          const report = await verify(await getApp(), opts);
          emit(report, () => renderLedgerVerify(report));
          return report.ok ? 0 : 1;
        },
      ),
    );
  const proof = ledger.command("proof").description("RFC 6962 proofs over the ledger (read-only)");
  proof
    .command("inclusion")
    .description("the audit path of entry SEQ in the tree of the first N entries (default: all)")
    .argument("<seq>", "the entry's seq (its leaf index)", parseWhole)
    .option("--size <n>", "the tree size (default: the ledger's size)", parseWhole)
    .option("--db <file>", "the ledger file (default: MAOS_HOME/ledger.db)")
    .option("--json", "print one JSON document")
    .action(
      act(async (seq: number, opts: { size?: number; db?: string; json?: boolean }) => {
        const { inclusionProof } = await import("../../commands/ledger.ts");
        const p = inclusionProof(await getApp(), seq, opts);
        emit(p, () => renderProof(p));
        return 0;
      }),
    );
  proof
    .command("consistency")
    .description("the proof that the tree of OLD entries is a prefix of the tree of NEW entries")
    .argument("<old>", "the older tree size", parseWhole)
    .argument("<new>", "the newer tree size", parseWhole)
    .option("--db <file>", "the ledger file (default: MAOS_HOME/ledger.db)")
    .option("--json", "print one JSON document")
    .action(
      act(async (oldSize: number, newSize: number, opts: { db?: string; json?: boolean }) => {
        const { consistency } = await import("../../commands/ledger.ts");
        const p = consistency(await getApp(), oldSize, newSize, opts);
        emit(p, () => renderProof(p));
        return 0;
      }),
    );
  ledger
    .command("checkpoint")
    .description("the latest signed checkpoint (a C2SP signed note), as published at /checkpoint")
    .option("--db <file>", "the ledger file (default: MAOS_HOME/ledger.db)")
    .option("--json", "print one JSON document")
    .action(
      act(async (opts: { db?: string; json?: boolean }) => {
        const { latestCheckpoint } = await import("../../commands/ledger.ts");
        const c = latestCheckpoint(await getApp(), opts);
        emit(c, () => c.note.trimEnd());
        return 0;
      }),
    );

  program
    .command("vault")
    .description("verify sealed run folders")
    .command("verify")
    .description("re-hash sealed run folders against their SEAL.json (all when no RUN_ID is given)")
    .argument("[runIds...]", "run ids, short ids or folder names")
    .option("--json", "print one JSON document")
    .action(
      act(async (runIds: string[], _opts: { json?: boolean }) => {
        const { verifyVault } = await import("../../commands/vault.ts");
        const report = await verifyVault(runIds, await getApp());
        emit(report, () => renderVaultVerify(report));
        return report.ok ? 0 : 1;
      }),
    );

  // The /codex governance commands, on the terminal: the same modules and charter checks as chat.
  const governed =
    <A extends unknown[]>(
      permission: string | ((...args: A) => string),
      build: (ctx: CommandContext, ...args: A) => Promise<Outcome<unknown>> | Outcome<unknown>,
    ) =>
    async (...args: A) => {
      const a = await getApp();
      const ctx: CommandContext = {
        app: a,
        actor: localActor("cli"),
        approvals: commandApprovals(a.approvals()),
      };
      const { authorize } = await import("../../commands/governed.ts");
      await authorize(ctx, typeof permission === "string" ? permission : permission(...args));
      const o = await build(ctx, ...args);
      emit(o.data, () => forCli(replyToText(o.reply)));
      return o.ok ? 0 : 1;
    };

  program
    .command("activate")
    .description("run the boot order and the 13-item MVP activation checklist; exit 0 only when ACTIVE")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("activate", async (ctx) =>
          (await import("../../commands/activate.ts")).activateOutcome(ctx),
        ),
      ),
    );

  program
    .command("status")
    .description("the ledger, SRR state, the loop, drift and its components, incidents, seals")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("status", async (ctx) => {
          const [{ statusReply }, { existsSync }] = await Promise.all([
            import("../../commands/status.ts"),
            import("node:fs"),
          ]);
          const reply = await statusReply(ctx.app);
          const outbox = existsSync(ctx.app.ledgerPath()) ? ctx.app.relays().counts() : null;
          return { ok: true, data: { ...ctx.app.autonomy().stateJson(), outbox }, reply };
        }),
      ),
    );

  program
    .command("relay")
    .description("the evidence outbox")
    .command("redrive")
    .description("send dead letters again (all, or the given outbox ids) and run one delivery pass")
    .argument("[ids...]", "outbox ids, as maos status lists them")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("relay.redrive", async (ctx, ids: string[]) =>
          (await import("../../commands/relay.ts")).redriveOutcome(ctx.app, ctx.actor, ids),
        ),
      ),
    );

  program
    .command("notion")
    .description("the Notion relay")
    .command("setup")
    .description('create the "MAOS Activation Ledger" database under a page shared with the integration')
    .requiredOption("--parent <page>", "the parent page id or URL")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("activate", async (ctx, opts: { parent: string }) => {
          const { setupNotion } = await import("../relays/notion/setupNotion.ts");
          const r = await setupNotion(ctx.app, opts.parent, ctx.actor);
          const text = `Created the MAOS Activation Ledger (database ${r.databaseId}, data source ${r.dataSourceId}). Put this in the environment:\n${r.env.join("\n")}`;
          return { ok: true, data: r, reply: { summary: text, parts: [{ kind: "text", text }] } };
        }),
      ),
    );

  program
    .command("client")
    .description("a client's card from the MASTER CLIENT OPERATIONAL MATRIX; list; or --sync")
    .argument("[name...]", "the client's name (none: list them)")
    .option("--sync", "pull the matrix from Notion now")
    .option("--json", "print one JSON document")
    .action(
      act(async (name: string[], opts: { sync?: boolean; json?: boolean }) => {
        const { clientPermission, clientReply } = await import("../../commands/client.ts");
        const args = opts.sync ? ["sync"] : name.length > 0 ? name : ["list"];
        return governed(clientPermission(args), async (ctx) => {
          const reply = await clientReply(ctx.app, args);
          const matrix = ctx.app.clients();
          const off = matrix.off();
          const data = {
            clients: matrix.list(),
            sync: matrix.status() ?? null,
            // With --json too, a refusal says why (the layer is off, or the sync failed).
            ...(reply.isError
              ? { error: { code: off ? "CLIENT_MATRIX_OFF" : "SYNC_FAILED", message: reply.summary } }
              : {}),
          };
          return { ok: !reply.isError, data, reply };
        })();
      }),
    );

  program
    .command("seal")
    .description("take an MVP seal (v0…v4) once its conditions hold; exit 1 listing every failing one")
    .argument("<version>", "v0, v1, v2, v3 or v4")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("seal", async (ctx, version: string) =>
          (await import("../../commands/seal.ts")).sealOutcome(ctx, version),
        ),
      ),
    );

  const incident = program.command("incident").description("governance incidents");
  incident
    .command("list")
    .description("incidents, newest first")
    .argument("[filter]", "open, resolved or all", "open")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("incident", async (ctx, filter: string) => {
          const { incidentList } = await import("../../commands/incident.ts");
          if (!["open", "resolved", "all"].includes(filter)) {
            throw new CodexError("USAGE", `incident list takes open, resolved or all, not "${filter}"`);
          }
          return incidentList(ctx, filter as "open" | "resolved" | "all");
        }),
      ),
    );
  incident
    .command("show")
    .description("an incident's report, approval and resolution")
    .argument("<id>", "INC-n")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("incident", async (ctx, id: string) =>
          (await import("../../commands/incident.ts")).incidentShow(ctx, id),
        ),
      ),
    );
  incident
    .command("approve")
    .description("approve an incident (the same as the reaction or the Approve button)")
    .argument("<id>", "INC-n")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("incident.approve", async (ctx, id: string) =>
          (await import("../../commands/incident.ts")).incidentApprove(ctx, id),
        ),
      ),
    );
  incident
    .command("resolve")
    .description("record what was found and done; the incident must be approved first")
    .argument("<id>", "INC-n")
    .argument("<note...>", "the resolution note")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("incident.resolve", async (ctx, id: string, note: string[]) =>
          (await import("../../commands/incident.ts")).incidentResolve(ctx, id, note.join(" ")),
        ),
      ),
    );

  program
    .command("stop")
    .description("STOP–RESET–REALIGN by hand: halt the autonomy loop, freeze configs, open an incident")
    .argument("[reason...]", "why")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("stop", async (ctx, reason: string[]) =>
          (await import("../../commands/srr.ts")).stopOutcome(ctx, reason.join(" ")),
        ),
      ),
    );
  program
    .command("resume")
    .description("resume the autonomy loop; exit 1 listing why while the conditions do not hold")
    .option("--json", "print one JSON document")
    .action(
      act(governed("resume", async (ctx) => (await import("../../commands/srr.ts")).resumeOutcome(ctx))),
    );
  program
    .command("cancel")
    .description(
      "cancel a running run (from any process): it stops before its next agent and is sealed as cancelled",
    )
    .argument("<run>", "the run id, or its first 8 characters")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("run", async (ctx, id: string) =>
          (await import("../../commands/cancel.ts")).cancelOutcome(ctx, id),
        ),
      ),
    );
  program
    .command("snapshot")
    .description("take the daily autonomy snapshot now (vault, ledger, evidence)")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("snapshot", async (ctx) =>
          (await import("../../commands/snapshot.ts")).snapshotOutcome(ctx),
        ),
      ),
    );

  const memory = program.command("memory").description("Memory Pack v1: search and rebuild the memory index");
  memory
    .command("search")
    .description(
      "search memory (BM25, plus vectors when MAOS_EMBEDDINGS is set); every hit cites its ledger seq",
    )
    .argument("<query...>", "what to look for")
    .option("--stack <stack>", "only this stack's memory")
    .option("-n, --limit <n>", "how many hits", parsePositive, 5)
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("memory", async (ctx, query: string[], opts: { stack?: string; limit: number }) => {
          const { memorySearch, memorySearchReply } = await import("../../commands/memory.ts");
          const r = await memorySearch(ctx.app, {
            query: query.join(" "),
            stack: opts.stack,
            limit: opts.limit,
          });
          return { ok: true, data: r, reply: memorySearchReply(r) };
        }),
      ),
    );
  memory
    .command("reindex")
    .description("drop the memory index and derive it again from the ledger and the vault")
    .option("--json", "print one JSON document")
    .action(
      act(
        governed("memory", async (ctx) => {
          const { memoryReindex } = await import("../../commands/memory.ts");
          const r = await memoryReindex(ctx.app);
          const text = `memory reindexed: ${r.items} items through ledger seq ${r.through} in ${r.ms} ms (${r.itemsPerSecond} items/s); vectors: ${r.vectors ?? "off (MAOS_EMBEDDINGS not set)"}`;
          return { ok: true, data: r, reply: { summary: text, parts: [{ kind: "text", text }] } };
        }),
      ),
    );

  program
    .command("mcp")
    .description("an MCP server on stdio for desktop and IDE clients (stdout carries only MCP messages)")
    .action(
      act(async () => {
        const { serveStdio } = await import("../mcp/mcpStdio.ts");
        await serveStdio(await getApp());
        return 0;
      }),
    );

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    exitCode = reportError(err, json, io);
  } finally {
    await app?.close();
  }
  return exitCode;
}

function reportError(err: unknown, json: boolean, io: CliIO): number {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0)
      return 0;
    // Commander has already printed its message and the usage hint.
    return 2;
  }
  const code = exitCodeFor(err);
  if (json) {
    const e = isCodexError(err) ? err : undefined;
    const hint = e?.hint === undefined ? undefined : forCli(e.hint);
    io.stdout.write(
      `${JSON.stringify({ error: { code: e?.code ?? "INTERNAL", message: forCli(e?.message ?? String(err)), hint } }, null, 2)}\n`,
    );
  } else if (isCodexError(err)) {
    io.stderr.write(`maos: ${forCli(err.toUserText())}\n`);
  } else {
    io.stderr.write(
      `maos: unexpected error: ${(err as Error)?.message ?? String(err)}\n  (set LOG_LEVEL=debug for details)\n`,
    );
  }
  return code;
}

/** Completes a run's inputs at a prompt on stderr when stdin and stderr are terminals (stdout may be piped). */
async function askOnTerminal(args: RunArgs, app: App, io: CliIO): Promise<RunArgs> {
  const stdin = io.stdin ?? process.stdin;
  if (!stdin.isTTY || !io.stderr.isTTY) return args;
  const [readline, { askForInputs }] = await Promise.all([
    import("node:readline"),
    import("../../commands/run.ts"),
  ]);
  let rl: ReadlineInterface | undefined;
  let ask: ((prompt: string) => Promise<string | undefined>) | undefined;
  const asker = terminalAsker(
    (prompt) => {
      if (!rl || !ask) {
        const created = readline.createInterface({ input: stdin, output: io.stderr, terminal: true });
        created.on("SIGINT", () => created.close());
        rl = created;
        ask = lineQuestions(created, io.stderr);
      }
      return ask(prompt);
    },
    (text) => io.stderr.write(`${text}\n`),
  );
  try {
    const asked = await askForInputs(args, app, asker);
    // The terminal asker always answers here; only a chat form defers.
    return "args" in asked ? asked.args : args;
  } finally {
    rl?.close();
  }
}

function collectInput(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) {
    throw new CodexError("USAGE", `--input expects key=value, got "${value}"`, {
      hint: 'write it as --input event="Midwest Builders Expo 2027"',
    });
  }
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1) };
}

function parseWhole(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new CodexError("USAGE", `expected a whole number, got "${value}"`, {
      hint: "sizes and seqs are whole numbers: the genesis is seq 0, and a size counts it",
    });
  }
  return n;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CodexError("USAGE", `-n expects a positive whole number, got "${value}"`);
  return n;
}
