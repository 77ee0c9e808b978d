import type { Block } from "./blockKit.ts";
import { APPROVE_ACTION } from "./replyBlocks.ts";

/** Approval ids carried by Approve buttons in a message. */
export function approvalIds(blocks: readonly Block[]): string[] {
  const ids: string[] = [];
  for (const b of blocks) {
    if (b.type !== "actions") continue;
    for (const el of b.elements) if (el.action_id === APPROVE_ACTION && el.value) ids.push(el.value);
  }
  return ids;
}

/** The `error` of a Slack platform error (`{ ok: false, error }`), if that is what `err` is. */
export function platformError(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === "string" ? data.error : undefined;
}
