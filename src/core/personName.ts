import type { Actor } from "./Actor.ts";

/**
 * A person as people read it in a message: a Slack user as a mention (`<@U123>`, which Slack shows as
 * their display name, and a terminal as `@U123`), anyone else by their identity (`cli:local:alice`).
 * Never the email the ledger keeps beside a Slack id (`slack:U123 <a@b.c>`).
 */
export function personName(who: Actor | string): string {
  const identity = typeof who === "string" ? who : `${who.source}:${who.id}`;
  const slack = /^slack:([UW][A-Z0-9]+)(?:\s|$)/.exec(identity);
  if (slack) return `<@${slack[1]}>`;
  return identity.replace(/\s*<[^<>]*@[^<>]*>$/, "");
}
