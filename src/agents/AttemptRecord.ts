import type { ErrorClass } from "../ledger/events.ts";
import type { Provider } from "./Provider.ts";

/** Why an attempt failed: the ledger catalogue names the classes and what the hub does with each. */
export type { ErrorClass };

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
