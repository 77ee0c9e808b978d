import type { webApi } from "@slack/bolt";
import type { Actor } from "../core/Actor.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";

export interface SlackDirectoryOptions {
  client: webApi.WebClient;
  clock: Clock;
  log: Logger;
  /** User-group ids (S…) that charter roles or MAOS_ROLES name; only these are looked up. */
  roleGroupIds: () => readonly string[];
  /** How long a user's email and a group's members are trusted; role changes show after at most this. */
  ttlMs?: number;
}

/** Five minutes: a removed approver loses the right quickly, and a busy channel costs few lookups. */
const DEFAULT_TTL_MS = 5 * 60 * 1000;

interface Cached<T> {
  value: T;
  at: number;
}

/**
 * Who a Slack user is, for the ledger and for role checks: the user id, the email users.info gives
 * (users:read.email), and the role-relevant user groups they belong to (usergroups.users.list).
 * Lookups are cached; a failed lookup yields the bare id rather than blocking the command.
 */
export class SlackDirectory {
  readonly #client: webApi.WebClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #groupIds: () => readonly string[];
  readonly #ttl: number;
  readonly #emails = new Map<string, Cached<string | undefined>>();
  readonly #groups = new Map<string, Cached<Set<string>>>();
  /** Lookups in flight: a burst of commands from one user makes one users.info call, not one each. */
  readonly #inflight = new Map<string, Promise<unknown>>();

  constructor(opts: SlackDirectoryOptions) {
    this.#client = opts.client;
    this.#clock = opts.clock;
    this.#log = opts.log;
    this.#groupIds = opts.roleGroupIds;
    this.#ttl = opts.ttlMs ?? DEFAULT_TTL_MS;
  }

  async actor(userId: string): Promise<Actor> {
    const [email, groups] = await Promise.all([this.#email(userId), this.#groupsOf(userId)]);
    const actor: Actor = { source: "slack", id: userId };
    if (email) actor.email = email;
    if (groups.length > 0) actor.groups = groups;
    return actor;
  }

  #fresh<T>(c: Cached<T> | undefined): c is Cached<T> {
    return c !== undefined && this.#clock.monotonic() - c.at < this.#ttl;
  }

  #once<T>(key: string, lookup: () => Promise<T>): Promise<T> {
    const running = this.#inflight.get(key);
    if (running) return running as Promise<T>;
    const p = lookup().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, p);
    return p;
  }

  async #email(userId: string): Promise<string | undefined> {
    const cached = this.#emails.get(userId);
    if (this.#fresh(cached)) return cached.value;
    return this.#once(`user:${userId}`, () => this.#lookupEmail(userId));
  }

  async #lookupEmail(userId: string): Promise<string | undefined> {
    let email: string | undefined;
    try {
      const res = await this.#client.users.info({ user: userId });
      email = res.user?.profile?.email || undefined;
    } catch (err) {
      this.#log.warn({ err, user: userId }, "users.info failed; the actor is recorded without an email");
      return undefined;
    }
    this.#emails.set(userId, { value: email, at: this.#clock.monotonic() });
    return email;
  }

  async #groupsOf(userId: string): Promise<string[]> {
    const ids = this.#groupIds();
    const member = await Promise.all(
      ids.map(async (groupId) => ((await this.#members(groupId)).has(userId) ? groupId : undefined)),
    );
    return member.filter((g): g is string => g !== undefined);
  }

  async #members(groupId: string): Promise<Set<string>> {
    const cached = this.#groups.get(groupId);
    if (this.#fresh(cached)) return cached.value;
    return this.#once(`group:${groupId}`, () => this.#lookupMembers(groupId));
  }

  async #lookupMembers(groupId: string): Promise<Set<string>> {
    try {
      const res = await this.#client.usergroups.users.list({ usergroup: groupId });
      const members = new Set(res.users ?? []);
      this.#groups.set(groupId, { value: members, at: this.#clock.monotonic() });
      return members;
    } catch (err) {
      this.#log.warn(
        { err, usergroup: groupId },
        "usergroups.users.list failed; membership treated as empty",
      );
      return this.#groups.get(groupId)?.value ?? new Set();
    }
  }
}
