import { randomUUID } from "node:crypto";
import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import type { Awaitable } from "../core/awaitable.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { type BackoffPolicy, backoffMs, DEFAULT_BACKOFF } from "../core/retryPolicy.ts";
import { SerialQueue } from "../core/SerialQueue.ts";
import { scrubValues } from "../core/scrubValues.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import { DeliveryError } from "./DeliveryError.ts";
import type { Delivered, EvidenceSink } from "./EvidenceSink.ts";
import type { EvidenceBody, SinkName } from "./evidenceBody.ts";
import { type OutboxRow, ownerId } from "./Outbox.ts";
import type { OutboxStore } from "./OutboxStore.ts";

/**
 * How long a retryable failure is retried, from the first failure of its run of failures (a success on
 * the sink, even a partial one, starts it over): 24 hours unless the charter's outbox.retry_budget_hours
 * says otherwise. A budget of time, not of tries, so a long outage of a sink never loses evidence.
 */
export const DEFAULT_RETRY_BUDGET_MS = 24 * 60 * 60_000;
/** The background loop looks for rows other processes queued this often (CLI commands queue evidence too). */
export const POLL_MS = 60_000;

export interface OutboxDispatcherOptions {
  outbox: OutboxStore;
  clock: Clock;
  log: Logger;
  ledger: { append(e: LedgerAppend): Promise<LedgerEntry> };
  /** Jitter source, injected so tests are deterministic. */
  random?: () => number;
  /** Retry budget per item, from its first failure (DEFAULT_RETRY_BUDGET_MS). */
  retryBudgetMs?: number;
  backoff?: BackoffPolicy;
  /** Exact secret values scrubbed from stored errors and ledger entries. */
  secrets?: readonly string[];
  /**
   * The signed checkpoint note covering the entry at `ledgerSeq` (signing one if none does yet), sent
   * with the item so every sink holds a copy. Without it, items go without one.
   */
  checkpointFor?: (ledgerSeq: number) => Awaitable<string>;
}

export interface PassResult {
  delivered: number;
  retried: number;
  deadLettered: number;
  /** When the earliest waiting row is due again. */
  nextDueAt: Date | undefined;
  /** Sinks whose head row another live process holds. */
  busy: SinkName[];
}

/**
 * Delivers the outbox: each sink's rows in queue order, one at a time, sinks in parallel (a Notion outage
 * never holds up Teamwork). A failure waits max(backoff, what the server asked) before the row is tried
 * again, and the sink waits with it (rows stay in order); a refusal that cannot succeed later (400, 401,
 * 403, 404), or a failure once the retry budget (a duration) is spent, makes the row a dead letter and the sink moves on. Every try is
 * counted before it is made and every remote id saved as soon as it is known, so a restart (even after
 * kill -9) resumes without repeating what the service already has.
 */
export class OutboxDispatcher {
  readonly #o: OutboxDispatcherOptions;
  readonly #sinks = new Map<SinkName, EvidenceSink>();
  readonly #owner = ownerId(randomUUID().slice(0, 8));
  readonly #passes = new SerialQueue();
  readonly #budgetMs: number;
  /** Failures in a row per sink since its last success: the backoff's pace, reset by any success. */
  readonly #streak = new Map<SinkName, number>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(opts: OutboxDispatcherOptions) {
    this.#o = opts;
    this.#budgetMs = opts.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  }

  setSink(sink: EvidenceSink): void {
    this.#sinks.set(sink.name, sink);
    this.kick();
  }

  /** The background loop runs in this process. */
  get running(): boolean {
    return this.#running;
  }

  sinks(): SinkName[] {
    return [...this.#sinks.keys()];
  }

  /** One pass: every sink delivers its due rows until it has none, or must wait. */
  deliverDue(): Promise<PassResult> {
    return this.#passes.run(async () => {
      const result: PassResult = {
        delivered: 0,
        retried: 0,
        deadLettered: 0,
        nextDueAt: undefined,
        busy: [],
      };
      await Promise.all([...this.#sinks.values()].map((s) => this.#drain(s, result)));
      return result;
    });
  }

  /** Runs passes in the background: after each, sleeps until the next row is due, a kick, or POLL_MS. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.kick();
    await this.#loop;
    this.#loop = undefined;
  }

  /** New rows were queued: wake the background loop. */
  kick(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Resolves once the pass in progress (if any) has finished. */
  idle(): Promise<void> {
    return this.#passes.run(async () => undefined);
  }

  async #run(): Promise<void> {
    const { clock, log } = this.#o;
    while (this.#running) {
      let wait = POLL_MS;
      try {
        const r = await this.deliverDue();
        if (r.nextDueAt) wait = Math.min(wait, Math.max(0, r.nextDueAt.getTime() - clock.now().getTime()));
      } catch (err) {
        log.error({ err }, "evidence outbox: delivery pass failed");
      }
      if (!this.#running) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        void clock.sleep(wait).then(resolve);
      });
      this.#wake = undefined;
    }
  }

  async #drain(sink: EvidenceSink, result: PassResult): Promise<void> {
    const { outbox, clock } = this.#o;
    for (;;) {
      const row = await outbox.head(sink.name);
      if (!row) return;
      const now = clock.now().getTime();
      if (row.nextAttemptMs > now) {
        this.#due(result, row.nextAttemptMs);
        return;
      }
      if (!(await outbox.claim(row.id, this.#owner))) {
        result.busy.push(sink.name);
        return;
      }
      const attempt = await outbox.startAttempt(row.id);
      const outcome = await this.#attempt(sink, row, attempt);
      if (outcome === "delivered") result.delivered++;
      else if (outcome === "dead") result.deadLettered++;
      else {
        result.retried++;
        const next = (await outbox.get(row.id))?.nextAttemptMs;
        if (next !== undefined) this.#due(result, next);
        return;
      }
    }
  }

  /** The body with the checkpoint covering its entry; delivery goes on without one if it cannot be had. */
  async #withCheckpoint(body: EvidenceBody): Promise<EvidenceBody> {
    const { checkpointFor, log } = this.#o;
    if (!checkpointFor) return body;
    try {
      return { ...body, checkpoint: await checkpointFor(body.item.ledgerSeq) };
    } catch (err) {
      log.warn({ err }, "evidence goes without a ledger checkpoint: none could be read or signed");
      return body;
    }
  }

  #due(result: PassResult, atMs: number): void {
    if (!result.nextDueAt || atMs < result.nextDueAt.getTime()) result.nextDueAt = new Date(atMs);
  }

  async #attempt(
    sink: EvidenceSink,
    row: OutboxRow,
    attempt: number,
  ): Promise<"delivered" | "retry" | "dead"> {
    const { outbox, clock, log, ledger } = this.#o;
    const secrets = this.#o.secrets ?? [];
    const item = row.body.item;
    const base = {
      kind: item.kind,
      title: item.title,
      ledgerSeq: item.ledgerSeq,
      // Only rows queued beside an EVIDENCE_QUEUED entry (older builds) have a seq of their own.
      ...(row.ledgerSeq === item.ledgerSeq ? {} : { queuedSeq: row.ledgerSeq }),
      outboxId: row.id,
      sink: sink.name,
      key: row.body.key,
      attempts: attempt,
    };
    let done: Delivered;
    try {
      done = await sink.deliver(await this.#withCheckpoint(row.body), {
        attempt,
        remoteId: row.remoteId,
        progress: row.progress,
        save: async (id, p) => {
          // Part of the delivery landed: the sink is answering again.
          this.#streak.set(sink.name, 0);
          await outbox.saveProgress(row.id, id, p);
        },
      });
    } catch (err) {
      const e =
        err instanceof DeliveryError
          ? err
          : new DeliveryError(err instanceof Error ? err.message : String(err), {
              retryable: true,
              cause: err,
            });
      const message = scrubValues(`${e.status ? `HTTP ${e.status}: ` : ""}${e.message}`, secrets);
      const now = clock.now().getTime();
      const current = await outbox.get(row.id);
      const since = current?.retrySinceMs ?? now;
      const spent = now - since;
      const outOfBudget = e.retryable && spent >= this.#budgetMs;
      if (!e.retryable || outOfBudget) {
        await outbox.deadLetter(row.id, message);
        log.error(
          { sink: sink.name, outboxId: row.id, attempts: attempt, error: message },
          "evidence dead-lettered",
        );
        await ledger.append({
          eventType: "EVIDENCE_FAILED",
          level: "error",
          actor: actorIdentity(SYSTEM_ACTOR),
          correlationId: item.correlationId,
          ...(item.sealVersion ? { sealVersion: item.sealVersion } : {}),
          payload: {
            ...base,
            delivered: [],
            deadLetter: true,
            reason: outOfBudget
              ? `${message} (retried for ${formatSpan(spent)} since the first failure; the retry budget is ${formatSpan(this.#budgetMs)})`
              : message,
            fix: e.retryable
              ? `${sink.name} kept failing; once it is reachable, run maos relay redrive`
              : (e.hint ?? `fix the ${sink.name} configuration, then run maos relay redrive`),
          },
        });
        return "dead";
      }
      // The pace is the sink's failures in a row since its last success (a restart resumes from the
      // row's tries); what the server asked for (Retry-After, a rate-limit reset) is a floor.
      const streak = (this.#streak.get(sink.name) ?? attempt - 1) + 1;
      this.#streak.set(sink.name, streak);
      const wait = Math.max(
        backoffMs(streak, this.#o.random ?? Math.random, this.#o.backoff ?? DEFAULT_BACKOFF),
        e.waitMs ?? 0,
      );
      await outbox.retryLater(row.id, now + wait, message, since);
      log.warn(
        { sink: sink.name, outboxId: row.id, attempts: attempt, waitMs: wait, error: message },
        "evidence delivery will be retried",
      );
      return "retry";
    }
    this.#streak.set(sink.name, 0);
    await outbox.delivered(row.id, done.remoteId);
    await ledger.append({
      eventType: "EVIDENCE_POSTED",
      level: "info",
      actor: actorIdentity(SYSTEM_ACTOR),
      correlationId: item.correlationId,
      ...(item.sealVersion ? { sealVersion: item.sealVersion } : {}),
      payload: { ...base, delivered: [sink.name], remoteId: done.remoteId, ...(done.details ?? {}) },
    });
    return "delivered";
  }
}

/** `3 h 20 min`, `45 s`: a span for a dead letter's reason. */
function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}
