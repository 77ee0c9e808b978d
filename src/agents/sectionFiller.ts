import { PLACEHOLDER, wordCount } from "./textMeasures.ts";

/**
 * Phrases that mark a section as a stub or as directions to a writer rather than the deliverable itself.
 * Each says why, so a failed check names it. Kept narrow on purpose: a recommendation ("transfer two
 * skid steers to Aurora") is an imperative too, and must not be mistaken for an instruction to a writer.
 */
const FILLER: [RegExp, string][] = [
  [/\bneeds? the operator'?s (facts|input|details)\b/i, "it says it needs the operator's facts"],
  [/\b(this|the) section (needs|should|must|will) (be )?\w+/i, "it describes what the section should hold"],
  [
    /\b(to be (written|filled in|completed|confirmed|supplied|provided|added)|fill (this |it )?in (later|here|before))\b/i,
    "it is left to be filled in",
  ],
  [/\bsupply (them|it|these|the [a-z ]+) as `?--input\b/i, "it asks for inputs instead of using them"],
  [
    /\bthe bullets say what\b|\bsay(s)? what (each|every) (paragraph|email|section) (must|should)\b/i,
    "it gives instructions instead of copy",
  ],
  [
    /^\s*(?:[-*]\s+)?(write|describe|insert|explain|mention|outline|summari[sz]e) (the|a|an|your|each|every|one|two|three)\b/im,
    "it gives instructions instead of copy",
  ],
];

/** Fewer words than this under a heading is an empty section. */
const MIN_WORDS = 3;

/**
 * Why a required section's body is filler (empty, a stub, a placeholder, or instructions instead of
 * copy), or undefined when it holds real content. `body` is the text under the heading, sub-sections
 * included.
 */
export function sectionFiller(body: string): string | undefined {
  const text = body.trim();
  if (wordCount(text) < MIN_WORDS) return "it is empty";
  for (const [pattern, why] of FILLER) if (pattern.test(text)) return why;
  if (PLACEHOLDER.test(text) && wordCount(text) < 12) return "it holds only a placeholder";
  return undefined;
}

/**
 * The body under each heading, keyed by the heading's normalised text: everything up to the next
 * heading of the same or a higher level. Used by the section checks so a heading alone never passes.
 */
export function sectionBodies(markdown: string, norm: (heading: string) => string): Map<string, string> {
  const lines = markdown.split("\n");
  const heads: { level: number; key: string; at: number }[] = [];
  lines.forEach((line, at) => {
    const m = line.match(/^(#{1,6})[ \t]+(.+?)[ \t#]*$/);
    if (m) heads.push({ level: (m[1] ?? "#").length, key: norm(m[2] ?? ""), at });
  });
  const out = new Map<string, string>();
  heads.forEach((h, i) => {
    const end = heads.slice(i + 1).find((n) => n.level <= h.level)?.at ?? lines.length;
    const body = lines.slice(h.at + 1, end).join("\n");
    // A heading that appears twice is judged by its best body.
    const prev = out.get(h.key);
    if (prev === undefined || (sectionFiller(prev) !== undefined && sectionFiller(body) === undefined)) {
      out.set(h.key, body);
    }
  });
  return out;
}
