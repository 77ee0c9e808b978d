#!/usr/bin/env node
// `node bin/node.js [node options] script [args]` is `node …` on a Node that can run the project's
// TypeScript (>= 22), whatever `node` is first on PATH: see nodeLauncher.js. npm's scripts go through
// it, so `npm start`, `npm test` and `npm run bench` work on the machine's Node 20 too.
import { launch } from "./nodeLauncher.js";

launch(process.argv.slice(2));
