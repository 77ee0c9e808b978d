import type { ServerResponse } from "node:http";

/** A scripted outage for a vendor fake: answer matching requests with `status` instead of serving them. */
export interface Failure<S extends number = number> {
  status: S;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Answer this many requests so (once when neither this nor `while` is given). */
  times?: number;
  /** Answer so while this holds (a simulated outage on an injected clock). */
  while?: () => boolean;
  /** Only for these operation ids. */
  ops?: string[];
}

/** The public fault controls every spec-validating fake offers; the fakes expose them as they are. */
export interface FaultControls<F extends Failure> {
  /** Requests that reached an operation, by operation id. */
  count(op: string): number;
  fail(f: F): void;
  clearFailures(): void;
  /** Apply matching requests at once but answer them only after release() (an ambiguous outcome). */
  hold(ops: string[]): void;
  release(): void;
  /** Cuts the connections of held requests: applied, but the client never learns it (a lost answer). */
  dropHeld(): void;
  /** Resolves when `n` requests of `op` have arrived. */
  waitFor(op: string, n: number): Promise<void>;
}

/**
 * The fault-injection state of a fake: scripted failures, held answers and waiters. Shared by the
 * Notion and Teamwork fakes so both simulate outages, lost answers and arrivals the same way.
 */
export class FaultPlan<F extends Failure> implements FaultControls<F> {
  readonly #ops: () => readonly (string | undefined)[];
  #failures: (F & { left: number })[] = [];
  #held: { ops: Set<string>; waiting: (() => void)[]; sockets: ServerResponse[] } | undefined;
  readonly #waiters: { op: string; n: number; resolve: () => void }[] = [];

  /** `ops` lists the operation id of every request received so far. */
  constructor(ops: () => readonly (string | undefined)[]) {
    this.#ops = ops;
  }

  count = (op: string): number => this.#ops().filter((o) => o === op).length;

  fail = (f: F): void => {
    this.#failures.push({ ...f, left: f.times ?? 1 });
  };

  clearFailures = (): void => {
    this.#failures = [];
  };

  hold = (ops: string[]): void => {
    this.#held = { ops: new Set(ops), waiting: [], sockets: [] };
  };

  release = (): void => {
    const h = this.#held;
    this.#held = undefined;
    for (const w of h?.waiting ?? []) w();
  };

  dropHeld = (): void => {
    const h = this.#held;
    this.#held = undefined;
    for (const r of h?.sockets ?? []) r.socket?.destroy();
  };

  waitFor = (op: string, n: number): Promise<void> => {
    if (this.count(op) >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ op, n, resolve }));
  };

  /** Call after recording a request: wakes the waiters whose count is reached. */
  arrived(): void {
    for (const w of [...this.#waiters]) {
      if (this.count(w.op) >= w.n) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** The scripted failure for this operation, if any; consumes one of its `times`. */
  failureFor(op: string): F | undefined {
    const active = (f: F & { left: number }) => (f.while ? f.while() : f.left > 0);
    const failure = this.#failures.find((f) => (!f.ops || f.ops.includes(op)) && active(f));
    if (!failure) return undefined;
    if (!failure.while) failure.left--;
    this.#failures = this.#failures.filter(active);
    return failure;
  }

  /**
   * When `op` is held: applies the request now through `apply` (against a response that only records)
   * and answers the real response at release(). Returns false when `op` is not held. The connection is
   * registered before this returns, so a test that wakes on the request's arrival can drop it at once.
   */
  holdIfHeld(op: string, res: ServerResponse, apply: (res: ServerResponse) => unknown): boolean {
    const h = this.#held;
    if (!h?.ops.has(op)) return false;
    const buffered = { status: 200, headers: {} as Record<string, string>, body: "" };
    const recorder = {
      writeHead(status: number, hs: Record<string, string>) {
        buffered.status = status;
        buffered.headers = hs;
      },
      end(data: string) {
        buffered.body = data;
      },
    } as unknown as ServerResponse;
    const applied = Promise.resolve(apply(recorder));
    h.sockets.push(res);
    h.waiting.push(() => {
      void applied.then(() => {
        res.writeHead(buffered.status, buffered.headers);
        res.end(buffered.body);
      });
    });
    return true;
  }

  /** Forgets held answers, for close(). */
  forgetHeld(): void {
    this.#held?.waiting.splice(0);
  }
}
