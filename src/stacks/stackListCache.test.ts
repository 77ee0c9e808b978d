import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { LISTING_PACKAGES, LISTING_SOURCES } from "./stackListCache.ts";

/** Relative modules and packages a file imports at run time (`import type` erases to nothing). */
function runtimeImports(file: string): { relative: string[]; packages: string[] } {
  const text = readFileSync(file, "utf8");
  const relative: string[] = [];
  const packages: string[] = [];
  const statements = /^(?:import|export)\s+(?!type\b)(?:[^;]*?\sfrom\s+)?"([^"]+)";/gms;
  for (const m of text.matchAll(statements)) {
    const spec = m[1] as string;
    if (spec.startsWith(".")) relative.push(path.resolve(path.dirname(file), spec));
    else if (!spec.startsWith("node:")) packages.push(spec.split("/")[0] as string);
  }
  const dynamic = /await import\("(\.[^"]+)"\)/g;
  for (const m of text.matchAll(dynamic)) relative.push(path.resolve(path.dirname(file), m[1] as string));
  return { relative, packages };
}

test("the cache's key covers every module that turns a stack file's bytes into its listing", () => {
  const here = import.meta.dirname;
  const seen = new Set<string>();
  const packages = new Set<string>();
  const toScan = [path.join(here, "stackListCache.ts")];
  while (toScan.length > 0) {
    const file = toScan.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const found = runtimeImports(file);
    for (const p of found.packages) packages.add(p);
    toScan.push(...found.relative);
  }
  const listed = LISTING_SOURCES.map((rel) => path.join(here, rel));
  assert.deepEqual([...seen].sort(), [...listed].sort());
  assert.deepEqual([...packages].sort(), [...LISTING_PACKAGES].sort());
});
