import { Command, CommanderError } from "commander";
import type { App } from "../app/App.ts";
import { loadDotEnv } from "../config/dotEnv.ts";
import { isCodexError } from "../core/CodexError.ts";
import { loadNotionSecrets } from "../secrets/loadNotionSecrets.ts";
import { addRegistryCommands } from "./cliCommands.ts";
import { forCli } from "./cliWording.ts";
import { exitCodeFor } from "./exitCode.ts";

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
      const [{ createApp }, { loadEnv, secretValues }, { lazyLogger }] = await Promise.all([
        import("../app/createApp.ts"),
        import("../config/loadEnv.ts"),
        import("../core/lazyLogger.ts"),
      ]);
      const env = loadEnv();
      // The CLI prints its own progress; its logs stay at warn unless LOG_LEVEL says otherwise. pino
      // loads only when something is logged.
      const log = env.LOG_LEVEL_SET ? undefined : lazyLogger({ level: "warn", secrets: secretValues(env) });
      app = createApp({ env, ...(log ? { log } : {}) });
      // DATABASE_URL: the shared stores (a failure surfaces when a command uses them).
      await app.connect();
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

  // Every command's commander form comes from the registry; only `mcp` (an adapter, not a command) is declared here.
  addRegistryCommands(program, { getApp, io, act, emit });

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
