import { isCodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { utcIso } from "../core/timestamps.ts";
import { platformError } from "../slackWire/slackErrors.ts";
import type { StateApi } from "../state/StateApi.ts";
import { type SlackConnectionStatus, writeSlackConnection } from "../state/slackConnection.ts";

/** The part of @slack/socket-mode's SocketModeClient the supervisor drives. */
export interface SocketClient {
  start(): Promise<unknown>;
  disconnect(): Promise<void>;
  once(event: "disconnected", listener: () => void): unknown;
  removeListener(event: "disconnected", listener: () => void): unknown;
}

export interface SocketSupervisorOptions {
  client: SocketClient;
  /** Resolves the bot's identity (auth.test) before each connection attempt while it is unknown. */
  ready: () => Promise<unknown>;
  apiUrl: string;
  clock: Clock;
  log: Logger;
  state: StateApi;
  /** Told of every change (metrics). */
  onChange?: (s: SlackConnectionStatus, failed: boolean) => void;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;

/**
 * Keeps the Socket Mode connection up without ever blocking start-up: connects in the background,
 * and after a failure or a dropped socket waits (1 s doubling to 60 s, on the injected clock) and
 * connects again. Socket Mode's own reconnect loop is off because it waits on real timers and lets a
 * failed reconnect escape as an unhandled rejection. Every change is written to state.db
 * (slackConnection.ts) and a failure is logged with the URL and what to check.
 */
export class SocketSupervisor {
  readonly #o: SocketSupervisorOptions;
  #status: SlackConnectionStatus;
  #stopped = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #waiters: (() => void)[] = [];
  /** Successful connections so far (the first, then reconnections). */
  connections = 0;

  constructor(opts: SocketSupervisorOptions) {
    this.#o = opts;
    this.#status = {
      mode: "socket",
      state: "connecting",
      since: utcIso(opts.clock.now()),
      apiUrl: opts.apiUrl,
      failures: 0,
      pid: process.pid,
    };
  }

  get status(): SlackConnectionStatus {
    return this.#status;
  }

  /** Resolves at the next status change (tests and the CLI wait on this, never on a timer). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  start(): void {
    this.#set({ state: "connecting" }, false);
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#o.client.disconnect().catch(() => undefined);
    await this.#loop;
    this.#set({ state: "stopped" }, false);
  }

  async #run(): Promise<void> {
    const { client, log } = this.#o;
    while (!this.#stopped) {
      this.#set({ state: "connecting" }, false);
      let dropped: Promise<void> | undefined;
      try {
        await this.#o.ready();
        await client.start();
        if (this.#stopped) break;
        this.connections++;
        dropped = new Promise<void>((resolve) => {
          client.once("disconnected", resolve);
          this.#wake = resolve;
        });
        this.#set({ state: "connected", failures: 0 }, false);
        log.info(
          { apiUrl: this.#o.apiUrl, connections: this.connections },
          this.connections === 1 ? "Socket Mode connected" : "Socket Mode reconnected",
        );
      } catch (err) {
        if (this.#stopped) break;
        const failures = this.#status.failures + 1;
        const lastError = describeFailure(err, this.#o.apiUrl);
        this.#set({ state: "disconnected", failures, lastError }, true);
        log.error({ apiUrl: this.#o.apiUrl, failures, err }, `Socket Mode could not connect: ${lastError}`);
      }
      if (dropped) {
        await dropped;
        if (this.#stopped) break;
        this.#set({ state: "disconnected", lastError: "the socket closed; reconnecting" }, false);
        log.warn({ apiUrl: this.#o.apiUrl }, "Socket Mode connection dropped; reconnecting");
        continue;
      }
      const wait = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(6, this.#status.failures - 1));
      await Promise.race([
        this.#o.clock.sleep(wait),
        new Promise<void>((resolve) => {
          this.#wake = resolve;
        }),
      ]);
    }
  }

  #set(change: Partial<SlackConnectionStatus>, failed: boolean): void {
    const stateChanged = change.state !== undefined && change.state !== this.#status.state;
    this.#status = {
      ...this.#status,
      ...change,
      ...(stateChanged ? { since: utcIso(this.#o.clock.now()) } : {}),
    };
    // Not awaited: socket events report here synchronously. The status is for status displays (SQLite
    // writes it before this returns); a failed write is logged and the next change writes it again.
    writeSlackConnection(this.#o.state, this.#status).catch((err: unknown) =>
      this.#o.log.warn({ err }, "could not record the Slack connection status"),
    );
    this.#o.onChange?.(this.#status, failed);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** What went wrong, and what to check, in one line (no token ever appears: errors carry none). */
export function describeFailure(err: unknown, apiUrl: string): string {
  const code = platformError(err);
  if (code) {
    const hint =
      code === "invalid_auth" || code === "not_authed" || code === "not_allowed_token_type"
        ? "set SLACK_APP_TOKEN to an app-level token (xapp-…) with connections:write"
        : code === "missing_scope"
          ? "add the connections:write scope to the app-level token"
          : "check the app's Socket Mode setting (Settings > Socket Mode)";
    return `${apiUrl}apps.connections.open answered ${code}; ${hint}`;
  }
  if (isCodexError(err))
    return `${apiUrl}auth.test: ${err.message} ${err.hint ? `(${err.hint})` : ""}`.trim();
  const message = err instanceof Error ? err.message : String(err);
  return `${apiUrl}apps.connections.open or its WebSocket failed (${message}); check the network, a proxy in between, or SLACK_API_URL`;
}
