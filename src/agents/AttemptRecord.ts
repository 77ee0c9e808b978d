import type { Provider } from "./Provider.ts";

/**
 * Why an attempt failed. The hub decides from it: timeout, request_timeout (408), conflict (409),
 * rate_limited (429), server_error (5xx), network and invalid_output are retried on the same provider;
 * auth (401/403) and unknown fail over at once; bad_request (400) and unprocessable (422) stop the call.
 */
export type ErrorClass =
  | "timeout"
  | "rate_limited"
  | "server_error"
  | "request_timeout"
  | "conflict"
  | "network"
  | "bad_request"
  | "unprocessable"
  | "auth"
  | "invalid_output"
  | "unknown";

/** One call to one provider, ok or not. The executor writes each to the ledger. */
export interface AttemptRecord {
  agent: string;
  /** The provider's spec, e.g. "openai:gpt-4o-mini". */
  provider: string;
  kind: Provider["kind"];
  model: string;
  slot: "prime" | "backup";
  /** 1-based within that provider. */
  attempt: number;
  outcome: "ok" | "error";
  errorClass?: ErrorClass;
  status?: number;
  message?: string;
  ms: number;
  tokens: { input: number; output: number };
  /** What the provider asked for through Retry-After / retry-after-ms, in ms. */
  retryAfterMs?: number;
  /** The wait before the next attempt on the same provider, when there is one. */
  nextDelayMs?: number;
}
