/** Small, transparent text measures shared by the offline drafter and the offline judge. */

const STOPWORDS = new Set(
  (
    "a an and are as at be been but by can could did do does for from had has have how if in into is it its " +
    "may more most must no not of on or our out over per should so such than that the their them then there " +
    "these they this those through to too under up upon use used using very was we were what when where " +
    "which while who whom why will with within without would you your yours about across after against all " +
    "also any before being both each few further here just only other own same some very make makes made " +
    "ensure clear clearly well good plan review write"
  ).split(" "),
);

/** Lower-case content words of length >= 4, in first-seen order, without stopwords or duplicates. */
export function keywords(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.toLowerCase().match(/[a-z][a-z0-9-]*/g) ?? []) {
    const w = raw.replace(/-+$/, "");
    if (w.length < 4 || STOPWORDS.has(w) || out.includes(w)) continue;
    out.push(w);
  }
  return out;
}

/** Words share a stem when their first five letters agree (compliance ~ compliant, timing ~ timings). */
export function stem(word: string): string {
  return word.toLowerCase().slice(0, 5);
}

/** Which of `words` occur (by stem) in `text`. */
export function coverage(words: readonly string[], text: string): { found: string[]; missing: string[] } {
  const stems = new Set((text.toLowerCase().match(/[a-z][a-z0-9-]*/g) ?? []).map(stem));
  const found = words.filter((w) => stems.has(stem(w)));
  return { found, missing: words.filter((w) => !found.includes(w)) };
}

export function wordCount(text: string): number {
  return (text.match(/[A-Za-z0-9][A-Za-z0-9'’-]*/g) ?? []).length;
}

/** Markdown headings (any level), without the hashes. */
export function headings(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => (m[1] ?? "").trim());
}

/** Normalised for comparing headings: lower case, no punctuation, single spaces. */
export function normHeading(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

/** List items (bulleted, numbered or checklist) with their markers removed. */
export function bullets(markdown: string): string[] {
  return [...markdown.matchAll(/^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.+)$/gm)].map((m) =>
    (m[1] ?? "").replace(/\*\*/g, "").trim(),
  );
}

export function tableRows(markdown: string): number {
  return (markdown.match(/^\|.*\|\s*$/gm) ?? []).filter((l) => !/^\|[\s:|-]+\|\s*$/.test(l)).length;
}

/** Sentences, roughly: split on terminal punctuation and line breaks. */
export function sentences(text: string): string[] {
  return text
    .replace(/^#.*$/gm, "")
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => wordCount(s) >= 3);
}

/** Unresolved-work markers that should never reach a client (merge tags such as {{first_name}} are fine). */
export const PLACEHOLDER = /\b(TBD|TODO|FIXME|lorem ipsum|XXX)\b|\[insert[^\]]*\]/i;

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:-]+$/, "")}…`;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Escapes a value for a markdown table cell. */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}
