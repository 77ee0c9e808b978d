import { createHash } from "node:crypto";
import { CodexError } from "../core/CodexError.ts";

/** Turns texts into vectors for the memory index. */
export interface Embedder {
  /** What the index records, so a change of model or dimension forces a reindex: `openai:MODEL`, `hash:64`. */
  readonly id: string;
  /** What status and search results show. */
  readonly label: string;
  /** False for the offline test embedder: its vectors carry no meaning beyond shared words. */
  readonly semantic: boolean;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

function normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const n = Math.sqrt(sum) || 1;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / n;
  return v;
}

/**
 * The offline test embedder (`MAOS_EMBEDDINGS=hash:DIM`): each word is hashed into one of DIM buckets.
 * Deterministic and network-free, so tests exercise the vector path; it is NOT semantic (synonyms do not
 * meet) and says so in its label.
 */
export function hashEmbedder(dim: number): Embedder {
  if (!Number.isInteger(dim) || dim < 2 || dim > 4096) {
    throw new CodexError("CONFIG_INVALID", `hash embedder dimension ${dim} must be from 2 to 4096`, {
      hint: "set MAOS_EMBEDDINGS=hash:64",
    });
  }
  return {
    id: `hash:${dim}`,
    label: `hash:${dim} (deterministic offline test embedder, not semantic)`,
    semantic: false,
    async embed(texts) {
      return texts.map((t) => {
        const v = new Float32Array(dim);
        for (const word of t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
          const h = createHash("sha256").update(word).digest();
          const i = h.readUInt32BE(0) % dim;
          v[i] = (v[i] ?? 0) + ((h[4] ?? 0) & 1 ? 1 : -1);
        }
        return normalize(v);
      });
    },
  };
}

/** Texts per /v1/embeddings request. */
const BATCH = 64;

/** Any OpenAI-compatible `/v1/embeddings` (OpenAI, Ollama, vLLM), through the egress-guarded fetch. */
export function openaiEmbedder(opts: {
  model: string;
  baseUrl: string;
  apiKey: string | undefined;
  fetch: typeof fetch;
}): Embedder {
  const url = `${opts.baseUrl.replace(/\/+$/, "")}/embeddings`;
  return {
    id: `openai:${opts.model}`,
    label: `openai:${opts.model} via ${new URL(url).host}`,
    semantic: true,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        const input = texts.slice(i, i + BATCH);
        const res = await opts.fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${opts.apiKey ?? "none"}`,
          },
          body: JSON.stringify({ model: opts.model, input, encoding_format: "float" }),
          signal: AbortSignal.timeout(60_000),
        });
        if (!res.ok) {
          const detail = (await res.text()).slice(0, 200);
          throw new CodexError(
            "PROVIDER_FAILED",
            `the embeddings server answered ${res.status} at ${url}: ${detail}`,
            {
              hint: "check MAOS_EMBEDDINGS, MAOS_EMBEDDINGS_BASE_URL (or OPENAI_BASE_URL) and OPENAI_API_KEY",
            },
          );
        }
        const body = (await res.json()) as { data?: { index: number; embedding: number[] }[] };
        const data = [...(body.data ?? [])].sort((a, b) => a.index - b.index);
        if (data.length !== input.length) {
          throw new CodexError(
            "PROVIDER_FAILED",
            `the embeddings server returned ${data.length} vectors for ${input.length} texts`,
          );
        }
        for (const d of data) out.push(normalize(Float32Array.from(d.embedding)));
      }
      return out;
    },
  };
}
