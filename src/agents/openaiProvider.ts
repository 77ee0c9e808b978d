import OpenAI from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { classifyError } from "./classifyError.ts";
import { estimateTokens } from "./estimateTokens.ts";
import type { GenerateRequest, GenerateResult, Provider } from "./Provider.ts";
import { ProviderError } from "./ProviderError.ts";

export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/**
 * OpenAI chat completions through the official SDK; also any OpenAI-compatible server (Ollama, vLLM,
 * llama.cpp) through `baseURL`. A draft asked for with `onText` streams (content deltas as they arrive).
 * The SDK's retries are off: the AgentHub owns the only retry loop.
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

    let answer: Answer;
    try {
      answer =
        req.onText && !req.jsonSchema
          ? await this.#streamed(body, req.onText, signal)
          : answerOf(await this.#client.chat.completions.create(body, { signal }));
    } catch (err) {
      throw classifyError(err, [this.#apiKey]);
    }

    if (!answer.hasChoice) throw new ProviderError("invalid_output", `${this.spec} answered with no choices`);
    if (answer.refusal) throw new ProviderError("invalid_output", `${this.spec} refused: ${answer.refusal}`);
    const text = answer.text;
    const tokens = {
      input: answer.usage?.prompt_tokens ?? estimateTokens(req.system + req.prompt),
      output: answer.usage?.completion_tokens ?? estimateTokens(text),
    };
    const model = answer.model || this.model;
    if (!req.jsonSchema) return { text, tokens, model };

    try {
      return { text, json: JSON.parse(text), tokens, model };
    } catch {
      const finish = answer.finish;
      throw new ProviderError(
        "invalid_output",
        `${this.spec} returned text that is not JSON for schema ${req.jsonSchema.name}` +
          `${finish === "length" ? " (cut off at the token limit)" : ""}: ${text.slice(0, 120)}`,
      );
    }
  }

  /**
   * The same completion as server-sent chunks (`stream: true`), each content delta handed to `onText`
   * as it arrives. A stream that ends without a finish_reason was cut off: that is an error, never a
   * shorter answer.
   */
  async #streamed(
    body: ChatCompletionCreateParamsNonStreaming,
    onText: (delta: string) => void,
    signal: AbortSignal,
  ): Promise<Answer> {
    const stream = await this.#client.chat.completions.create(
      {
        ...body,
        stream: true,
        // Token counts arrive in a last chunk on api.openai.com; compatible servers may not know the
        // option, so they get estimates instead.
        ...(this.#compatible ? {} : { stream_options: { include_usage: true } }),
      },
      { signal },
    );
    const answer: Answer = { text: "", refusal: "", model: "", hasChoice: false };
    for await (const chunk of stream) {
      if (chunk.model) answer.model = chunk.model;
      if (chunk.usage) answer.usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      answer.hasChoice = true;
      const piece = choice.delta?.content;
      if (piece) {
        answer.text += piece;
        onText(piece);
      }
      if (choice.delta?.refusal) answer.refusal += choice.delta.refusal;
      if (choice.finish_reason) answer.finish = choice.finish_reason;
    }
    if (answer.finish === undefined) {
      throw new ProviderError(
        "network",
        `${this.spec}'s stream ended after ${answer.text.length} characters without a finish_reason (the connection was cut)`,
      );
    }
    return answer;
  }

  async probe(signal: AbortSignal): Promise<void> {
    try {
      await this.#client.models.list({ signal });
    } catch (err) {
      throw classifyError(err, [this.#apiKey]);
    }
  }
}

/** What both forms of a completion (one JSON answer, or a stream of chunks) come to. */
interface Answer {
  text: string;
  refusal: string;
  model: string;
  hasChoice: boolean;
  finish?: string;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

function answerOf(completion: OpenAI.ChatCompletion): Answer {
  const choice = completion.choices[0];
  return {
    text: choice?.message.content ?? "",
    refusal: choice?.message.refusal ?? "",
    model: completion.model,
    hasChoice: choice !== undefined,
    ...(choice?.finish_reason ? { finish: choice.finish_reason } : {}),
    ...(completion.usage ? { usage: completion.usage } : {}),
  };
}
