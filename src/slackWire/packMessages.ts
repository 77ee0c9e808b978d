import { CodexError } from "../core/CodexError.ts";
import {
  type Block,
  type ContextBlock,
  context,
  type SectionBlock,
  SLACK_LIMITS,
  type TextObject,
  truncate,
} from "./blockKit.ts";
import { splitText } from "./splitText.ts";

export interface PackOptions {
  /** Blocks per message: 50 in a message (the default), 100 in a Home tab. */
  maxBlocks?: number;
  /** Text characters per message; defaults to SLACK_LIMITS.messageChars (12000). */
  maxChars?: number;
}

/** The text a block carries: every text object's `text`, which is what Slack's size limit is about. */
export function blockChars(block: Block): number {
  switch (block.type) {
    case "header":
      return block.text.text.length;
    case "section":
      return (
        (block.text?.text.length ?? 0) +
        sumText(block.fields ?? []) +
        (block.accessory?.text.text.length ?? 0)
      );
    case "context":
      return sumText(block.elements);
    case "actions":
      return block.elements.reduce((n, el) => n + el.text.text.length, 0);
    case "markdown":
      return block.text.length;
    case "divider":
      return 0;
  }
}

export function messageChars(blocks: readonly Block[]): number {
  return blocks.reduce((n, b) => n + blockChars(b), 0);
}

function sumText(objs: readonly TextObject[]): number {
  return objs.reduce((n, o) => n + o.text.length, 0);
}

/**
 * Packs blocks, in order, into as few messages as the limits allow: a long result becomes several
 * thread messages. A block over a per-block limit is split first (a long section into several
 * sections, losing no text; more than 10 fields or context elements into several blocks); only
 * labels meant to be short (headers, fields, buttons) are cut.
 */
export function packMessages(blocks: readonly Block[], opts: PackOptions = {}): Block[][] {
  const maxBlocks = opts.maxBlocks ?? SLACK_LIMITS.messageBlocks;
  const maxChars = opts.maxChars ?? SLACK_LIMITS.messageChars;
  if (!Number.isInteger(maxBlocks) || maxBlocks < 1 || maxChars < SLACK_LIMITS.sectionText) {
    throw new CodexError(
      "INTERNAL",
      `packMessages needs maxBlocks >= 1 and maxChars >= ${SLACK_LIMITS.sectionText}, got ${maxBlocks} and ${maxChars}.`,
    );
  }
  const messages: Block[][] = [];
  let current: Block[] = [];
  let chars = 0;
  for (const block of blocks.flatMap((b) => fitBlock(b, maxChars))) {
    const n = blockChars(block);
    if (current.length > 0 && (current.length >= maxBlocks || chars + n > maxChars)) {
      messages.push(current);
      current = [];
      chars = 0;
    }
    current.push(block);
    chars += n;
  }
  if (current.length > 0) messages.push(current);
  return messages;
}

/**
 * A Home tab view's blocks: per-block limits as in messages, at most 100 blocks. Past 100 the view
 * keeps the first 99 and says how many were left out, because views.publish refuses the whole view.
 */
export function fitHomeTab(blocks: readonly Block[]): Block[] {
  const fitted = blocks.flatMap((b) => fitBlock(b, Number.POSITIVE_INFINITY));
  if (fitted.length <= SLACK_LIMITS.homeTabBlocks) return fitted;
  const kept = fitted.slice(0, SLACK_LIMITS.homeTabBlocks - 1);
  return [...kept, context(`…and ${fitted.length - kept.length} more blocks not shown`)];
}

/**
 * Whether an agent's output is better uploaded as a file (files.uploadV2) than posted as blocks:
 * past one message's worth of text (12000 by default) a thread of split messages is harder to read
 * and copy than one file.
 */
export function needsFileUpload(text: string, threshold: number = SLACK_LIMITS.messageChars): boolean {
  return text.length > threshold;
}

/** One block as one or more blocks that each satisfy Slack's per-block limits and `maxChars`. */
function fitBlock(block: Block, maxChars: number): Block[] {
  switch (block.type) {
    case "header":
      return [
        { ...block, text: { ...block.text, text: truncate(block.text.text, SLACK_LIMITS.headerText) } },
      ];
    case "section":
      return fitSection(block, maxChars);
    case "context":
      return chunk(
        block.elements.map((e) => ({ ...e, text: truncate(e.text, SLACK_LIMITS.sectionText) })),
        SLACK_LIMITS.contextElements,
        maxChars,
      ).map((elements): ContextBlock => ({ ...block, elements }));
    case "actions":
      return chunkBy(block.elements, SLACK_LIMITS.actionsElements).map((elements) => ({
        ...block,
        elements: elements.map((el) => ({
          ...el,
          text: { ...el.text, text: truncate(el.text.text, SLACK_LIMITS.buttonText) },
        })),
      }));
    case "markdown":
      // A document longer than one message is uploaded as a file before it gets here (replyBlocks).
      return [block.text.length <= maxChars ? block : { ...block, text: truncate(block.text, maxChars) }];
    case "divider":
      return [block];
  }
}

function fitSection(block: SectionBlock, maxChars: number): SectionBlock[] {
  const { text, fields, accessory, ...rest } = block;
  const fits =
    (text?.text.length ?? 0) <= SLACK_LIMITS.sectionText &&
    (fields?.length ?? 0) <= SLACK_LIMITS.sectionFields &&
    (fields ?? []).every((f) => f.text.length <= SLACK_LIMITS.fieldText) &&
    (accessory?.text.text.length ?? 0) <= SLACK_LIMITS.buttonText &&
    blockChars(block) <= maxChars;
  if (fits) return [block];
  // The accessory (a button) stays with the first part; its label counts against that part's budget.
  const first: SectionBlock = accessory
    ? {
        ...rest,
        accessory: {
          ...accessory,
          text: { ...accessory.text, text: truncate(accessory.text.text, SLACK_LIMITS.buttonText) },
        },
      }
    : { ...rest };
  const firstBudget = maxChars - (first.accessory?.text.text.length ?? 0);
  const out: SectionBlock[] = [];
  const push = (part: Omit<SectionBlock, "type">) =>
    out.push(out.length === 0 ? { ...first, ...part } : { type: "section", ...part });
  if (text) {
    const textMax = Math.min(SLACK_LIMITS.sectionText, firstBudget);
    // Whitespace-only parts are dropped: Slack refuses a section with no visible text.
    const parts =
      text.text.length <= textMax
        ? [text.text]
        : splitText(text.text, textMax).filter((p) => p.trim() !== "");
    for (const part of parts) push({ text: { ...text, text: part } });
  }
  if (fields && fields.length > 0) {
    const cut = fields.map((f) => ({ ...f, text: truncate(f.text, SLACK_LIMITS.fieldText) }));
    for (const group of chunk(cut, SLACK_LIMITS.sectionFields, firstBudget)) push({ fields: group });
  }
  return out.length > 0 ? out : [first];
}

/** Groups of at most `size` items whose text adds up to at most `maxChars`. */
function chunk<T extends TextObject>(items: readonly T[], size: number, maxChars: number): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let chars = 0;
  for (const item of items) {
    if (group.length > 0 && (group.length >= size || chars + item.text.length > maxChars)) {
      groups.push(group);
      group = [];
      chars = 0;
    }
    group.push(item);
    chars += item.text.length;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

function chunkBy<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}
