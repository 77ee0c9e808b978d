import type { Judgement } from "./judgeSchema.ts";
import type { DraftContext } from "./Provider.ts";
import { sectionBodies, sectionFiller } from "./sectionFiller.ts";
import {
  coverage,
  headings,
  keywords,
  normHeading,
  PLACEHOLDER,
  tableRows,
  wordCount,
} from "./textMeasures.ts";

/** Word band a finished draft should fall in; below it a draft is thin, far above it is padded. */
const MIN_WORDS = 150;
const MAX_WORDS = 2000;
/** How the four measures combine into one criterion's score (they sum to 1). */
const WEIGHTS = { coverage: 0.5, sections: 0.2, length: 0.15, structure: 0.15 };
/** A criterion scoring under this earns a lesson. */
const LESSON_BELOW = 0.75;
const MAX_LESSONS = 5;

const round2 = (n: number): number => Math.round(n * 100) / 100;

/**
 * Scores `ctx.subject` against each criterion with transparent heuristics, and says in each rationale
 * exactly what was measured: key-word coverage of the criterion's description, required sections present,
 * length band, and structure (headings, lists, tables). A placeholder (TBD, TODO, …) costs 0.1.
 */
export function judgeOffline(ctx: DraftContext): Judgement {
  const subject = ctx.subject ?? "";
  const words = wordCount(subject);
  const heads = headings(subject).map(normHeading);
  const listLines = (subject.match(/^\s*(?:[-*+]|\d+[.)])\s+/gm) ?? []).length;
  const rows = tableRows(subject);
  const required = ctx.requiredSections ?? [];
  // A required heading over filler (a stub, a placeholder, directions to a writer) counts as missing.
  const bodies = sectionBodies(subject, normHeading);
  const missingSections = required.filter((r) => {
    const body = bodies.get(normHeading(r));
    return body === undefined || sectionFiller(body) !== undefined;
  });
  const placeholder = subject.match(PLACEHOLDER)?.[0];

  const sectionsScore = required.length ? (required.length - missingSections.length) / required.length : 1;
  const lengthScore =
    words < MIN_WORDS ? words / MIN_WORDS : words <= MAX_WORDS ? 1 : Math.max(0.5, MAX_WORDS / words);
  const structureScore = Math.min(1, heads.length / 3) * 0.6 + (listLines > 0 || rows > 0 ? 0.4 : 0);

  const lessons: string[] = [];
  const criteria = (ctx.criteria ?? []).map((c) => {
    const kws = keywords(`${c.id.replace(/[_-]+/g, " ")} ${c.description}`);
    const cov = coverage(kws, subject);
    const coverageScore = kws.length ? cov.found.length / kws.length : 1;
    const raw =
      WEIGHTS.coverage * coverageScore +
      WEIGHTS.sections * sectionsScore +
      WEIGHTS.length * lengthScore +
      WEIGHTS.structure * structureScore -
      (placeholder ? 0.1 : 0);
    const score = round2(Math.min(1, Math.max(0, raw)));
    const rationale = [
      `Key words found ${cov.found.length}/${kws.length}` +
        (cov.found.length ? ` (${cov.found.join(", ")})` : "") +
        (cov.missing.length ? `; missing: ${cov.missing.join(", ")}` : "") +
        ".",
      required.length
        ? `Required sections ${required.length - missingSections.length}/${required.length}${missingSections.length ? ` (missing: ${missingSections.join(", ")})` : ""}.`
        : "No required sections.",
      `${words} words (band ${MIN_WORDS}–${MAX_WORDS}).`,
      `${heads.length} headings, ${listLines} list items, ${rows} table rows.`,
      placeholder ? `Placeholder "${placeholder}" found (−0.1).` : "",
      `Score = ${WEIGHTS.coverage}·coverage + ${WEIGHTS.sections}·sections + ${WEIGHTS.length}·length + ${WEIGHTS.structure}·structure.`,
    ]
      .filter(Boolean)
      .join(" ");
    if (score < LESSON_BELOW && cov.missing.length) {
      lessons.push(`For "${c.id}": address ${cov.missing.slice(0, 4).join(", ")} explicitly.`);
    }
    return { id: c.id, score, rationale };
  });

  for (const s of missingSections) lessons.push(`Include a "${s}" section.`);
  if (words < MIN_WORDS)
    lessons.push(`Drafts under ${MIN_WORDS} words score low on length: give each section substance.`);
  if (placeholder) lessons.push("Resolve placeholders (TBD, TODO, [insert …]) before review.");
  return { criteria, lessons: [...new Set(lessons)].slice(0, MAX_LESSONS) };
}
