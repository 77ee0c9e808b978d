import { APPENDED_LINES, APPENDED_SECTIONS } from "../agents/appendedSections.ts";

const appended = new Set(APPENDED_SECTIONS.map((s) => s.toLowerCase()));

/**
 * A draft without what the system appended to it (see appendedSections): the lesson list, the inputs
 * and upstream echoes, the offline label and header. This is the only text the evaluator checks and
 * the judge scores, so repeating a lesson or an input never earns points; applying it in the copy does.
 */
export function judgedText(markdown: string): string {
  const out: string[] = [];
  let skipping: number | undefined;
  for (const line of markdown.split("\n")) {
    const h = line.match(/^(#{1,6})[ \t]+(.+?)[ \t#]*$/);
    if (h) {
      const level = (h[1] ?? "#").length;
      if (skipping !== undefined && level <= skipping) skipping = undefined;
      if (skipping === undefined && appended.has((h[2] ?? "").trim().toLowerCase())) skipping = level;
    }
    if (skipping !== undefined) continue;
    if (APPENDED_LINES.some((re) => re.test(line))) continue;
    out.push(line);
  }
  return out.join("\n").replace(/\n{3,}/g, "\n\n");
}
