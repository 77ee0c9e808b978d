import type { Reply, ReplyPart } from "../core/Reply.ts";
import {
  actions,
  type Block,
  button,
  context,
  divider,
  escapeMrkdwn,
  escapeMrkdwnKeepMentions,
  header,
  markdown,
  type SectionBlock,
  SLACK_LIMITS,
  section,
  sections,
  truncate,
} from "./blockKit.ts";
import { needsFileUpload, packMessages } from "./packMessages.ts";

export interface SlackUpload {
  filename: string;
  title: string;
  content: string;
}

export interface SlackReply {
  /** Notification and fallback text (Slack shows it where blocks cannot be shown). */
  text: string;
  /** One entry per message, each within Block Kit's limits; the first is the reply, the rest follow in the thread. */
  messages: Block[][];
  /** Documents too long for blocks, for files.uploadV2. */
  uploads: SlackUpload[];
}

export interface ReplyBlocksOptions {
  /** A document longer than this many characters is uploaded as a file; one message's worth by default. */
  uploadThreshold?: number;
  /** Characters of an uploaded document shown in the message. */
  excerptChars?: number;
}

export const APPROVE_ACTION = "approval_approve";
export const REJECT_ACTION = "approval_reject";
/** The Cancel button on a running run's message; its value is the run id. */
export const CANCEL_RUN_ACTION = "run_cancel";

/** Fallback text is not a block, but very long text makes notifications useless; 3000 is a section's worth. */
const FALLBACK_MAX = 3000;
const DEFAULT_EXCERPT = 600;

/**
 * A Reply as Slack messages: Block Kit blocks packed under the per-message limits (50 blocks, 3000 per
 * section, 150 per header, ~12k characters), documents too long for blocks as uploads with an excerpt
 * left in place, approval parts as Approve / Reject buttons carrying the approval id.
 */
export function replyToBlocks(reply: Reply, opts: ReplyBlocksOptions = {}): SlackReply {
  const threshold = opts.uploadThreshold ?? SLACK_LIMITS.messageChars;
  const excerptChars = opts.excerptChars ?? DEFAULT_EXCERPT;
  const uploads: SlackUpload[] = [];
  const blocks = reply.parts.flatMap((part) => partBlocks(part, threshold, excerptChars, uploads));
  const text = truncate(reply.summary.trim() || "MAOS Codex", FALLBACK_MAX);
  if (blocks.length === 0) blocks.push(section(escapeMrkdwnKeepMentions(text)));
  return { text, messages: packMessages(blocks), uploads };
}

function partBlocks(
  part: ReplyPart,
  threshold: number,
  excerptChars: number,
  uploads: SlackUpload[],
): Block[] {
  switch (part.kind) {
    case "header":
      return part.text.trim() === "" ? [] : [header(part.text)];
    case "text":
      return sections(escapeMrkdwnKeepMentions(part.text));
    case "context":
      return part.text.trim() === "" ? [] : [context(escapeMrkdwnKeepMentions(part.text))];
    case "divider":
      return [divider()];
    case "fields":
      return fieldSections(part.fields);
    case "document": {
      // Agent output is GitHub markdown (#, **, tables): Slack's markdown block renders it, mrkdwn does not.
      const title = `**${part.title}**`;
      if (part.text.trim() === "") return [section(`*${escapeMrkdwn(part.title)}*\n_(empty)_`)];
      const whole = `${title}\n\n${part.text.trimEnd()}`;
      if (!needsFileUpload(whole, threshold)) return [markdown(whole)];
      uploads.push({ filename: part.filename, title: part.title, content: part.text });
      const excerpt = truncate(part.text.trim(), excerptChars);
      return [
        markdown(`${title}\n\n${excerpt}`),
        context(
          `Full text (${part.text.length.toLocaleString("en-US")} characters) attached as \`${escapeMrkdwn(part.filename)}\`.`,
        ),
      ];
    }
    case "approval":
      return [
        section(escapeMrkdwnKeepMentions(part.prompt.trim() || `Approval ${part.approvalId}`)),
        actions(
          button("Approve", APPROVE_ACTION, { value: part.approvalId, style: "primary" }),
          button("Reject", REJECT_ACTION, { value: part.approvalId, style: "danger" }),
        ),
        context(
          `Approval \`${escapeMrkdwn(part.approvalId)}\`: the buttons or the charter's emoji reactions decide it.`,
        ),
      ];
  }
}

/** Label/value pairs as two-column sections; packMessages splits more than 10 fields into more sections. */
function fieldSections(list: { label: string; value: string }[]): SectionBlock[] {
  if (list.length === 0) return [];
  return [
    {
      type: "section",
      fields: list.map((f) => ({
        type: "mrkdwn",
        text: `*${escapeMrkdwn(f.label || "—")}*\n${escapeMrkdwnKeepMentions(f.value.trim() === "" ? "—" : f.value)}`,
      })),
    },
  ];
}
