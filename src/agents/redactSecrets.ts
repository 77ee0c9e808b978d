import { scrubValues } from "../core/scrubValues.ts";

/**
 * Removes credentials from text that came back from a provider (error messages can echo a partly masked
 * key, e.g. OpenAI's "Incorrect API key provided: sk-abc***xyz"). Known secrets are removed verbatim;
 * key-shaped tokens and bearer credentials are removed by pattern.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  return scrubValues(text, secrets, "[redacted]")
    .replace(/\b(?:sk|pk|rk)-[A-Za-z0-9_*.-]{6,}/g, "[redacted-key]")
    .replace(/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, "Bearer [redacted]")
    .replace(/\b(x-api-key|api[_-]?key)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, "$1$2[redacted]");
}
