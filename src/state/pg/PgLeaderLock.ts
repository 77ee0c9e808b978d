import pg from "pg";

export interface LeaderLockOptions {
  url: string;
  /** How often a standby tries the lock, and the leader checks its session: a fraction of the heartbeat. */
  pollMs: number;
  /** Called once each time this process becomes the leader. */
  onElected: () => void | Promise<void>;
  /** Called when leadership is lost (the session to PostgreSQL ended): stop the leader's work at once. */
  onLost: (reason: string) => void;
  /** Called when an attempt finds the lock held by another replica (the first time after each change). */
  onStandby?: () => void;
  /** A failed attempt (the server down, say): the lock keeps trying every pollMs. */
  onError?: (err: unknown) => void;
  /** The first attempt that succeeds after failed ones: the database answers again. */
  onRecovered?: () => void;
  /** The time, for when a fault began (the app's clock). */
  now?: () => Date;
}

/** The one lock the replicas of a database contend for: whoever holds it runs the autonomy loop. */
export const LEADER_LOCK = 0x4d414f53_03;

/**
 * Leader election with a PostgreSQL session advisory lock: every replica tries `pg_try_advisory_lock`
 * on a connection of its own every `pollMs`; the one that gets it leads until its session ends. When
 * the leader dies (kill -9, a crash, a lost host), the server ends its session and frees the lock, and
 * the next standby's attempt takes it, so a takeover needs at most `pollMs` after the server noticed.
 * The leader checks its own session every `pollMs` too, and steps down (`onLost`) as soon as it is gone:
 * the lock may already be another's.
 */
export class PgLeaderLock {
  readonly #opts: LeaderLockOptions;
  #client: pg.Client | undefined;
  #leader = false;
  #standingBy = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #attempting: Promise<void> | undefined;
  #fault: { at: string; message: string } | undefined;

  constructor(opts: LeaderLockOptions) {
    this.#opts = opts;
  }

  isLeader(): boolean {
    return this.#leader;
  }

  /**
   * Since when, and why, the database does not answer this process's attempts (every pollMs, leader or
   * not): /health reports it, since a replica that cannot reach PostgreSQL can neither lead nor record.
   */
  fault(): { at: string; message: string } | undefined {
    return this.#fault;
  }

  /** Starts trying at once, then every pollMs. */
  start(): void {
    this.#stopped = false;
    this.#tick();
  }

  #tick(): void {
    if (this.#stopped) return;
    this.#attempting = this.#attempt().finally(() => {
      this.#attempting = undefined;
      if (!this.#stopped) this.#timer = setTimeout(() => this.#tick(), this.#opts.pollMs);
    });
  }

  async #attempt(): Promise<void> {
    try {
      const client = await this.#connected();
      if (this.#leader) {
        // Our session holds the lock as long as it lives: one round trip proves it does.
        await client.query("SELECT 1");
        this.#answered();
        return;
      }
      const r = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [LEADER_LOCK]);
      this.#answered();
      if (r.rows[0]?.ok && !this.#stopped) {
        this.#leader = true;
        this.#standingBy = false;
        await this.#opts.onElected();
      } else if (!this.#standingBy) {
        this.#standingBy = true;
        this.#opts.onStandby?.();
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Only the error's code for /health (open to any caller): never the database's host or port.
      const code = (err as { code?: unknown }).code;
      // Since the first failed attempt, but why as of the latest: the session the server ended as it
      // went down fails differently (57P01, no code) from every attempt after it (ECONNREFUSED).
      this.#fault = {
        at: this.#fault?.at ?? (this.#opts.now?.() ?? new Date()).toISOString(),
        message: typeof code === "string" ? code : "no answer",
      };
      this.#dropped(`the session to PostgreSQL failed: ${message}`);
      this.#opts.onError?.(err);
    }
  }

  #answered(): void {
    if (!this.#fault) return;
    this.#fault = undefined;
    this.#opts.onRecovered?.();
  }

  async #connected(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const client = new pg.Client({ connectionString: this.#opts.url, application_name: "maos-leader-lock" });
    client.on("error", (err) => {
      if (client === this.#client) this.#dropped(`the session to PostgreSQL ended: ${err.message}`);
    });
    this.#client = client;
    await client.connect();
    return client;
  }

  /** The session is gone: so is the lock, and with it leadership. */
  #dropped(reason: string): void {
    const client = this.#client;
    this.#client = undefined;
    client?.end().catch(() => {});
    if (this.#leader) {
      this.#leader = false;
      this.#opts.onLost(reason);
    }
  }

  /** Stops trying; a leader gives the lock up at once, so a standby takes over on its next attempt. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#attempting;
    const client = this.#client;
    this.#client = undefined;
    this.#leader = false;
    if (client) {
      await client.query("SELECT pg_advisory_unlock_all()").catch(() => {});
      await client.end().catch(() => {});
    }
  }
}
