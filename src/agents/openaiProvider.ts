import OpenAI from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { classifyError } from "./classifyError.ts";
import { estimateTokens } from "./estimateTokens.ts";
import type { GenerateRequest, GenerateResult, Provider } from "./Provider.ts";
import { ProviderError } from "./ProviderError.ts";

export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/**
 * OpenAI chat completions through the official SDK; also any OpenAI-compatible server (Ollama, vLLM,
 * llama.cpp) through `baseURL`. The SDK's retries are off: the AgentHub owns the only retry loop.
 */
export class OpenAIProvider implements Provider {
  readonly kind = "openai" as const;
  readonly spec: string;
  readonly model: string;
  readonly #client: OpenAI;
  readonly #apiKey: string;
  readonly #compatible: boolean;

  constructor(opts: { model: string; apiKey: string; baseURL?: string; fetch?: typeof fetch }) {
    this.model = opts.model;
    this.spec = `openai:${opts.model}`;
    this.#apiKey = opts.apiKey;
    const baseURL = opts.baseURL ?? OPENAI_DEFAULT_BASE_URL;
    this.#compatible = baseURL.replace(/\/+$/, "") !== OPENAI_DEFAULT_BASE_URL;
    this.#client = new OpenAI({
      apiKey: opts.apiKey,
      baseURL,
      maxRetries: 0,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  async generate(req: GenerateRequest, signal: AbortSignal): Promise<GenerateResult> {
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: this.model,
      messages: [
        { role: "system", content: req.system },
        { role: "user", content: req.prompt },
      ],
    };
    if (req.maxTokens !== undefined) {
      // api.openai.com deprecated max_tokens (reasoning models refuse it); compatible servers
      // (Ollama, vLLM, llama.cpp) implement max_tokens.
      if (this.#compatible) body.max_tokens = req.maxTokens;
      else body.max_completion_tokens = req.maxTokens;
    }
    if (req.jsonSchema) {
      body.response_format = {
        type: "json_schema",
        json_schema: { name: req.jsonSchema.name, schema: req.jsonSchema.schema, strict: true },
      };
    }

    let completion: OpenAI.ChatCompletion;
    try {
      completion = await this.#client.chat.completions.create(body, { signal });
    } catch (err) {
      throw classifyError(err, [this.#apiKey]);
    }

    const message = completion.choices[0]?.message;
    if (!message) throw new ProviderError("invalid_output", `${this.spec} answered with no choices`);
    if (message.refusal)
      throw new ProviderError("invalid_output", `${this.spec} refused: ${message.refusal}`);
    const text = message.content ?? "";
    const tokens = {
      input: completion.usage?.prompt_tokens ?? estimateTokens(req.system + req.prompt),
      output: completion.usage?.completion_tokens ?? estimateTokens(text),
    };
    const model = completion.model || this.model;
    if (!req.jsonSchema) return { text, tokens, model };

    try {
      return { text, json: JSON.parse(text), tokens, model };
    } catch {
      const finish = completion.choices[0]?.finish_reason;
      throw new ProviderError(
        "invalid_output",
        `${this.spec} returned text that is not JSON for schema ${req.jsonSchema.name}` +
          `${finish === "length" ? " (cut off at the token limit)" : ""}: ${text.slice(0, 120)}`,
      );
    }
  }

  async probe(signal: AbortSignal): Promise<void> {
    try {
      await this.#client.models.list({ signal });
    } catch (err) {
      throw classifyError(err, [this.#apiKey]);
    }
  }
}
