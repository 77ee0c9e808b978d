import type { ProgressListener } from "../executor/RunProgress.ts";

/** A run's progress as whole lines, one per agent state, so it reads the same on a TTY and in a log. */
export function shellProgress(write: (line: string) => void): ProgressListener {
  let total = 0;
  return (e) => {
    switch (e.type) {
      case "started":
        total = e.agents.length;
        write(`▶ ${e.stack}: ${total} agents (run ${e.runId.slice(0, 8)})`);
        break;
      case "step": {
        const where = `[${e.index + 1}/${total}] ${e.agent}`;
        if (e.state === "running") write(`  … ${where} running`);
        else if (e.state === "done") write(`  ✔ ${where}  ${e.provider ?? ""}  ${e.ms ?? 0} ms`);
        else write(`  ✖ ${where} failed${e.error ? `: ${e.error}` : ""}`);
        break;
      }
      case "evaluating":
        write("  … evaluating");
        break;
      case "evaluated":
        write(`  ✔ evaluated: score ${e.score.toFixed(2)}${e.pass ? " (pass)" : " (below the bar)"}`);
        break;
      case "sealing":
        write("  … sealing into the vault");
        break;
      case "sealed":
        write(`  ✔ sealed, commit ${e.commit.slice(0, 12)}`);
        break;
    }
  };
}
