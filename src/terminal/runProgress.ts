import type { ProgressListener, RunProgress } from "../executor/RunProgress.ts";

/**
 * A run's progress as words: one line per event, or undefined for an event shown as nothing. The CLI
 * and the shell both show these lines, so a run reads the same on either.
 */
export function progressLine(e: RunProgress, total: number): { text: string; pending: boolean } | undefined {
  switch (e.type) {
    case "started":
      return { text: `▶ ${e.stack}: ${e.agents.length} agents (run ${e.runId.slice(0, 8)})`, pending: false };
    case "step": {
      const where = `[${e.index + 1}/${total}] ${e.agent}`;
      if (e.state === "running") return { text: `  … ${where} running`, pending: true };
      if (e.state === "done")
        return { text: `  ✔ ${where}  ${e.provider ?? ""}  ${e.ms ?? 0} ms`, pending: false };
      return { text: `  ✖ ${where} failed${e.error ? `: ${e.error}` : ""}`, pending: false };
    }
    case "evaluating":
      return { text: "  … evaluating", pending: true };
    case "evaluated":
      return {
        text: `  ✔ evaluated: score ${e.score.toFixed(2)}${e.pass ? " (pass)" : " (below the bar)"}`,
        pending: false,
      };
    case "sealing":
      return { text: "  … sealing into the vault", pending: true };
    case "sealed":
      return { text: `  ✔ sealed, commit ${e.commit.slice(0, 12)}`, pending: false };
    default:
      return undefined;
  }
}

/**
 * The one progress renderer. `lines`: every event a whole line (the shell, a log). `overwrite`: a
 * pending line ("… running") is replaced in place by its result (the CLI on a TTY, on stderr).
 */
export function runProgress(write: (text: string) => void, mode: "lines" | "overwrite"): ProgressListener {
  let total = 0;
  return (e) => {
    if (e.type === "started") total = e.agents.length;
    const line = progressLine(e, total);
    if (!line) return;
    if (mode === "lines") return write(line.text);
    if (line.pending) return write(line.text);
    // The result replaces the pending line; the seal closes the progress with a blank line.
    const replace = e.type === "started" ? "" : "\r\x1b[K";
    write(`${replace}${line.text}\n${e.type === "sealed" ? "\n" : ""}`);
  };
}
