import { sectionBodies, sectionFiller } from "../agents/sectionFiller.ts";

/** What the evaluator checks in code before any judge runs. */
export interface CheckSpec {
  requiredSections: string[];
  minChars?: number;
  maxChars?: number;
  bannedPhrases: string[];
}

export interface CheckResult {
  id: string;
  passed: boolean;
  detail: string;
}

/** Markdown headings of any level, normalised for comparison. */
export function headingsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    out.add(normaliseHeading(m[1] ?? ""));
  }
  return out;
}

function normaliseHeading(text: string): string {
  return text.toLowerCase().replace(/[*_`]/g, "").replace(/\s+/g, " ").trim();
}

/**
 * The checks, on the text as judged (see judgedText). A required section passes only when it holds
 * content: a heading over a stub ("needs the operator's facts"), a placeholder or directions to a writer
 * fails, so filler never passes for the real thing.
 */
export function deterministicChecks(text: string, spec: CheckSpec): CheckResult[] {
  const results: CheckResult[] = [];
  const bodies = sectionBodies(text, normaliseHeading);
  for (const section of spec.requiredSections) {
    const body = bodies.get(normaliseHeading(section));
    const filler = body === undefined ? undefined : sectionFiller(body);
    const passed = body !== undefined && filler === undefined;
    results.push({
      id: `section:${section}`,
      passed,
      detail:
        body === undefined
          ? `missing the required "${section}" section`
          : filler
            ? `the required "${section}" section is filler: ${filler}`
            : `has a "${section}" section with content`,
    });
  }
  const chars = text.length;
  if (spec.minChars !== undefined) {
    const passed = chars >= spec.minChars;
    results.push({ id: "length:min", passed, detail: `${chars} chars (minimum ${spec.minChars})` });
  }
  if (spec.maxChars !== undefined) {
    const passed = chars <= spec.maxChars;
    results.push({ id: "length:max", passed, detail: `${chars} chars (maximum ${spec.maxChars})` });
  }
  const lower = text.toLowerCase();
  for (const phrase of spec.bannedPhrases) {
    const passed = !lower.includes(phrase.toLowerCase());
    results.push({
      id: `banned:${phrase}`,
      passed,
      detail: passed ? `does not use "${phrase}"` : `uses the banned phrase "${phrase}"`,
    });
  }
  return results;
}
