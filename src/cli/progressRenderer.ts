import type { ProgressListener } from "../executor/RunProgress.ts";

/** Per-agent progress on a TTY (stderr, so stdout stays the result). Non-TTY output gets none. */
export function progressRenderer(stream: NodeJS.WriteStream): ProgressListener {
  if (!stream.isTTY) return () => {};
  const write = (s: string) => stream.write(s);
  let total = 0;
  return (e) => {
    switch (e.type) {
      case "started":
        total = e.agents.length;
        write(`▶ ${e.stack}: ${total} agents (run ${e.runId.slice(0, 8)})\n`);
        break;
      case "step":
        if (e.state === "running") write(`  … [${e.index + 1}/${total}] ${e.agent} running`);
        else
          write(
            `\r\x1b[K  ${e.state === "done" ? "✔" : "✖"} [${e.index + 1}/${total}] ${e.agent}  ${e.provider ?? ""} ${e.ms ?? 0} ms${e.error ? `  ${e.error}` : ""}\n`,
          );
        break;
      case "evaluating":
        write("  … evaluating");
        break;
      case "evaluated":
        write(`\r\x1b[K  ✔ evaluated: score ${e.score.toFixed(2)}${e.pass ? " (pass)" : ""}\n`);
        break;
      case "sealing":
        write("  … sealing into the vault");
        break;
      case "sealed":
        write(`\r\x1b[K  ✔ sealed, commit ${e.commit.slice(0, 12)}\n\n`);
        break;
    }
  };
}
