/**
 * What every model provider implements. The executor builds a GenerateRequest per agent step and hands
 * it to the AgentHub, which owns the only retry and failover loop (the SDKs' own retries are off).
 */
export interface DraftContext {
  task: "draft" | "judge";
  persona: string;
  goal: string;
  agentId: string;
  role: string;
  inputs: Record<string, string>;
  upstream: { agent: string; role: string; output: string }[];
  /** Wisdom from earlier runs. */
  lessons: string[];
  /** Markdown headings the output must have. */
  requiredSections?: string[];
  /** Judge only. */
  criteria?: { id: string; description: string; weight: number }[];
  /** Judge only: the text being judged. */
  subject?: string;
}

export interface GenerateRequest {
  system: string;
  prompt: string;
  /** Schema-forced JSON output: the provider must return JSON valid against this JSON Schema. */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  maxTokens?: number;
  context: DraftContext;
  /**
   * Streaming: a provider that produces text piece by piece calls this with each piece, in order (the
   * whole text is still returned). Providers that cannot stream ignore it.
   */
  onText?: ((delta: string) => void) | undefined;
  /**
   * The AgentHub calls this when an attempt that had already streamed text failed (a dropped
   * connection, a timeout): what was streamed will not be continued, and the hub's later attempts for
   * this request do not stream (their whole text is only returned). `reason` names the provider and
   * the error.
   */
  onTextBroken?: ((reason: string) => void) | undefined;
}

export interface GenerateResult {
  text: string;
  json?: unknown;
  tokens: { input: number; output: number };
  model: string;
}

export interface Provider {
  /** "offline" | "openai:gpt-4o-mini" | "anthropic:claude-…" */
  readonly spec: string;
  readonly kind: "offline" | "openai" | "anthropic";
  readonly model: string;
  generate(req: GenerateRequest, signal: AbortSignal): Promise<GenerateResult>;
  /** A cheap health probe (activation step "agents answer"); offline always succeeds. */
  probe(signal: AbortSignal): Promise<void>;
}
