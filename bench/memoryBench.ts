// Memory Pack v1 over 100k items: index build throughput (keyword only, and with the offline hash
// embedder's vectors), and search p99, keyword and hybrid. The hash embedder stands in for a real model
// (its cost is not a model's; the index and fusion costs are what is measured).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { hashEmbedder } from "../src/memory/Embedder.ts";
import { MemoryIndex } from "../src/memory/MemoryIndex.ts";
import type { MemoryItem } from "../src/memory/memoryItems.ts";
import { percentile } from "./mcpBench.ts";

const ITEMS = 100_000;
const QUERIES = 200;
/** A 5,000-word vocabulary drawn with a Zipf-like skew, as prose is: a few words everywhere, most rare. */
const VOCAB = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x`);
const WORDS = VOCAB.slice(200, 400); // queries use mid-frequency words

function items(): MemoryItem[] {
  let x = 12345;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  return Array.from({ length: ITEMS }, (_, i) => ({
    seq: i + 1,
    part: 0,
    kind: "output" as const,
    stack: ["marketing_ops", "field_estimator", "equipment_lead", "campaign_operator"][i % 4] ?? null,
    runId: null,
    vaultPath: `runs/bench/${i}.md`,
    text: Array.from({ length: 60 }, () => VOCAB[Math.floor(VOCAB.length * rnd() ** 3)]).join(" "),
  }));
}

async function build(
  file: string,
  withVectors: boolean,
  all: MemoryItem[],
): Promise<{ index: MemoryIndex; perSec: number }> {
  const index = MemoryIndex.open(file, withVectors ? hashEmbedder(64) : undefined);
  const t0 = performance.now();
  for (let i = 0; i < all.length; i += 5000) await index.add(all.slice(i, i + 5000), i + 5000);
  return { index, perSec: Math.round(all.length / ((performance.now() - t0) / 1000)) };
}

async function searchP99(index: MemoryIndex): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const q = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} ${WORDS[(i * 13) % WORDS.length]}`;
    const t0 = performance.now();
    await index.search({ query: q, limit: 5, ...(i % 2 ? { stack: "marketing_ops" } : {}) });
    times.push(performance.now() - t0);
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50: round(percentile(times, 50)), p99: round(percentile(times, 99)) };
}

export async function benchMemory(): Promise<{
  items: number;
  keywordBuildPerSec: number;
  hybridBuildPerSec: number;
  keywordP50Ms: number;
  keywordP99Ms: number;
  hybridP50Ms: number;
  hybridP99Ms: number;
}> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "maos-bench-memory-"));
  const all = items();
  try {
    const kw = await build(path.join(dir, "keyword.db"), false, all);
    const k = await searchP99(kw.index);
    kw.index.close();
    const hy = await build(path.join(dir, "hybrid.db"), true, all);
    const h = await searchP99(hy.index);
    hy.index.close();
    return {
      items: ITEMS,
      keywordBuildPerSec: kw.perSec,
      hybridBuildPerSec: hy.perSec,
      keywordP50Ms: k.p50,
      keywordP99Ms: k.p99,
      hybridP50Ms: h.p50,
      hybridP99Ms: h.p99,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
