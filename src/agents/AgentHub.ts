import { setTimeout as timerSleep } from "node:timers/promises";
import { CodexError } from "../core/CodexError.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import type { AttemptRecord, ErrorClass } from "./AttemptRecord.ts";
import { classifyError } from "./classifyError.ts";
import type { GenerateRequest, GenerateResult, Provider } from "./Provider.ts";
import { ProviderError } from "./ProviderError.ts";
import { backoffDelay, nextDelay, retryAfterMs } from "./retryTiming.ts";

export interface HubResult extends GenerateResult {
  provider: string;
  kind: Provider["kind"];
  attempts: AttemptRecord[];
}

export interface HubRetryOptions {
  /** Attempts per provider (default 3). */
  maxAttempts?: number;
  /** Backoff base (default 500 ms). */
  baseMs?: number;
  /** Backoff ceiling (default 8000 ms). */
  maxMs?: number;
  /** Per-attempt timeout (default 60000 ms). */
  timeoutMs?: number;
}

const RETRYABLE: ReadonlySet<ErrorClass> = new Set([
  "timeout",
  "request_timeout",
  "conflict",
  "rate_limited",
  "server_error",
  "network",
  // A sampled model may well produce valid JSON on the next try.
  "invalid_output",
]);
/** The request itself is wrong: another attempt or another provider would be refused the same way. */
const FATAL: ReadonlySet<ErrorClass> = new Set(["bad_request", "unprocessable"]);

const PROBE_TIMEOUT_MS = 10_000;
const PENDING = Symbol("pending");
const TIMED_OUT = Symbol("timed out");

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * One attempt's view of the caller's onText: it records whether any text went through, and lets
 * nothing through once the attempt is over (an aborted call may still deliver a chunk).
 */
function streamTap(onText: (delta: string) => void): {
  onText: (delta: string) => void;
  readonly used: boolean;
  close(): void;
} {
  let used = false;
  let open = true;
  return {
    onText(delta) {
      if (!open || delta === "") return;
      used = true;
      onText(delta);
    },
    get used() {
      return used;
    },
    close() {
      open = false;
    },
  };
}

/**
 * The Dual-Agent Backup Protocol: every generation goes to the prime provider, with retries on transient
 * failures, then to the backup. It is the only retry loop (the SDK clients run with maxRetries 0), every
 * attempt is reported through `onAttempt`, and all waiting goes through the injected Clock.
 */
export class AgentHub {
  readonly prime: Provider;
  readonly backup: Provider | undefined;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #maxAttempts: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #timeoutMs: number;
  readonly #onAttempt: ((a: AttemptRecord) => void | Promise<void>) | undefined;

  constructor(opts: {
    prime: Provider;
    backup?: Provider;
    clock: Clock;
    random?: () => number;
    retry?: HubRetryOptions;
    onAttempt?: (a: AttemptRecord) => void | Promise<void>;
  }) {
    this.prime = opts.prime;
    this.backup = opts.backup;
    this.#clock = opts.clock;
    this.#random = opts.random ?? Math.random;
    this.#maxAttempts = Math.max(1, Math.floor(opts.retry?.maxAttempts ?? 3));
    this.#baseMs = opts.retry?.baseMs ?? 500;
    this.#maxMs = opts.retry?.maxMs ?? 8000;
    this.#timeoutMs = opts.retry?.timeoutMs ?? 60_000;
    this.#onAttempt = opts.onAttempt;
  }

  /**
   * Generates through the prime (or the agent's own override), failing over to the backup.
   * Throws CodexError PROVIDER_REJECTED on 400/422 (no retry, no failover) and PROVIDER_FAILED when
   * every attempt on every provider failed; `details.attempts` lists them all.
   */
  async generate(req: GenerateRequest, meta: { agent: string; prime?: Provider }): Promise<HubResult> {
    const slots: { slot: "prime" | "backup"; provider: Provider }[] = [
      { slot: "prime", provider: meta.prime ?? this.prime },
    ];
    if (this.backup) slots.push({ slot: "backup", provider: this.backup });
    const attempts: AttemptRecord[] = [];
    // Text streamed by a failed attempt cannot be taken back, and a new attempt would not continue
    // it: once one breaks off, the consumer is told and later attempts do not stream.
    let streaming = req.onText !== undefined;

    for (const { slot, provider } of slots) {
      for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
        const started = this.#clock.monotonic();
        const tap = streaming && req.onText ? streamTap(req.onText) : undefined;
        const settled = await this.#attempt(provider, { ...req, onText: tap?.onText });
        tap?.close();
        const ms = Math.max(0, Math.round(this.#clock.monotonic() - started));
        const base = {
          agent: meta.agent,
          provider: provider.spec,
          kind: provider.kind,
          model: provider.model,
          slot,
          attempt,
          ms,
        };

        if (settled.ok) {
          const record: AttemptRecord = { ...base, outcome: "ok", tokens: settled.value.tokens };
          attempts.push(record);
          await this.#onAttempt?.(record);
          return { ...settled.value, provider: provider.spec, kind: provider.kind, attempts };
        }

        const err = classifyError(settled.error);
        if (tap?.used) {
          streaming = false;
          req.onTextBroken?.(`${provider.spec}: ${err.message}`);
        }
        const askedMs = retryAfterMs(err, this.#clock.now());
        const retry = RETRYABLE.has(err.errorClass) && attempt < this.#maxAttempts;
        const delay = retry
          ? nextDelay(backoffDelay(attempt, this.#baseMs, this.#maxMs, this.#random), askedMs)
          : undefined;
        const record: AttemptRecord = {
          ...base,
          outcome: "error",
          errorClass: err.errorClass,
          ...(err.status === undefined ? {} : { status: err.status }),
          message: err.message,
          tokens: { input: 0, output: 0 },
          ...(askedMs === undefined ? {} : { retryAfterMs: askedMs }),
          ...(delay === undefined ? {} : { nextDelayMs: delay }),
        };
        attempts.push(record);
        await this.#onAttempt?.(record);

        if (FATAL.has(err.errorClass)) {
          throw new CodexError(
            "PROVIDER_REJECTED",
            `${provider.spec} rejected the request for agent ${meta.agent}` +
              `${err.status === undefined ? "" : ` (HTTP ${err.status})`}: ${err.message}`,
            {
              hint:
                "The request itself was refused, so it was not retried or sent to the backup. Check the model " +
                "name in MAOS_PRIME / MAOS_BACKUP (or the stack's provider override) and the prompt and " +
                "output size.",
              details: { agent: meta.agent, attempts },
              cause: settled.error,
            },
          );
        }
        if (delay === undefined) break; // out of attempts, or auth/unknown: straight to the backup
        await this.#clock.sleep(delay);
      }
    }

    const tried = slots.map((s) => s.provider.spec).join(", then ");
    const last = attempts.at(-1);
    throw new CodexError(
      "PROVIDER_FAILED",
      `Every provider failed for agent ${meta.agent} after ${attempts.length} attempt(s) (${tried})` +
        `${last?.message ? `; last error: ${last.message}` : ""}`,
      {
        hint: this.backup
          ? "Check the providers named in MAOS_PRIME and MAOS_BACKUP (keys, base URLs, quotas), or set " +
            "MAOS_PRIME=offline to run with the embedded offline provider."
          : "Check the provider named in MAOS_PRIME (key, base URL, quota), or set MAOS_BACKUP to a second " +
            "provider (e.g. MAOS_BACKUP=offline) so a failing prime fails over.",
        details: { agent: meta.agent, attempts },
      },
    );
  }

  /** Probes the prime and the backup; never throws. */
  async probe(): Promise<{ provider: string; ok: boolean; error?: string }[]> {
    const providers = this.backup ? [this.prime, this.backup] : [this.prime];
    const out: { provider: string; ok: boolean; error?: string }[] = [];
    for (const provider of providers) {
      const settled = await this.#race(
        (signal) => provider.probe(signal),
        Math.min(this.#timeoutMs, PROBE_TIMEOUT_MS),
      );
      if (settled.ok) out.push({ provider: provider.spec, ok: true });
      else {
        const err = classifyError(settled.error);
        out.push({ provider: provider.spec, ok: false, error: `${err.errorClass}: ${err.message}` });
      }
    }
    return out;
  }

  #attempt(provider: Provider, req: GenerateRequest): Promise<Settled<GenerateResult>> {
    return this.#race((signal) => provider.generate(req, signal), this.#timeoutMs);
  }

  /**
   * Runs `call` against a timeout measured on the injected clock and aborts it when the timeout wins.
   * A call that settles before the event loop turns (the offline provider is pure computation) never
   * starts a timer: with a ManualClock in autoAdvance mode the timer would otherwise win at once and
   * jump time forward.
   */
  async #race<T>(call: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<Settled<T>> {
    const controller = new AbortController();
    let result: Promise<Settled<T>>;
    try {
      result = call(controller.signal).then(
        (value): Settled<T> => ({ ok: true, value }),
        (error: unknown): Settled<T> => ({ ok: false, error }),
      );
    } catch (error) {
      return { ok: false, error };
    }
    const early = await Promise.race([result, new Promise<typeof PENDING>((r) => setImmediate(r, PENDING))]);
    if (early !== PENDING) return early;

    const cancelTimer = new AbortController();
    const timer = this.#timeout(timeoutMs, cancelTimer.signal).then((): typeof TIMED_OUT => TIMED_OUT);
    const winner = await Promise.race([result, timer]);
    cancelTimer.abort();
    if (winner !== TIMED_OUT) return winner;
    controller.abort(new ProviderError("timeout", `no answer within ${timeoutMs} ms`));
    // The aborted call settles on its own; nothing waits for it.
    return { ok: false, error: new ProviderError("timeout", `no answer within ${timeoutMs} ms`) };
  }

  /**
   * The timeout's wait. The Clock interface cannot cancel a sleep, and a pending 60 s system timer would
   * hold the process open after the last call (the CLI would hang at exit), so on the system clock the
   * wait is a cancellable timer; on any other clock (ManualClock in tests) it is clock.sleep.
   */
  #timeout(ms: number, cancel: AbortSignal): Promise<void> {
    if (this.#clock !== systemClock) return this.#clock.sleep(ms);
    return timerSleep(ms, undefined, { signal: cancel }).catch(() => undefined);
  }
}
