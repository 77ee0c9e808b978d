#!/usr/bin/env node
// The `maos` CLI. The sources are TypeScript that Node >= 22.18 runs by stripping types. On such a Node
// the CLI runs right here; on any other (an older 22, or the machine's Node 20) the launcher re-runs
// this file under a Node that can (see nodeLauncher.js), which it installs from the npm registry once.
if (Number(process.versions.node.split(".")[0]) >= 22 && process.features.typescript) {
  // Node keeps the compiled (and type-stripped) sources in its on-disk cache (NODE_COMPILE_CACHE, else
  // the temp folder), so a command starts without stripping and compiling them again; a changed file
  // is compiled afresh. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  const { default: nodeModule } = await import("node:module");
  nodeModule.enableCompileCache?.();
  const { main } = await import("../src/cli/main.ts");
  process.exitCode = await main(process.argv.slice(2));
} else {
  const { launch } = await import("./nodeLauncher.js");
  const { fileURLToPath } = await import("node:url");
  launch([fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
}
