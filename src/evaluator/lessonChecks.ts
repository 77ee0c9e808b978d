import { sectionBodies, sectionFiller } from "../agents/sectionFiller.ts";
import { coverage, normHeading, PLACEHOLDER, wordCount } from "../agents/textMeasures.ts";

/** Whether a lesson from an earlier run shows in this run's deliverable, read from the copy itself. */
export interface LessonCheck {
  lesson: string;
  status: "applied" | "not applied" | "not judged";
  /** What was measured, in words. */
  evidence: string;
}

type Rule = (m: RegExpMatchArray, text: string) => Omit<LessonCheck, "lesson">;

const verdict = (ok: boolean, evidence: string): Omit<LessonCheck, "lesson"> => ({
  status: ok ? "applied" : "not applied",
  evidence,
});

/** Subject lines written as `Subject: …` or listed under a "Subject lines" heading. */
function subjectLines(text: string): string[] {
  const inline = [...text.matchAll(/^\s*(?:[-*]\s+)?\**subject(?: line)?\s*\d*\**:\**\s*(.+)$/gim)].map(
    (m) => m[1] ?? "",
  );
  const bodies = sectionBodies(text, normHeading);
  const listed = [...bodies.entries()]
    .filter(([k]) => k.startsWith("subject"))
    .flatMap(([, body]) => [...body.matchAll(/^\s*(?:\d+[.)]|[-*])\s+(.+)$/gm)].map((m) => m[1] ?? ""));
  return [...inline, ...listed].map((s) =>
    s
      .replace(/\s*\(\d+ chars\)\s*$/, "")
      .replace(/\*\*/g, "")
      .trim(),
  );
}

/** The lesson shapes the evaluator and the checks write, each read back against the text. */
const RULES: [RegExp, Rule][] = [
  [
    /address (.+?) explicitly/i,
    (m, text) => {
      const words = (m[1] ?? "").split(/\s*,\s*|\s+and\s+/).filter(Boolean);
      const { found, missing } = coverage(words, text);
      return verdict(
        missing.length === 0,
        missing.length === 0
          ? `the copy now covers ${found.join(", ")}`
          : `the copy does not cover ${missing.join(", ")}${found.length ? ` (it does cover ${found.join(", ")})` : ""}`,
      );
    },
  ],
  [
    /(?:include a|missing the required) "(.+?)" section/i,
    (m, text) => {
      const name = m[1] ?? "";
      const body = sectionBodies(text, normHeading).get(normHeading(name));
      if (body === undefined) return verdict(false, `there is still no "${name}" section`);
      const filler = sectionFiller(body);
      return verdict(
        !filler,
        filler
          ? `the "${name}" section is there but ${filler}`
          : `the "${name}" section is there, with content`,
      );
    },
  ],
  [
    /subject[^.]*?(?:under|below|at most|max(?:imum)?|<=?|fewer than)\s*(\d{2,3})\s*char/i,
    (m, text) => {
      const cap = Number(m[1]);
      const subjects = subjectLines(text);
      if (subjects.length === 0)
        return { status: "not judged", evidence: "no subject lines were found to measure" };
      const over = subjects.filter((s) => s.length > cap);
      return verdict(
        over.length === 0,
        `${over.length} of ${subjects.length} subject lines over ${cap} characters`,
      );
    },
  ],
  [
    /resolve placeholders/i,
    (_m, text) => {
      const hit = text.match(PLACEHOLDER)?.[0];
      return verdict(!hit, hit ? `"${hit}" is still in the text` : "no placeholder is left");
    },
  ],
  [
    /under (\d+) words/i,
    (m, text) => {
      const n = wordCount(text);
      return verdict(n >= Number(m[1]), `${n} words`);
    },
  ],
  [
    /(\d+) chars \(minimum (\d+)\)/i,
    (m, text) => verdict(text.length >= Number(m[2]), `${text.length} characters (minimum ${m[2]})`),
  ],
  [
    /uses the banned phrase "(.+?)"/i,
    (m, text) => {
      const used = text.toLowerCase().includes((m[1] ?? "").toLowerCase());
      return verdict(!used, used ? `"${m[1]}" is still used` : `"${m[1]}" is gone`);
    },
  ],
];

/**
 * Reads each lesson against the deliverable as judged (without the lesson list or other appended
 * text), so "applied" means the copy changed, never that the lesson was repeated. A lesson no rule can
 * read is reported as not judged, for a person to check.
 */
export function checkLessons(lessons: readonly string[], judged: string): LessonCheck[] {
  return lessons.map((lesson) => {
    for (const [pattern, rule] of RULES) {
      const m = lesson.match(pattern);
      if (m) return { lesson, ...rule(m, judged) };
    }
    return {
      lesson,
      status: "not judged",
      evidence: "no rule reads this lesson from the text; a reviewer checks it",
    };
  });
}
