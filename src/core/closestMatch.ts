/** Levenshtein distance, two rows at a time; inputs are short keys so quadratic cost is fine. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * The candidate that extends `word`, else the one nearest to `word`, for "did you mean" hints; undefined when nothing is close
 * (more than a third of the word's letters would have to change).
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase().replaceAll("-", "_");
  // A truncated or extended key ("descr", "persona_name") is as good a hint as a typo.
  const extended = candidates.find((c) => {
    const k = c.toLowerCase();
    return (w.length >= 3 && k.startsWith(w)) || (k.length >= 4 && w.startsWith(k));
  });
  if (extended) return extended;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.ceil(w.length / 3)) ? best : undefined;
}
