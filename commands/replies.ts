import type { Reply, ReplyPart } from "../src/core/Reply.ts";

/** A failed or refused command: the summary is also its first text part, so every adapter shows it. */
export function errorReply(summary: string, extra: ReplyPart[] = [], ephemeral = true): Reply {
  return { summary, parts: [{ kind: "text", text: summary }, ...extra], isError: true, ephemeral };
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/** Cuts text to about `max` characters on a line or word boundary, marking the cut. */
export function excerpt(text: string, max: number): { text: string; cut: boolean } {
  const trimmed = text.trim();
  if (trimmed.length <= max) return { text: trimmed, cut: false };
  let end = trimmed.lastIndexOf("\n", max);
  // A line break far before the limit would drop most of the excerpt: cut on a space instead.
  if (end < max * 0.6) end = trimmed.lastIndexOf(" ", max);
  if (end < max * 0.6) end = max;
  return { text: `${trimmed.slice(0, end).trimEnd()} …`, cut: true };
}
