import type { Reply, ReplyPart } from "./Reply.ts";

export interface ReplyTextOptions {
  /** ANSI styling (bold headers, dim context) for a terminal; plain prefixes otherwise. */
  color?: boolean;
}

const RULE = "─".repeat(48);

/**
 * A Reply as terminal text, with the same content Slack shows as Block Kit: the header in capitals and
 * underlined, fields as `label: value` lines, documents in full under a title line, approvals as the
 * typed commands that decide them, and context lines dimmed (or prefixed with `·` without colour).
 */
export function replyToText(reply: Reply, opts: ReplyTextOptions = {}): string {
  const color = opts.color ?? false;
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[22m` : s);
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[22m` : `· ${s}`);
  const red = (s: string) => (color ? `\x1b[31m${s}\x1b[39m` : s);
  const blocks: string[] = [];
  for (const part of reply.parts) blocks.push(renderPart(part, { bold, dim }));
  if (blocks.length === 0) blocks.push(reply.summary);
  // A Slack mention reads as @U123 on a terminal.
  const text = blocks.join("\n").replace(/<@([UW][A-Z0-9]+)>/g, "@$1");
  return reply.isError && color ? red(text) : text;
}

function renderPart(part: ReplyPart, style: { bold(s: string): string; dim(s: string): string }): string {
  switch (part.kind) {
    case "header": {
      const title = part.text.toUpperCase();
      return `${style.bold(title)}\n${"═".repeat(Math.min(title.length, 72))}`;
    }
    case "text":
      // Slack's *bold* is noise on a terminal: keep the words (bold them where styling is on).
      return part.text.replace(
        /(^|[\s(])\*([^*\n]+)\*(?=[\s).,:;!?]|$)/gm,
        (_m, pre: string, words: string) => `${pre}${style.bold(words)}`,
      );
    case "fields": {
      const width = Math.max(0, ...part.fields.map((f) => f.label.length));
      return part.fields.map((f) => `${`${f.label}:`.padEnd(width + 1)} ${f.value}`).join("\n");
    }
    case "context":
      return part.text
        .split("\n")
        .map((line) => style.dim(line))
        .join("\n");
    case "divider":
      return RULE;
    case "document":
      return `${style.bold(`── ${part.title} (${part.filename}) `)}${"─".repeat(Math.max(3, 44 - part.title.length - part.filename.length))}\n${part.text.trimEnd()}`;
    case "approval":
      return `${part.prompt}\n  Approve with: /codex approve ${part.approvalId}\n  Reject with:  /codex reject ${part.approvalId}`;
  }
}
