/**
 * The layers of src/ and commands/, one way down: adapters → commands → app (the composition root,
 * which builds the features; commands see only its types) → features → ledger, state → core. The architecture test checks every import against this table, and
 * biome.json carries the same table as per-folder noRestrictedImports, so a wrong import fails the lint
 * at once and the test names the cycle.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const LAYERS: Record<string, number> = {
  core: 0,
  ledger: 1,
  state: 1,
  // Features: each may use the others, as long as no two folders depend on each other in a circle.
  agents: 2,
  approvals: 2,
  audit: 2,
  autonomy: 2,
  clients: 2,
  config: 2,
  egress: 2,
  evaluator: 2,
  executor: 2,
  governance: 2,
  memory: 2,
  relays: 2,
  secrets: 2,
  slackWire: 2,
  stacks: 2,
  vault: 2,
  app: 3,
  commands: 4,
  // Adapters: the ways in (Slack, the shell and its prompts, the CLI, the relay server, MCP, main.ts).
  cli: 5,
  mcp: 5,
  server: 5,
  shell: 5,
  slack: 5,
  terminal: 5,
  main: 5,
};

/**
 * Modules that hold the whole App: the adapters' entry points, and the injectors through which they run
 * commands (the command context, the CLI's generated tree, the MCP session), which hand each command
 * only the `Pick<App, …>` its registry entry declares. Everything else receives the pieces it uses.
 */
export const APP_HOLDERS = new Set([
  "src/main.ts",
  "src/cli/main.ts",
  "src/cli/cliCommands.ts",
  "src/slack/startSlack.ts",
  "src/slack/hostOnSlack.ts",
  "src/shell/startShell.ts",
  "src/server/startHeadless.ts",
  "src/server/createRelayServer.ts",
  "src/server/relayRoutes.ts",
  "src/mcp/mcpStdio.ts",
  "src/mcp/mcpHttp.ts",
  "src/mcp/createMcpServer.ts",
  "src/mcp/governedCall.ts",
  "commands/CommandSpec.ts",
]);

export interface ImportEdge {
  from: string;
  to: string;
  fromFolder: string;
  toFolder: string;
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;

/** The folder (layer key) a repository path belongs to. */
export function folderOf(rel: string): string {
  const parts = rel.split("/");
  if (parts[0] === "commands") return "commands";
  if (parts[0] === "src" && parts.length === 2) return "main";
  return parts[1] ?? rel;
}

function sources(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sources(root, rel));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) out.push(rel);
  }
  return out;
}

/** Every relative import (static, re-export, dynamic) of the non-test modules in src/ and commands/. */
export function importEdges(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of [...sources(root, "src"), ...sources(root, "commands")]) {
    const text = stripComments(readFileSync(path.join(root, from), "utf8"));
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (!spec?.startsWith(".")) continue;
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
      edges.push({ from, to, fromFolder: folderOf(from), toFolder: folderOf(to) });
    }
  }
  return edges;
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** A circle of folders, if the folder graph has one (depth-first search). */
export function folderCycle(edges: ImportEdge[]): string[] | undefined {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.fromFolder === e.toFolder) continue;
    const set = next.get(e.fromFolder) ?? new Set<string>();
    set.add(e.toFolder);
    next.set(e.fromFolder, set);
  }
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string): string[] | undefined => {
    if (state.get(f) === "done") return undefined;
    if (state.get(f) === "open") return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, "open");
    stack.push(f);
    for (const t of [...(next.get(f) ?? [])].sort()) {
      const cycle = visit(t);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(f, "done");
    return undefined;
  };
  for (const f of [...next.keys()].sort()) {
    const cycle = visit(f);
    if (cycle) return cycle;
  }
  return undefined;
}
