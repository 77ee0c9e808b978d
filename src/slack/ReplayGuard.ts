import { createHash, randomUUID } from "node:crypto";
import type { Logger } from "../core/logger.ts";
import type { LedgerAppend } from "../ledger/Ledger.ts";
import type { StateApi } from "../state/StateApi.ts";

/** Slack refuses request timestamps older than five minutes; a replay must fall inside that window. */
export const REPLAY_WINDOW_MS = 5 * 60 * 1000;

export interface ReplaySubject {
  /** `signature` (an HTTP request byte for byte) or `trigger` (a command or interaction's trigger_id). */
  by: "signature" | "trigger";
  /** The raw key; only its hash is stored and written. */
  key: string;
  user?: string | undefined;
  channel?: string | undefined;
  /** What was replayed: `/codex run …`'s first word, an action id, `event`. */
  what?: string | undefined;
}

export interface ReplayGuardOptions {
  state: StateApi;
  ledger: () => { append(e: LedgerAppend): Promise<unknown> };
  log: Logger;
}

/**
 * De-duplicates signed Slack requests within the replay window, in state.db so that every process and a
 * restart see the same keys: a request seen before is acknowledged and ignored; its first replay is
 * written to the ledger as SLACK_REPLAY_IGNORED, later ones only counted (a replay flood must not
 * become a ledger flood).
 */
export class ReplayGuard {
  readonly #o: ReplayGuardOptions;
  /** Replays ignored by this process, for logs and the storm figures. */
  ignored = 0;

  constructor(opts: ReplayGuardOptions) {
    this.#o = opts;
  }

  /** True when the request is new; false for a replay (already recorded as one). */
  async admit(s: ReplaySubject): Promise<{ fresh: boolean; recorded: Promise<void> }> {
    const hash = createHash("sha256").update(s.key).digest("hex").slice(0, 32);
    const claim = await this.#o.state.claimSlackRequest(`${s.by}:${hash}`, REPLAY_WINDOW_MS);
    if (claim.first) return { fresh: true, recorded: Promise.resolve() };
    this.ignored++;
    this.#o.log.warn({ by: s.by, user: s.user, replays: claim.replays }, "ignored a replayed Slack request");
    if (claim.replays > 1) return { fresh: false, recorded: Promise.resolve() };
    const recorded = this.#o
      .ledger()
      .append({
        eventType: "SLACK_REPLAY_IGNORED",
        level: "warn",
        actor: s.user ? `slack:${s.user}` : "system:slack",
        correlationId: randomUUID(),
        payload: {
          by: s.by,
          keyHash: hash,
          ...(s.what ? { what: s.what } : {}),
          ...(s.channel ? { channel: s.channel } : {}),
          windowSeconds: REPLAY_WINDOW_MS / 1000,
        },
      })
      .then(
        () => undefined,
        (err: unknown) => this.#o.log.error({ err }, "could not record a Slack replay in the ledger"),
      );
    return { fresh: false, recorded };
  }
}
