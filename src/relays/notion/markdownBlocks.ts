/** Notion's limits (developers.notion.com, request limits): characters per rich-text item and items per array. */
export const RICH_TEXT_MAX_CHARS = 2000;
export const RICH_TEXT_MAX_ITEMS = 100;
/** Blocks per pages.create or blocks.children.append request. */
export const BLOCKS_PER_REQUEST = 100;

export interface RichTextRequest {
  type: "text";
  text: { content: string; link?: { url: string } | null };
}

type TextBlockType =
  | "paragraph"
  | "heading_1"
  | "heading_2"
  | "heading_3"
  | "bulleted_list_item"
  | "numbered_list_item"
  | "quote";

export type BlockRequest =
  | ({ type: TextBlockType } & { [K in TextBlockType]?: { rich_text: RichTextRequest[] } })
  | {
      type: "code";
      code: {
        rich_text: RichTextRequest[];
        language: "plain text" | "markdown" | "json" | "shell" | "typescript";
      };
    }
  | { type: "divider"; divider: Record<string, never> };

/**
 * Splits text into rich-text items of at most 2000 characters, never cutting a UTF-16 surrogate pair
 * (Notion counts characters; a lone surrogate is invalid JSON text for it).
 */
export function richText(text: string): RichTextRequest[] {
  const out: RichTextRequest[] = [];
  let rest = text;
  while (rest.length > 0) {
    let cut = Math.min(RICH_TEXT_MAX_CHARS, rest.length);
    const last = rest.charCodeAt(cut - 1);
    if (cut < rest.length && last >= 0xd800 && last <= 0xdbff) cut--;
    out.push({ type: "text", text: { content: rest.slice(0, cut) } });
    rest = rest.slice(cut);
  }
  return out;
}

/** One block of a type, or several when the text needs more than 100 rich-text items. */
function textBlocks(type: TextBlockType, text: string): BlockRequest[] {
  const items = richText(text);
  if (items.length === 0) return [{ type, [type]: { rich_text: [] } } as BlockRequest];
  const out: BlockRequest[] = [];
  for (let i = 0; i < items.length; i += RICH_TEXT_MAX_ITEMS) {
    out.push({ type, [type]: { rich_text: items.slice(i, i + RICH_TEXT_MAX_ITEMS) } } as BlockRequest);
  }
  return out;
}

/** Strips the markdown inline marks Notion would show literally (bold stars, backticks). */
function inline(text: string): string {
  return text.replace(/\*\*(.+?)\*\*/g, "$1").replace(/`([^`]+)`/g, "$1");
}

/**
 * Markdown (as the evidence items carry it) → Notion blocks: `#`/`##`/`###` headings, `-`/`*`/`•`
 * bullets, `1.` numbered items, `>` quotes, fenced code, `---` dividers, and paragraphs of the lines
 * between. Every text is split to Notion's limits.
 */
export function markdownToBlocks(markdown: string): BlockRequest[] {
  const blocks: BlockRequest[] = [];
  const lines = markdown.replace(/\r\n/g, "\n").split("\n");
  let paragraph: string[] = [];
  const flush = () => {
    const text = paragraph.join("\n").trim();
    if (text) blocks.push(...textBlocks("paragraph", inline(text)));
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i] as string); i++) body.push(lines[i] as string);
      const lang =
        fence[1] === "json" || fence[1] === "shell" || fence[1] === "typescript" || fence[1] === "markdown"
          ? fence[1]
          : "plain text";
      const items = richText(body.join("\n"));
      for (let k = 0; k < Math.max(1, items.length); k += RICH_TEXT_MAX_ITEMS) {
        blocks.push({
          type: "code",
          code: { rich_text: items.slice(k, k + RICH_TEXT_MAX_ITEMS), language: lang },
        });
      }
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    const bullet = /^\s*(?:[-*•])\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    const quote = /^>\s?(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = (heading[1] as string).length as 1 | 2 | 3;
      blocks.push(
        ...textBlocks(`heading_${level}`, inline(heading[2] as string).slice(0, RICH_TEXT_MAX_CHARS)),
      );
    } else if (/^\s*(?:---+|\*\*\*+)\s*$/.test(line)) {
      flush();
      blocks.push({ type: "divider", divider: {} });
    } else if (bullet) {
      flush();
      blocks.push(...textBlocks("bulleted_list_item", inline(bullet[1] as string)));
    } else if (numbered) {
      flush();
      blocks.push(...textBlocks("numbered_list_item", inline(numbered[1] as string)));
    } else if (quote) {
      flush();
      blocks.push(...textBlocks("quote", inline(quote[1] as string)));
    } else if (line.trim() === "") {
      flush();
    } else {
      paragraph.push(line);
    }
  }
  flush();
  return blocks;
}
