/** One run's lessons, as recorded in the ledger's WISDOM_RECORDED entries. */
export interface LessonRecord {
  runId: string;
  lessons: string[];
}

/**
 * "Reflect, then repeat, improved": picks the lessons the next run receives. A lesson repeated across
 * runs ranks first (it keeps coming back, so it matters); ties go to the most recent run.
 * `records` are newest first.
 */
export function rankLessons(records: readonly LessonRecord[], max = 5): string[] {
  const seen = new Map<string, { text: string; count: number; newest: number }>();
  records.forEach((record, age) => {
    for (const raw of record.lessons) {
      const text = raw.trim();
      if (text === "") continue;
      const key = text.toLowerCase().replace(/\s+/g, " ");
      const entry = seen.get(key);
      if (entry) entry.count += 1;
      else seen.set(key, { text, count: 1, newest: age });
    }
  });
  return [...seen.values()]
    .sort((a, b) => b.count - a.count || a.newest - b.newest)
    .slice(0, max)
    .map((e) => e.text);
}
