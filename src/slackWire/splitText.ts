import { CodexError } from "../core/CodexError.ts";

const FENCE = "```";
const REOPEN = "```\n";
/** Room kept in every chunk for a closing "\n```" in case the cut lands inside a code block. */
const CLOSE_RESERVE = 4;
/** Below this a chunk could hold nothing but fence markers. */
export const SPLIT_TEXT_MIN = 16;

/**
 * Splits `text` into chunks of at most `max` UTF-16 units, cutting at a paragraph break, else a line
 * break, else a space, else anywhere (but never between the halves of a surrogate pair nor inside a run
 * of backticks). The separator stays at the end of the earlier chunk, so for text without code fences
 * the chunks concatenate back to the input exactly. A chunk that ends inside a ``` block is closed with
 * ``` and the next chunk reopens it, so each message renders its code as code.
 * Empty text gives no chunks.
 */
export function splitText(text: string, max: number): string[] {
  if (!Number.isInteger(max) || max < SPLIT_TEXT_MIN) {
    throw new CodexError("INTERNAL", `splitText needs a max of at least ${SPLIT_TEXT_MIN}, got ${max}.`, {
      hint: "Pass a Slack text limit such as SLACK_LIMITS.sectionText.",
    });
  }
  if (text.length <= max) return text === "" ? [] : [text];

  const parts: string[] = [];
  let pos = 0;
  let inFence = false;
  while (pos < text.length) {
    const prefix = inFence ? REOPEN : "";
    if (prefix.length + text.length - pos <= max) {
      parts.push(prefix + text.slice(pos));
      break;
    }
    const budget = max - prefix.length - CLOSE_RESERVE;
    const cut = chooseCut(text, pos, pos + budget);
    const chunk = text.slice(pos, cut);
    const open: boolean = countFences(chunk) % 2 === 1 ? !inFence : inFence;
    parts.push(prefix + chunk + (open ? (chunk.endsWith("\n") ? FENCE : `\n${FENCE}`) : ""));
    inFence = open;
    pos = cut;
  }
  return parts;
}

/** Non-overlapping ``` occurrences, left to right: the way Slack pairs fences. */
function countFences(s: string): number {
  let n = 0;
  for (let i = s.indexOf(FENCE); i !== -1; i = s.indexOf(FENCE, i + FENCE.length)) n++;
  return n;
}

/** An index in (start, limit] to end the chunk at. */
function chooseCut(text: string, start: number, limit: number): number {
  // A boundary is only worth taking if it keeps at least half the budget; otherwise chunks get tiny.
  const floor = start + Math.floor((limit - start) / 2);
  for (const sep of ["\n\n", "\n", " "]) {
    const at = text.lastIndexOf(sep, limit - sep.length);
    if (at >= start && at + sep.length > floor) return at + sep.length;
  }
  let cut = limit;
  while (cut > start + 1 && text[cut - 1] === "`" && text[cut] === "`") cut--;
  if (cut === start + 1 && text[cut - 1] === "`" && text[cut] === "`") cut = limit; // a run longer than the budget
  if (isHighSurrogate(text.charCodeAt(cut - 1)) && cut - 1 > start) cut--;
  return cut;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
