import { existsSync } from "node:fs";
import path from "node:path";
import type { App } from "../src/app/App.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { Reply } from "../src/core/Reply.ts";
import type { MemoryHit } from "../src/memory/MemoryIndex.ts";

export interface MemorySearchResult {
  query: string;
  stack: string | null;
  mode: "keyword" | "hybrid";
  /** The embedder behind the vector half, as labelled (the offline test embedder says it is not semantic). */
  vectors: string | null;
  /** The ledger seq the index is in step with. */
  through: number;
  hits: MemoryHit[];
}

/** What memory reads. */
export type MemoryDeps = Pick<App, "home" | "ledgerPath" | "memory">;

const vaultDir = (app: MemoryDeps) => path.join(app.home, "vault");

/** `memory search QUERY [--stack S]`: the index catches up with the ledger, then answers; every hit cites its seq. */
export async function memorySearch(
  app: MemoryDeps,
  q: { query: string; stack?: string | undefined; limit?: number | undefined },
): Promise<MemorySearchResult> {
  if (!q.query.trim()) throw new CodexError("USAGE", "give a query: what to search memory for");
  const memory = app.memory();
  if (existsSync(app.ledgerPath())) await memory.sync(app.ledgerPath(), vaultDir(app));
  const r = await memory.search({ query: q.query, stack: q.stack, limit: q.limit ?? 5 });
  return {
    query: q.query,
    stack: q.stack ?? null,
    mode: r.mode,
    vectors: memory.info().label,
    through: memory.through(),
    hits: r.hits,
  };
}

/** `memory reindex`: drops the index and derives it again from the ledger and the vault. */
export async function memoryReindex(
  app: MemoryDeps,
): Promise<{ items: number; through: number; ms: number; itemsPerSecond: number; vectors: string | null }> {
  if (!existsSync(app.ledgerPath())) {
    throw new CodexError("NOT_FOUND", `there is no ledger at ${app.ledgerPath()} to index`, {
      hint: "run a stack first, or point MAOS_HOME at the folder that holds ledger.db",
    });
  }
  const t0 = performance.now();
  const r = await app.memory().reindex(app.ledgerPath(), vaultDir(app));
  const ms = Math.max(1, Math.round(performance.now() - t0));
  const info = app.memory().info();
  return {
    items: info.items,
    through: r.through,
    ms,
    itemsPerSecond: Math.round((info.items * 1000) / ms),
    vectors: info.label,
  };
}

/** A stack's lessons from the memory index, newest first, each with its ledger seq. */
export async function lessonsFor(
  app: MemoryDeps,
  stack: string,
): Promise<{ stack: string; lessons: { seq: number; runId: string | null; text: string }[] }> {
  if (existsSync(app.ledgerPath())) await app.memory().sync(app.ledgerPath(), vaultDir(app));
  return { stack, lessons: app.memory().lessons(stack) };
}

export function memorySearchReply(r: MemorySearchResult): Reply {
  const lines = r.hits.map(
    (h) =>
      `• *seq ${h.seq}* ${h.kind}${h.stack ? ` · ${h.stack}` : ""}${h.vaultPath ? ` · \`${h.vaultPath}\`` : ""} (${h.via.join("+")})\n  ${h.text.replace(/\s+/g, " ").slice(0, 300)}`,
  );
  return {
    summary: `${r.hits.length} memory hit(s) for "${r.query}"`,
    ephemeral: true,
    parts: [
      { kind: "header", text: `Memory: ${r.query}${r.stack ? ` (stack ${r.stack})` : ""}` },
      { kind: "text", text: lines.length > 0 ? lines.join("\n") : "nothing in memory matches that yet" },
      {
        kind: "context",
        text: `${r.mode} search (BM25${r.mode === "hybrid" ? ` + vectors from ${r.vectors}, fused by reciprocal rank` : "; vectors off: MAOS_EMBEDDINGS is not set"}) · index in step with ledger seq ${r.through}`,
      },
    ],
  };
}
