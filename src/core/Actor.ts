import os from "node:os";

/** Who asked for something. Slack actors are user ids (never display names); local ones are OS users. */
export interface Actor {
  source: "slack" | "shell" | "cli" | "mcp" | "system";
  id: string;
  email?: string | undefined;
  /** Slack user-group ids the actor belongs to, for role checks. */
  groups?: string[];
}

/** The form written to the ledger's actor_identity: `slack:U123 <a@b.c>`, `shell:local:alice`. */
export function actorIdentity(actor: Actor): string {
  return actor.email ? `${actor.source}:${actor.id} <${actor.email}>` : `${actor.source}:${actor.id}`;
}

/**
 * The OS account running this process, from its uid (getpwuid via os.userInfo), never from $USER or
 * any other variable the caller can set. Without a passwd entry (some containers) it is `uid<N>`.
 */
export function localAccount(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid${process.getuid?.() ?? "unknown"}`;
  }
}

export function localActor(source: "cli" | "shell"): Actor {
  // The `local:` prefix keeps OS user names apart from Slack ids in the charter's role lists.
  return { source, id: `local:${localAccount()}` };
}

export const SYSTEM_ACTOR: Actor = { source: "system", id: "maos-codex" };
