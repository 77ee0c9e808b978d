import { type Actor, actorIdentity } from "../core/Actor.ts";
import { CodexError } from "../core/CodexError.ts";
import type { Charter } from "../governance/charter.ts";
import { personOf, type RoleMembers, rolesFor, rolesOf } from "../governance/roles.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import type { StateApi } from "../state/StateApi.ts";
import type { ApprovalRecord } from "../state/StateStore.ts";

export type { ApprovalRecord } from "../state/StateStore.ts";

export interface ApprovalRequest {
  /** What is being approved: `incident`, `seal`, …; approvers are the roles of `<kind>.approve` in the charter. */
  kind: string;
  subjectId: string;
  requestedBy: Actor;
  prompt: string;
  channel?: string;
  ts?: string;
  /** The ledger thread the approval belongs to; the approval id when omitted. */
  correlationId?: string;
}

export interface ReactionInput {
  eventId: string;
  user: string;
  reaction: string;
  channel: string;
  ts: string;
  added: boolean;
  botUserId: string | undefined;
}

export type Decision = "approve" | "reject";

/** What became of one attempt. `ignored` and `duplicate` leave no trace; every other outcome is a ledger entry. */
export type ApprovalOutcome =
  | { outcome: "accepted" | "rejected" | "revoked"; approval: ApprovalRecord }
  | { outcome: "refused"; reason: string; approval: ApprovalRecord }
  | { outcome: "ignored"; reason: string; approval?: ApprovalRecord }
  | { outcome: "duplicate" };

export interface ApprovalDecisionEvent {
  decision: "approved" | "rejected" | "revoked";
  approval: ApprovalRecord;
  actor: Actor;
}
export type DecisionListener = (event: ApprovalDecisionEvent) => void | Promise<void>;

export interface ApprovalServiceOptions {
  store: StateApi;
  ledger: { append(e: LedgerAppend): Promise<LedgerEntry> };
  charter: () => Charter;
  /** Extra role members (MAOS_ROLES). */
  extraRoles?: RoleMembers;
  /** Turns a Slack user id into an Actor with email and user groups (Slack's users.info); id only by default. */
  resolveSlackActor?: (userId: string) => Promise<Actor>;
}

type Via = "reaction" | "button" | "typed";

/**
 * The approval mechanism, generic over what is approved: requests, their Slack messages, and the
 * rules for who may approve (charter roles for `<kind>.approve`, never the bot, never oneself unless
 * the charter allows it). Every counted attempt, accepted or refused, is a ledger entry; the incident
 * lifecycle subscribes with onDecision and marks an approval used with consume.
 */
export class ApprovalService {
  readonly #store: StateApi;
  readonly #ledger: ApprovalServiceOptions["ledger"];
  readonly #charter: () => Charter;
  readonly #extra: RoleMembers;
  #resolve: (userId: string) => Promise<Actor>;
  readonly #listeners = new Set<DecisionListener>();

  constructor(opts: ApprovalServiceOptions) {
    this.#store = opts.store;
    this.#ledger = opts.ledger;
    this.#charter = opts.charter;
    this.#extra = opts.extraRoles ?? {};
    this.#resolve = opts.resolveSlackActor ?? (async (id) => ({ source: "slack", id }));
  }

  /** Slack starts after the service exists: it plugs in its directory (email, user groups) here. */
  useActorResolver(resolve: (userId: string) => Promise<Actor>): void {
    this.#resolve = resolve;
  }

  async request(req: ApprovalRequest): Promise<ApprovalRecord> {
    if (!/^[a-z][a-z0-9_-]*$/.test(req.kind)) {
      throw new CodexError("USAGE", `approval kind "${req.kind}" is not a command name`, {
        hint: "use a lowercase kind such as incident or seal; approvers come from permissions[<kind>.approve] in charter.yml",
      });
    }
    const approval = await this.#store.insertApproval({
      kind: req.kind,
      subjectId: req.subjectId,
      requestedBy: actorIdentity(req.requestedBy),
      requestedByKey: actorKey(req.requestedBy),
      prompt: req.prompt,
      ...(req.correlationId ? { correlationId: req.correlationId } : {}),
      channel: req.channel,
      ts: req.channel && req.ts ? req.ts : undefined,
    });
    await this.#record("APPROVAL_REQUESTED", "info", req.requestedBy, approval, {
      prompt: req.prompt,
      approverRoles: this.approverRoles(req.kind),
    });
    return approval;
  }

  /** Records the Slack message posted for a request, so reactions on it count. */
  async attachMessage(id: string, channel: string, ts: string): Promise<ApprovalRecord> {
    const a = await this.#mustGet(id);
    // A second message with the same buttons (the /codex stop reply beside the signals post) counts too.
    if (a.channel && a.ts && (a.channel !== channel || a.ts !== ts)) {
      await this.#store.addApprovalMessage(id, channel, ts);
      return a;
    }
    return this.#store.attachMessage(id, channel, ts);
  }

  /** Every Slack message that carries the approval's buttons (to update them when it is decided). */
  async messages(id: string): Promise<{ channel: string; ts: string }[]> {
    return this.#store.approvalMessages(id);
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    return this.#store.getApproval(id);
  }

  async open(limit = 50): Promise<ApprovalRecord[]> {
    return this.#store.listApprovals({ status: "open", limit });
  }

  /** The roles that may decide a request of this kind: `permissions["<kind>.approve"]`, via rolesFor's fallback. */
  approverRoles(kind: string): string[] {
    return rolesFor(this.#charter(), `${kind}.approve`);
  }

  onDecision(listener: DecisionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A `reaction_added` / `reaction_removed` event. Only the charter's two emoji on a registered message count. */
  async onReaction(r: ReactionInput): Promise<ApprovalOutcome> {
    if (!(await this.#store.claimEvent(r.eventId))) return { outcome: "duplicate" };
    const approval = await this.#store.findApprovalByMessage(r.channel, r.ts);
    if (!approval) return { outcome: "ignored", reason: "not an approval message" };
    const outcome = await this.#onApprovalReaction(r, approval);
    // Every reaction on a known approval message leaves a trace, the ones that change nothing too.
    if (outcome.outcome === "ignored" && r.user !== r.botUserId) {
      await this.#record("APPROVAL_REACTION_IGNORED", "info", { source: "slack", id: r.user }, approval, {
        via: "reaction",
        reaction: r.reaction,
        added: r.added,
        reason: outcome.reason,
      });
    }
    return outcome;
  }

  async #onApprovalReaction(r: ReactionInput, approval: ApprovalRecord): Promise<ApprovalOutcome> {
    const { emoji, rejectEmoji } = this.#charter().approvals;
    const decision: Decision | undefined =
      r.reaction === emoji ? "approve" : r.reaction === rejectEmoji ? "reject" : undefined;
    if (!decision)
      return { outcome: "ignored", reason: `:${r.reaction}: is not an approval emoji`, approval };

    const isBot = r.botUserId !== undefined && r.user === r.botUserId;
    const actor: Actor = isBot ? { source: "slack", id: r.user } : await this.#resolve(r.user);
    if (isBot) {
      if (!r.added) return { outcome: "ignored", reason: "the bot's own reaction", approval };
      return this.#refuse(actor, approval, "the bot's own reactions never count", "reaction", decision);
    }
    if (r.added) return this.#decide(approval.id, decision, actor, "reaction");
    if (decision === "approve") return this.#revoke(approval.id, actor);
    return {
      outcome: "ignored",
      reason: "a rejection is final; removing its emoji changes nothing",
      approval,
    };
  }

  /** Approve / Reject buttons and typed approvals: the same rules as reactions. */
  async decide(id: string, decision: Decision, actor: Actor, via: "button" | "typed" = "button") {
    return this.#decide(id, decision, actor, via);
  }

  /** Marks an approved request as used: from now on removing the reaction no longer revokes it. */
  async consume(id: string, actor: Actor): Promise<ApprovalRecord> {
    const current = await this.#mustGet(id);
    const used = await this.#store.transition(id, "approved", "consumed");
    if (!used) {
      throw new CodexError(
        "REFUSED",
        `approval ${id} is ${current.status}, not approved, so it cannot be used`,
        {
          hint: "wait for an approver to approve it (the charter's approval emoji or the Approve button)",
        },
      );
    }
    await this.#record("APPROVAL_CONSUMED", "info", actor, used, {});
    return used;
  }

  async #decide(id: string, decision: Decision, actor: Actor, via: Via): Promise<ApprovalOutcome> {
    const approval = await this.#mustGet(id);
    if (approval.status !== "open") {
      return this.#refuse(actor, approval, `the request is already ${approval.status}`, via, decision);
    }
    const charter = this.#charter();
    // Self-approval is judged by person: the same human on Slack, the shell or the CLI (charter people:).
    const person = personOf(charter, actor.id);
    const self = person === personOf(charter, identityOfKey(approval.requestedByKey));
    if (self && !charter.approvals.selfApproval) {
      return this.#refuse(
        actor,
        approval,
        `self-approval is not allowed: ${person} requested it (charter approvals.self_approval is false; a single-person deployment sets it to true, see the README)`,
        via,
        decision,
      );
    }
    const needed = this.approverRoles(approval.kind);
    const held = rolesOf(charter, actor.id, actor.groups ?? [], this.#extra);
    if (!needed.some((role) => held.includes(role))) {
      const roles = needed.length > 0 ? needed.join(" or ") : "(none: the charter grants it to nobody)";
      return this.#refuse(actor, approval, `needs the role ${roles}`, via, decision);
    }
    const to = decision === "approve" ? "approved" : "rejected";
    const decided = await this.#store.transition(id, "open", to, {
      by: actorIdentity(actor),
      byKey: actorKey(actor),
      via,
    });
    if (!decided) {
      const now = await this.#mustGet(id);
      return this.#refuse(actor, now, `the request is already ${now.status}`, via, decision);
    }
    await this.#record(
      decision === "approve" ? "APPROVAL_ACCEPTED" : "APPROVAL_REJECTED",
      "info",
      actor,
      decided,
      {
        via,
        roles: held.filter((r) => needed.includes(r)),
        person,
        // Recorded so status, the governance check and auditors see every decision nobody else reviewed.
        ...(self ? { selfApproval: true, selfApprovalRule: "approvals.self_approval: true" } : {}),
      },
    );
    await this.#emit({ decision: to, approval: decided, actor });
    return { outcome: decision === "approve" ? "accepted" : "rejected", approval: decided };
  }

  async #revoke(id: string, actor: Actor): Promise<ApprovalOutcome> {
    const approval = await this.#mustGet(id);
    if (approval.status === "open" || approval.status === "rejected") {
      return { outcome: "ignored", reason: `the request is ${approval.status}; nothing to revoke`, approval };
    }
    if (approval.decidedByKey !== actorKey(actor)) {
      return { outcome: "ignored", reason: "this reaction was not the one that approved", approval };
    }
    // Only a reaction can be taken back by removing it; a button or typed approval stands.
    if (approval.decidedVia !== "reaction") {
      return {
        outcome: "ignored",
        reason: `the approval was given by ${approval.decidedVia ?? "another way"}, not by this reaction; removing a reaction does not revoke it`,
        approval,
      };
    }
    if (approval.status === "consumed") {
      return this.#refuse(
        actor,
        approval,
        "the approval was already used; it can no longer be revoked",
        "reaction",
      );
    }
    const reopened = await this.#store.transition(id, "approved", "open");
    if (!reopened)
      return this.#refuse(actor, await this.#mustGet(id), "the approval was already used", "reaction");
    await this.#record("APPROVAL_REVOKED", "warn", actor, reopened, { via: "reaction" });
    await this.#emit({ decision: "revoked", approval: reopened, actor });
    return { outcome: "revoked", approval: reopened };
  }

  async #refuse(
    actor: Actor,
    approval: ApprovalRecord,
    reason: string,
    via: Via,
    decision?: Decision,
  ): Promise<ApprovalOutcome> {
    await this.#record("APPROVAL_REFUSED", "warn", actor, approval, {
      reason,
      via,
      ...(decision ? { decision } : {}),
    });
    return { outcome: "refused", reason, approval };
  }

  async #record(
    eventType: string,
    level: "info" | "warn",
    actor: Actor,
    approval: ApprovalRecord,
    extra: Record<string, unknown>,
  ): Promise<void> {
    await this.#ledger.append({
      eventType,
      level,
      actor: actorIdentity(actor),
      correlationId: approval.correlationId,
      payload: {
        approvalId: approval.id,
        kind: approval.kind,
        subjectId: approval.subjectId,
        status: approval.status,
        requestedBy: approval.requestedBy,
        ...(approval.channel ? { channel: approval.channel, ts: approval.ts } : {}),
        ...extra,
      },
    });
  }

  async #emit(event: ApprovalDecisionEvent): Promise<void> {
    for (const listener of this.#listeners) await listener(event);
  }

  async #mustGet(id: string): Promise<ApprovalRecord> {
    const a = await this.#store.getApproval(id);
    if (!a) {
      throw new CodexError("NOT_FOUND", `no approval request ${id}`, {
        hint: "approval ids look like APR-12; open ones are listed on the App Home tab",
      });
    }
    return a;
  }
}

/** The stored key of who asked or decided: `surface:identity` (the surface tells revocations apart). */
function actorKey(actor: Actor): string {
  return `${actor.source}:${actor.id}`;
}

/** The identity part of an actorKey (`shell:local:alice` → `local:alice`). */
function identityOfKey(key: string): string {
  const colon = key.indexOf(":");
  return colon < 0 ? key : key.slice(colon + 1);
}
