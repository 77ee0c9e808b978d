#!/usr/bin/env node
// The `maos` CLI. The sources are TypeScript that Node runs by stripping types (Node >= 22.18 does it
// by default); an older Node 22 needs the flag, so re-run under it rather than ship a build step.
import { spawnSync } from "node:child_process";

if (!process.features.typescript) {
  const r = spawnSync(
    process.execPath,
    ["--experimental-strip-types", "--no-warnings=ExperimentalWarning", ...process.argv.slice(1)],
    { stdio: "inherit" },
  );
  process.exit(r.status ?? 1);
}
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
