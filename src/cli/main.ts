import { Command, CommanderError, Option } from "commander";
import { tail, verify } from "../../commands/ledger.ts";
import { run } from "../../commands/run.ts";
import { listStacks, validateStacks } from "../../commands/stacks.ts";
import { verifyVault } from "../../commands/vault.ts";
import { type App, createApp } from "../app/createApp.ts";
import { loadEnv } from "../config/loadEnv.ts";
import { localActor } from "../core/Actor.ts";
import { CodexError, isCodexError } from "../core/CodexError.ts";
import { createLogger } from "../core/logger.ts";
import { exitCodeFor } from "./exitCode.ts";
import { progressRenderer } from "./progressRenderer.ts";
import {
  renderEntries,
  renderLedgerVerify,
  renderRun,
  renderStacks,
  renderValidation,
  renderVaultVerify,
} from "./renderText.ts";

export interface CliIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
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
  const getApp = () => {
    if (!app) {
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
          const summary = await run(
            { stack, inputs: opts.input, provider: opts.provider },
            localActor("cli"),
            getApp(),
            opts.json ? undefined : progressRenderer(io.stderr),
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
      act((_opts: { json?: boolean }) => {
        const list = listStacks(getApp());
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
      act((files: string[], _opts: { json?: boolean }) => {
        const result = validateStacks(files, getApp());
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
      act((opts: { lines: number; json?: boolean }) => {
        const entries = tail(opts.lines, getApp());
        emit(entries, () => renderEntries(entries));
        return 0;
      }),
    );
  ledger
    .command("verify")
    .description("re-check the hash chain, the Merkle root and every signed checkpoint")
    .option("--json", "print one JSON document")
    .action(
      act(async (_opts: { json?: boolean }) => {
        const report = await verify(getApp());
        emit(report, () => renderLedgerVerify(report));
        return report.ok ? 0 : 1;
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
        const report = await verifyVault(runIds, getApp());
        emit(report, () => renderVaultVerify(report));
        return report.ok ? 0 : 1;
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
    io.stdout.write(
      `${JSON.stringify({ error: { code: e?.code ?? "INTERNAL", message: e?.message ?? String(err), hint: e?.hint } }, null, 2)}\n`,
    );
  } else if (isCodexError(err)) {
    io.stderr.write(`maos: ${err.toUserText()}\n`);
  } else {
    io.stderr.write(
      `maos: unexpected error: ${(err as Error)?.message ?? String(err)}\n  (set LOG_LEVEL=debug for details)\n`,
    );
  }
  return code;
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

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CodexError("USAGE", `-n expects a positive whole number, got "${value}"`);
  return n;
}
