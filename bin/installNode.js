#!/usr/bin/env node
// npm's postinstall: when the Node running npm is older than 22, install Node 24 from the npm registry
// into .node/ now, so that `npm start`, `npm test` and `npx maos` never need the network later. On
// Node >= 22 it does nothing. See nodeLauncher.js.
import { readFileSync } from "node:fs";
import path from "node:path";
import { LauncherError, MIN_MAJOR, resolveNode } from "./nodeLauncher.js";

try {
  const { node, current } = resolveNode();
  if (!current) {
    const pkg = path.join(path.dirname(node), "..", "package.json");
    const version = JSON.parse(readFileSync(pkg, "utf8")).version;
    process.stderr.write(
      `maos-codex: Node ${process.version} is older than ${MIN_MAJOR}; npm start, npm test and npx maos run on Node v${version} from .node/\n`,
    );
  }
} catch (err) {
  if (!(err instanceof LauncherError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
