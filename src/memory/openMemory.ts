import path from "node:path";
import type { Env } from "../config/loadEnv.ts";
import { type Embedder, hashEmbedder, openaiEmbedder } from "./Embedder.ts";
import { MemoryIndex } from "./MemoryIndex.ts";

/** MAOS_EMBEDDINGS as an embedder: `openai:MODEL` (OpenAI-compatible /v1/embeddings), `hash:DIM`, or none. */
export function embedderFromEnv(env: Env, fetchFn: typeof fetch): Embedder | undefined {
  const spec = env.MAOS_EMBEDDINGS;
  if (!spec) return undefined;
  const [kind, rest] = [spec.slice(0, spec.indexOf(":")), spec.slice(spec.indexOf(":") + 1)];
  if (kind === "hash") return hashEmbedder(Number(rest));
  return openaiEmbedder({
    model: rest,
    baseUrl: env.MAOS_EMBEDDINGS_BASE_URL ?? env.OPENAI_BASE_URL ?? "https://api.openai.com/v1",
    apiKey: env.OPENAI_API_KEY,
    fetch: fetchFn,
  });
}

/** The memory index file beside the ledger. */
export function memoryPath(home: string): string {
  return path.join(home, "memory.db");
}

export function openMemory(env: Env, fetchFn: typeof fetch): MemoryIndex {
  return MemoryIndex.open(memoryPath(env.MAOS_HOME), embedderFromEnv(env, fetchFn));
}
