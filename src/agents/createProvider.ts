import { CodexError } from "../core/CodexError.ts";
import { AnthropicProvider } from "./anthropicProvider.ts";
import { OfflineProvider } from "./offlineProvider.ts";
import { OpenAIProvider } from "./openaiProvider.ts";
import type { Provider } from "./Provider.ts";

export interface ProviderEnv {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  ANTHROPIC_API_KEY?: string;
  ANTHROPIC_BASE_URL?: string;
}

/** Sent when an OpenAI-compatible local server (Ollama, vLLM, llama.cpp) needs no key: the SDK insists on one. */
export const LOCAL_DUMMY_KEY = "local-no-key";

const FORMS =
  "offline, openai:MODEL (e.g. openai:gpt-4o-mini) or anthropic:MODEL (e.g. anthropic:claude-sonnet-5)";

/** Splits a spec into kind and model; the model keeps any colons (Ollama's "llama3.1:8b"). */
export function parseProviderSpec(
  spec: string,
  source = "MAOS_PRIME / MAOS_BACKUP",
): { kind: Provider["kind"]; model: string } {
  const s = spec.trim();
  if (s.toLowerCase() === "offline") return { kind: "offline", model: "offline-v1" };
  const m = s.match(/^(openai|anthropic):(\S+)$/i);
  if (!m?.[1] || !m[2]) {
    throw new CodexError("CONFIG_INVALID", `Provider spec "${spec}" is not valid.`, {
      hint: `Set ${source} (or the stack's provider override) to ${FORMS}.`,
      details: { spec },
    });
  }
  return { kind: m[1].toLowerCase() as "openai" | "anthropic", model: m[2] };
}

const set = (v: string | undefined): string | undefined => (v && v.trim() !== "" ? v.trim() : undefined);

function baseUrl(value: string | undefined, variable: string): string | undefined {
  const v = set(value);
  if (v === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new CodexError("CONFIG_INVALID", `${variable} is not a URL: "${v}".`, {
      hint: `Set ${variable} to an http(s) base URL such as http://127.0.0.1:11434/v1, or unset it.`,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CodexError(
      "CONFIG_INVALID",
      `${variable} must be an http or https URL, not "${url.protocol}".`,
      {
        hint: `Set ${variable} to an http(s) base URL, or unset it.`,
      },
    );
  }
  return v;
}

/**
 * Builds the provider a spec names. Throws CodexError CONFIG_INVALID for a malformed spec or a missing
 * key. OPENAI_BASE_URL without OPENAI_API_KEY means a local OpenAI-compatible server: a dummy key is sent.
 * `source` names the variable the spec came from in error messages.
 */
export function createProvider(
  spec: string,
  env: ProviderEnv,
  opts: { fetch?: typeof fetch; source?: string } = {},
): Provider {
  const { kind, model } = parseProviderSpec(spec, opts.source);
  const fetchOpt = opts.fetch ? { fetch: opts.fetch } : {};
  if (kind === "offline") return new OfflineProvider();

  if (kind === "openai") {
    const baseURL = baseUrl(env.OPENAI_BASE_URL, "OPENAI_BASE_URL");
    const apiKey = set(env.OPENAI_API_KEY) ?? (baseURL ? LOCAL_DUMMY_KEY : undefined);
    if (!apiKey) {
      throw new CodexError(
        "CONFIG_INVALID",
        `Provider ${spec.trim()} needs OPENAI_API_KEY, which is not set.`,
        {
          hint:
            "Set OPENAI_API_KEY, or set OPENAI_BASE_URL to an OpenAI-compatible local server (Ollama, vLLM, " +
            `llama.cpp), or choose another provider in ${opts.source ?? "MAOS_PRIME / MAOS_BACKUP"}.`,
        },
      );
    }
    return new OpenAIProvider({ model, apiKey, ...(baseURL ? { baseURL } : {}), ...fetchOpt });
  }

  const baseURL = baseUrl(env.ANTHROPIC_BASE_URL, "ANTHROPIC_BASE_URL");
  const apiKey = set(env.ANTHROPIC_API_KEY);
  if (!apiKey) {
    throw new CodexError(
      "CONFIG_INVALID",
      `Provider ${spec.trim()} needs ANTHROPIC_API_KEY, which is not set.`,
      {
        hint: `Set ANTHROPIC_API_KEY, or choose another provider in ${opts.source ?? "MAOS_PRIME / MAOS_BACKUP"}.`,
      },
    );
  }
  return new AnthropicProvider({ model, apiKey, ...(baseURL ? { baseURL } : {}), ...fetchOpt });
}
