import { CodexError } from "../core/CodexError.ts";
import { splitText } from "./splitText.ts";

/** Slack's Block Kit limits (docs.slack.dev/reference/block-kit), all in UTF-16 units like String.length. */
export const SLACK_LIMITS = {
  messageBlocks: 50,
  homeTabBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  actionId: 255,
  buttonValue: 2000,
  /** All markdown blocks of one payload together (docs.slack.dev, "Markdown block"). */
  markdownText: 12000,
  /**
   * Slack refuses a message somewhere above ~13k characters of text in total (undocumented, observed);
   * 12000 leaves room for the fallback text and for counting differences.
   */
  messageChars: 12000,
} as const;

export interface PlainText {
  type: "plain_text";
  text: string;
  emoji?: boolean;
}
export interface Mrkdwn {
  type: "mrkdwn";
  text: string;
}
export type TextObject = PlainText | Mrkdwn;

export interface ButtonElement {
  type: "button";
  text: PlainText;
  action_id: string;
  value?: string;
  style?: "primary" | "danger";
}

export interface HeaderBlock {
  type: "header";
  text: PlainText;
}
export interface SectionBlock {
  type: "section";
  text?: TextObject;
  fields?: TextObject[];
  accessory?: ButtonElement;
}
export interface DividerBlock {
  type: "divider";
}
export interface ContextBlock {
  type: "context";
  elements: TextObject[];
}
export interface ActionsBlock {
  type: "actions";
  elements: ButtonElement[];
}
/** Standard markdown (headings, **bold**, tables) that Slack renders itself; at most 12,000 characters per payload. */
export interface MarkdownBlock {
  type: "markdown";
  text: string;
}
export type Block = HeaderBlock | SectionBlock | DividerBlock | ContextBlock | ActionsBlock | MarkdownBlock;

/** Cuts to at most `max` units, ending in "…", never between the halves of a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - 1);
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}

/** Slack's mrkdwn escaping: only &, < and > are control characters (docs.slack.dev, "Escaping text"). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * escapeMrkdwn, keeping user mentions (`<@U123>`, how messages name people: Slack shows the display
 * name). Broadcasts (`<!channel>`), links and everything else stay escaped.
 */
export function escapeMrkdwnKeepMentions(text: string): string {
  return escapeMrkdwn(text).replace(/&lt;@([UW][A-Z0-9]{2,})&gt;/g, "<@$1>");
}

function nonEmpty(text: string, what: string): string {
  if (text.trim() === "") {
    throw new CodexError(
      "INTERNAL",
      `A Block Kit ${what} needs text; Slack answers invalid_blocks to an empty one.`,
    );
  }
  return text;
}

/** A header: plain text, cut to 150 characters. */
export function header(text: string): HeaderBlock {
  return {
    type: "header",
    text: {
      type: "plain_text",
      text: truncate(nonEmpty(text, "header"), SLACK_LIMITS.headerText),
      emoji: true,
    },
  };
}

/** A short mrkdwn section, cut to 3000 characters. Long content goes through `sections`, which loses nothing. */
export function section(mrkdwn: string, accessory?: ButtonElement): SectionBlock {
  const block: SectionBlock = {
    type: "section",
    text: { type: "mrkdwn", text: truncate(nonEmpty(mrkdwn, "section"), SLACK_LIMITS.sectionText) },
  };
  if (accessory) block.accessory = accessory;
  return block;
}

/** Long mrkdwn as as many sections as it takes, split on paragraph and line boundaries. */
export function sections(mrkdwn: string): SectionBlock[] {
  return splitText(mrkdwn, SLACK_LIMITS.sectionText)
    .filter((part) => part.trim() !== "")
    .map((part) => ({ type: "section", text: { type: "mrkdwn", text: part } }));
}

/** A two-column section of short mrkdwn fields (at most 10, each cut to 2000 characters). */
export function fields(...texts: string[]): SectionBlock {
  if (texts.length === 0 || texts.length > SLACK_LIMITS.sectionFields) {
    throw new CodexError(
      "INTERNAL",
      `A section holds 1 to ${SLACK_LIMITS.sectionFields} fields, got ${texts.length}.`,
    );
  }
  return {
    type: "section",
    fields: texts.map((t) => ({
      type: "mrkdwn",
      text: truncate(nonEmpty(t, "field"), SLACK_LIMITS.fieldText),
    })),
  };
}

/** Small grey mrkdwn lines under a message (at most 10 elements, each cut to 3000 characters). */
export function context(...texts: string[]): ContextBlock {
  if (texts.length === 0 || texts.length > SLACK_LIMITS.contextElements) {
    throw new CodexError(
      "INTERNAL",
      `A context block holds 1 to ${SLACK_LIMITS.contextElements} elements, got ${texts.length}.`,
    );
  }
  return {
    type: "context",
    elements: texts.map((t) => ({
      type: "mrkdwn",
      text: truncate(nonEmpty(t, "context element"), SLACK_LIMITS.sectionText),
    })),
  };
}

/** Agent output as Slack's markdown block, which renders GitHub-style markdown that mrkdwn does not. */
export function markdown(text: string): MarkdownBlock {
  return { type: "markdown", text: truncate(nonEmpty(text, "markdown block"), SLACK_LIMITS.markdownText) };
}

export function divider(): DividerBlock {
  return { type: "divider" };
}

/** A button; its label is cut to 75 characters. The action id and value are identifiers, so too long is an error. */
export function button(
  text: string,
  actionId: string,
  opts: { value?: string; style?: "primary" | "danger" } = {},
): ButtonElement {
  if (actionId === "" || actionId.length > SLACK_LIMITS.actionId) {
    throw new CodexError(
      "INTERNAL",
      `A button action_id must be 1 to ${SLACK_LIMITS.actionId} characters: "${truncate(actionId, 40)}".`,
    );
  }
  if (opts.value !== undefined && opts.value.length > SLACK_LIMITS.buttonValue) {
    throw new CodexError(
      "INTERNAL",
      `A button value holds at most ${SLACK_LIMITS.buttonValue} characters, got ${opts.value.length}.`,
    );
  }
  const el: ButtonElement = {
    type: "button",
    text: {
      type: "plain_text",
      text: truncate(nonEmpty(text, "button"), SLACK_LIMITS.buttonText),
      emoji: true,
    },
    action_id: actionId,
  };
  if (opts.value !== undefined) el.value = opts.value;
  if (opts.style) el.style = opts.style;
  return el;
}

/** A row of buttons (at most 25). */
export function actions(...elements: ButtonElement[]): ActionsBlock {
  if (elements.length === 0 || elements.length > SLACK_LIMITS.actionsElements) {
    throw new CodexError(
      "INTERNAL",
      `An actions block holds 1 to ${SLACK_LIMITS.actionsElements} elements, got ${elements.length}.`,
    );
  }
  return { type: "actions", elements };
}

/** A text progress bar such as `▓▓▓▓▓▓▓▓░░░░░░░░░░░░ 2/5`; full only when done reaches total. */
export function progressBar(done: number, total: number, width = 20): string {
  const t = Math.max(0, Math.floor(total));
  const d = Math.min(t, Math.max(0, Math.floor(done)));
  const w = Math.max(1, Math.floor(width));
  const filled = t === 0 ? 0 : Math.floor((d / t) * w);
  return `${"▓".repeat(filled)}${"░".repeat(w - filled)} ${d}/${t}`;
}
