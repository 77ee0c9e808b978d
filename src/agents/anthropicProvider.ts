import Anthropic from "@anthropic-ai/sdk";
import type { MessageCreateParamsNonStreaming } from "@anthropic-ai/sdk/resources/messages";
import { classifyError } from "./classifyError.ts";
import type { GenerateRequest, GenerateResult, Provider } from "./Provider.ts";
import { ProviderError } from "./ProviderError.ts";

export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";
/** The Messages API requires max_tokens; this is used when the request names none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/**
 * Anthropic's Messages API through the official SDK. Schema-forced JSON goes through a single tool whose
 * input_schema is the schema, with tool_choice forcing that tool. A draft asked for with `onText` streams
 * (text deltas as they arrive). The SDK's retries are off.
 */
export class AnthropicProvider implements Provider {
  readonly kind = "anthropic" as const;
  readonly spec: string;
  readonly model: string;
  readonly #client: Anthropic;
  readonly #apiKey: string;

  constructor(opts: { model: string; apiKey: string; baseURL?: string; fetch?: typeof fetch }) {
    this.model = opts.model;
    this.spec = `anthropic:${opts.model}`;
    this.#apiKey = opts.apiKey;
    this.#client = new Anthropic({
      apiKey: opts.apiKey,
      baseURL: opts.baseURL ?? ANTHROPIC_DEFAULT_BASE_URL,
      maxRetries: 0,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  async generate(req: GenerateRequest, signal: AbortSignal): Promise<GenerateResult> {
    const body: MessageCreateParamsNonStreaming = {
      model: this.model,
      max_tokens: req.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      system: req.system,
      messages: [{ role: "user", content: req.prompt }],
    };
    if (req.jsonSchema) {
      body.tools = [
        {
          name: req.jsonSchema.name,
          description: `Record the answer as JSON valid against the ${req.jsonSchema.name} schema.`,
          input_schema: { ...req.jsonSchema.schema, type: "object" },
        },
      ];
      body.tool_choice = { type: "tool", name: req.jsonSchema.name };
    }

    let message: Anthropic.Message;
    try {
      message =
        req.onText && !req.jsonSchema
          ? await this.#streamed(body, req.onText, signal)
          : await this.#client.messages.create(body, { signal });
    } catch (err) {
      throw classifyError(err, [this.#apiKey]);
    }

    const tokens = { input: message.usage.input_tokens, output: message.usage.output_tokens };
    const model = message.model || this.model;
    if (message.stop_reason === "refusal") {
      throw new ProviderError("invalid_output", `${this.spec} refused to answer`);
    }
    if (req.jsonSchema) {
      const name = req.jsonSchema.name;
      const use = message.content.find((b) => b.type === "tool_use" && b.name === name);
      if (use?.type !== "tool_use" || typeof use.input !== "object" || use.input === null) {
        throw new ProviderError(
          "invalid_output",
          `${this.spec} did not call the forced tool ${name} (stop_reason ${message.stop_reason ?? "none"})`,
        );
      }
      return { text: JSON.stringify(use.input), json: use.input, tokens, model };
    }
    const text = message.content
      .map((b) => (b.type === "text" ? b.text : ""))
      .join("")
      .trim();
    return { text, tokens, model };
  }

  /**
   * The same message as server-sent events (`stream: true`), each text delta handed to `onText` as it
   * arrives, assembled into the Message the non-streaming call returns. A stream cut before
   * message_stop is an error, never a shorter answer; an `error` event is thrown by the SDK.
   */
  async #streamed(
    body: MessageCreateParamsNonStreaming,
    onText: (delta: string) => void,
    signal: AbortSignal,
  ): Promise<Anthropic.Message> {
    const stream = await this.#client.messages.create({ ...body, stream: true }, { signal });
    let message: Anthropic.Message | undefined;
    let text = "";
    let stopped = false;
    for await (const event of stream) {
      if (event.type === "message_start") message = event.message;
      else if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
        text += event.delta.text;
        onText(event.delta.text);
      } else if (event.type === "message_delta" && message) {
        message.stop_reason = event.delta.stop_reason;
        message.usage.output_tokens = event.usage.output_tokens;
      } else if (event.type === "message_stop") stopped = true;
    }
    if (!message || !stopped) {
      throw new ProviderError(
        "network",
        `${this.spec}'s stream ended after ${text.length} characters without message_stop (the connection was cut)`,
      );
    }
    return { ...message, content: [{ type: "text", text, citations: null }] };
  }

  async probe(signal: AbortSignal): Promise<void> {
    try {
      await this.#client.models.list({ limit: 1 }, { signal });
    } catch (err) {
      throw classifyError(err, [this.#apiKey]);
    }
  }
}
