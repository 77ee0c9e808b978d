// How long `maos` takes to start and answer, against `node -e 0` in the same loop (the floor no Node
// program goes under), run as a user runs it: a fresh process per call, through bin/maos.js.
import { spawnSync } from "node:child_process";
import path from "node:path";

const REPO = path.resolve(import.meta.dirname, "..");
const MAOS = path.join(REPO, "bin", "maos.js");

export const CLI_COMMANDS = [["--help"], ["stacks", "list"], ["ledger", "tail"]] as const;

export interface CliStartResult {
  /** Which node the PATH finds first (bin/maos.js re-runs itself under Node 24 when it is older). */
  node: string;
  home: string;
  nodeEMs: number;
  /** Median wall time per command, ms; ratio to `node -e 0`. */
  commands: { command: string; ms: number; ratio: number; exitCode: number | null }[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** `rounds` interleaved rounds (one call of each per round), after one warm-up round. */
export function benchCliStart(opts: { home: string; pathFirst: string; rounds?: number }): CliStartResult {
  const env = {
    ...process.env,
    PATH: `${opts.pathFirst}${path.delimiter}${process.env.PATH ?? ""}`,
    MAOS_HOME: opts.home,
    MAOS_STACKS: path.join(REPO, "stacks"),
    MAOS_CHARTER: path.join(REPO, "charter.yml"),
  };
  const time = (args: string[]) => {
    const t0 = performance.now();
    const r = spawnSync("node", args, { env, cwd: opts.home, stdio: ["ignore", "ignore", "ignore"] });
    return { ms: performance.now() - t0, status: r.status };
  };
  const node = spawnSync("node", ["-p", "process.version"], { env, encoding: "utf8" }).stdout.trim();
  const rounds = opts.rounds ?? 15;
  const floor: number[] = [];
  const times = CLI_COMMANDS.map(() => [] as number[]);
  const codes = CLI_COMMANDS.map(() => null as number | null);
  for (let i = 0; i <= rounds; i++) {
    const f = time(["-e", "0"]);
    if (i > 0) floor.push(f.ms);
    CLI_COMMANDS.forEach((c, k) => {
      const r = time([MAOS, ...c]);
      codes[k] = r.status;
      if (i > 0) times[k]?.push(r.ms);
    });
  }
  const nodeEMs = median(floor);
  return {
    node,
    home: opts.home,
    nodeEMs: round(nodeEMs, 1),
    commands: CLI_COMMANDS.map((c, k) => {
      const ms = median(times[k] ?? []);
      return {
        command: `maos ${c.join(" ")}`,
        ms: round(ms, 1),
        ratio: round(ms / nodeEMs),
        exitCode: codes[k] ?? null,
      };
    }),
  };
}
