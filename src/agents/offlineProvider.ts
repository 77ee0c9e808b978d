import { estimateTokens } from "./estimateTokens.ts";
import { composeDraft } from "./offlineDraft.ts";
import { judgeOffline } from "./offlineJudge.ts";
import type { GenerateRequest, GenerateResult, Provider } from "./Provider.ts";
import { ProviderError } from "./ProviderError.ts";
import { cell } from "./textMeasures.ts";

export const OFFLINE_MODEL = "offline-v1";

/**
 * The embedded default provider: no network, no model, no clock, no randomness. Drafts are assembled by
 * rules from the context (see composeDraft) and judgements computed by heuristics (see judgeOffline), so
 * the same request always gives the same result. Token counts are estimates (characters / 4).
 */
export class OfflineProvider implements Provider {
  readonly spec = "offline";
  readonly kind = "offline" as const;
  readonly model = OFFLINE_MODEL;

  async generate(req: GenerateRequest, signal: AbortSignal): Promise<GenerateResult> {
    if (signal.aborted)
      throw new ProviderError("timeout", "the offline provider was cancelled before it started");
    const ctx = req.context;
    const input = estimateTokens(req.system + req.prompt);

    if (ctx.task === "judge") {
      const judgement = judgeOffline(ctx);
      if (req.jsonSchema) {
        const text = JSON.stringify(judgement);
        return { text, json: judgement, tokens: { input, output: estimateTokens(text) }, model: this.model };
      }
      const text = [
        "> Judgement by the offline provider (deterministic heuristics, no model).",
        "",
        "| Criterion | Score | What was measured |",
        "|---|---|---|",
        ...judgement.criteria.map((c) => `| ${cell(c.id)} | ${c.score.toFixed(2)} | ${cell(c.rationale)} |`),
        "",
        "## Lessons",
        "",
        ...(judgement.lessons.length ? judgement.lessons.map((l) => `- ${l}`) : ["- None."]),
        "",
      ].join("\n");
      return { text, json: judgement, tokens: { input, output: estimateTokens(text) }, model: this.model };
    }

    if (req.jsonSchema) {
      throw new ProviderError(
        "bad_request",
        `the offline provider produces JSON only for judge tasks, not for a draft with schema ${req.jsonSchema.name}`,
      );
    }
    const text = composeDraft(ctx);
    // Streams deterministically, a line at a time. Synchronously: yielding here would let a test's
    // instant clock time the call out, and the consumer paces what it shows anyway.
    if (req.onText) for (const line of text.split(/(?<=\n)/)) req.onText(line);
    return { text, tokens: { input, output: estimateTokens(text) }, model: this.model };
  }

  async probe(): Promise<void> {}
}
