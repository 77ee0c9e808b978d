import { CodexError } from "../core/CodexError.ts";
import { scrubValues } from "../core/scrubValues.ts";
import { compilePattern, type NamedPattern, redactSecrets } from "./guardrails.ts";

/** What the charter does with a run input that looks like a credential (`guardrails.secret_inputs`). */
export type SecretInputPolicy = "refuse" | "redact";

export interface ScreenedInputs {
  inputs: Record<string, string>;
  /** Each input that matched, with the pattern names (never the value); empty when all were clean. */
  redacted: { input: string; patterns: string[] }[];
}

/** The charter's secret patterns one value matches, by name. */
function matchedPatterns(value: string, patterns: readonly NamedPattern[]): string[] {
  return patterns.filter((p) => compilePattern(p).test(value)).map((p) => p.name);
}

/**
 * Screens a run's inputs against the charter's secret patterns before anything is written
 * (RUN_STARTED, run.json, the vault, a prompt). Exact known secret values (API keys, the registry's)
 * are scrubbed by value wherever they go, as everywhere else; the patterns catch credentials the
 * process does not know. `refuse` (the default)
 * throws INPUT_REFUSED naming each input and pattern, never the value; `redact` replaces each match
 * with `[REDACTED:name]` and says which inputs it changed.
 */
export function screenInputs(
  inputs: Record<string, string>,
  rules: { secretPatterns: readonly NamedPattern[]; secretInputs: SecretInputPolicy; file: string },
  secrets: readonly string[] = [],
): ScreenedInputs {
  const hits = Object.entries(inputs)
    .map(([input, value]) => ({ input, patterns: matchedPatterns(value, rules.secretPatterns) }))
    .filter((h) => h.patterns.length > 0);
  if (hits.length === 0) return { inputs, redacted: [] };
  if (rules.secretInputs === "refuse") {
    const list = hits.map((h) => `${h.input} (${h.patterns.join(", ")})`).join(", ");
    throw new CodexError(
      "INPUT_REFUSED",
      `input ${list} looks like a credential, so the run was not started and nothing was stored: inputs are written to the ledger, the vault and its git history, which must never hold a secret`,
      {
        hint: `pass a description instead of the value (keys belong in the environment or the secrets registry), or set guardrails.secret_inputs: redact in ${rules.file} to run with the value redacted`,
        details: { inputs: hits },
      },
    );
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) {
    out[k] = scrubValues(
      redactSecrets(v, { secretPatterns: rules.secretPatterns, piiPatterns: [] }),
      secrets,
    );
  }
  return { inputs: out, redacted: hits };
}
