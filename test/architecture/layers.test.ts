import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { APP_HOLDERS, folderCycle, importEdges, LAYERS } from "./layers.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const edges = importEdges(root);

test("every folder of src/ (and commands/) has a layer", () => {
  const folders = new Set(edges.flatMap((e) => [e.fromFolder, e.toFolder]));
  for (const d of readdirSync(path.join(root, "src"), { withFileTypes: true })) {
    if (d.isDirectory()) folders.add(d.name);
  }
  const missing = [...folders].filter((f) => LAYERS[f] === undefined);
  assert.deepEqual(missing, [], "add the new folder to LAYERS in test/architecture/layers.ts and biome.json");
});

test("imports run one way: adapters → commands → app → features → ledger, state → core", () => {
  const upward = edges
    .filter((e) => (LAYERS[e.toFolder] ?? 0) > (LAYERS[e.fromFolder] ?? 0))
    .map((e) => `${e.from} imports ${e.to} (${e.fromFolder} may not use ${e.toFolder})`);
  assert.deepEqual(upward, []);
});

test("no two folders import each other in a circle", () => {
  assert.equal(folderCycle(edges)?.join(" → "), undefined);
});

test("the cycle finder finds a circle of folders", () => {
  const edge = (a: string, b: string) => ({ from: `${a}/x.ts`, to: `${b}/y.ts`, fromFolder: a, toFolder: b });
  assert.deepEqual(folderCycle([edge("a", "b"), edge("b", "c"), edge("c", "a")]), ["a", "b", "c", "a"]);
  assert.equal(folderCycle([edge("a", "b"), edge("b", "c"), edge("a", "c")]), undefined);
});

test("only the composition root, the adapters' entry points and their command injectors hold the whole App", () => {
  const holders: string[] = [];
  for (const e of edges) {
    if (!/^src\/app\/(App|createApp)\.ts$/.test(e.to) || e.fromFolder === "app") continue;
    if (APP_HOLDERS.has(e.from)) continue;
    // A `Pick<App, …>` is a narrow dependency; any other use of the type is the whole App.
    const text = readFileSync(path.join(root, e.from), "utf8")
      .replace(/^import[^;]*;$/gm, "")
      .replace(/Pick<\s*App\s*,/g, "");
    if (/\bApp\b/.test(text)) holders.push(e.from);
  }
  assert.deepEqual([...new Set(holders)].sort(), []);
});

test("a file past 500 lines in src/ or commands/ says why in its first line", () => {
  const long: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith(".ts")) {
        const lines = readFileSync(path.join(root, rel), "utf8").split("\n");
        if (lines.length > 501 && !/^\/\/ Over 500 lines/.test(lines[0] ?? ""))
          long.push(`${rel} (${lines.length})`);
      }
    }
  };
  walk("src");
  walk("commands");
  assert.deepEqual(
    long,
    [],
    "split the file along its seams, or start it with `// Over 500 lines on purpose: …`",
  );
});

test("biome.json forbids each folder exactly the layers above it (the lint and this table agree)", () => {
  const biome = JSON.parse(readFileSync(path.join(root, "biome.json"), "utf8")) as {
    overrides: {
      includes: string[];
      linter: { rules: { style: { noRestrictedImports: { options: { patterns: { group: string[] }[] } } } } };
    }[];
  };
  const groupFor = (include: string) =>
    biome.overrides.find((o) => o.includes.includes(include))?.linter.rules.style.noRestrictedImports.options
      .patterns[0]?.group ?? [];
  const problems: string[] = [];
  for (const [folder, layer] of Object.entries(LAYERS)) {
    if (folder === "main") continue;
    const above = Object.entries(LAYERS)
      .filter(([f, l]) => l > layer && f !== "main")
      .map(([f]) => f)
      .sort();
    const forbidden = (include: string) =>
      groupFor(include)
        .map((g) => g.replace(/^(\.\.\/)+(src\/)?/, "").replace(/\/\*\*$/, ""))
        .sort();
    const includes =
      folder === "commands"
        ? ["commands/*.ts", "commands/*/*.ts"]
        : [`src/${folder}/*.ts`, `src/${folder}/*/*.ts`];
    for (const include of includes) {
      const got = forbidden(include);
      if (JSON.stringify(got) !== JSON.stringify(above)) {
        problems.push(
          `${include}: biome.json forbids [${got.join(", ")}], the layers say [${above.join(", ")}]`,
        );
      }
    }
  }
  assert.deepEqual(
    problems,
    [],
    "update biome.json's overrides to match LAYERS in test/architecture/layers.ts",
  );
});
