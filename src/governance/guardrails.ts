/**
 * Output guardrails: blocked terms, secrets, PII and length. The charter sets the baseline; a stack's
 * agent may add blocked terms or a tighter length through mergeGuardrails, never loosen them.
 */

/** A named regular expression from the charter. `validate: luhn` drops digit runs that fail Luhn. */
export interface NamedPattern {
  name: string;
  pattern: string;
  /** Extra RegExp flags (i, m, s, u); `g` is always added. */
  flags?: string;
  validate?: "luhn";
}

export interface GuardrailRules {
  blockedTerms: readonly string[];
  secretPatterns: readonly NamedPattern[];
  piiPatterns: readonly NamedPattern[];
  /** Longest allowed output in characters; undefined means no length limit. */
  maxChars: number | undefined;
}

export interface GuardrailViolation {
  kind: "blocked_term" | "secret" | "pii" | "length";
  name: string;
  /** Safe to log and show: a secret or PII match is never included, only its length and a short prefix. */
  excerpt: string;
}

/**
 * Regexes run on at most this many characters, bounding the cost of any charter pattern that
 * backtracks badly. Agent outputs are far shorter; longer text is refused (checkGuardrails) or its
 * unscanned tail withheld (redactSecrets), never passed through unchecked.
 */
export const MAX_SCAN_CHARS = 200_000;

/** At most this many violations are reported: enough to act on, bounded for hostile text. */
const MAX_VIOLATIONS = 100;

/** Secrets this short get no prefix in excerpts: four characters of them would be a real leak. */
const MIN_PREFIX_SECRET = 16;

const compiled = new Map<string, RegExp>();
/** Blocked terms' patterns by term (the charter's list: bounded). */
const termPatterns = new Map<string, RegExp>();

/** Compiles (and caches) a charter pattern; throws SyntaxError for an invalid one. */
export function compilePattern(p: NamedPattern): RegExp {
  const flags = `g${(p.flags ?? "").replace(/g/g, "")}`;
  const key = `${flags}/${p.pattern}`;
  let re = compiled.get(key);
  if (!re) {
    re = new RegExp(p.pattern, flags);
    compiled.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** Luhn checksum over the digits of `s` (separators ignored); 13 to 19 digits, as card numbers have. */
export function luhnValid(s: string): boolean {
  const digits = s.replace(/\D/g, "");
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whole-word, case-insensitive; inner whitespace matches any run of whitespace. */
function termPattern(term: string): RegExp {
  // Compiled once per term: a Unicode-property regex costs more to build than to run on a streamed block.
  let re = termPatterns.get(term);
  if (!re) {
    const body = term.trim().split(/\s+/).map(escapeRegExp).join("\\s+");
    re = new RegExp(`(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])`, "giu");
    termPatterns.set(term, re);
  }
  re.lastIndex = 0;
  return re;
}

function* matches(text: string, p: NamedPattern): Generator<{ index: number; text: string }> {
  const re = compilePattern(p);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    // An empty match would loop forever; step past it.
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    if (p.validate === "luhn" && !luhnValid(m[0])) continue;
    yield { index: m.index, text: m[0] };
  }
}

function redactedExcerpt(match: string, kind: "secret" | "pii"): string {
  const prefix = kind === "secret" && match.length >= MIN_PREFIX_SECRET ? match.slice(0, 4) : "";
  return `${prefix}…(redacted, ${match.length} chars)`;
}

/** Every rule `text` breaks. Excerpts never contain a matched secret or PII value. */
export function checkGuardrails(text: string, rules: GuardrailRules): GuardrailViolation[] {
  const found: GuardrailViolation[] = [];
  if (rules.maxChars !== undefined && text.length > rules.maxChars) {
    found.push({
      kind: "length",
      name: "max_chars",
      excerpt: `${text.length} chars, over the ${rules.maxChars} limit`,
    });
  }
  if (text.length > MAX_SCAN_CHARS) {
    found.push({
      kind: "length",
      name: "scan_limit",
      excerpt: `${text.length} chars; only the first ${MAX_SCAN_CHARS} can be scanned for secrets`,
    });
  }
  const scanned = text.slice(0, MAX_SCAN_CHARS);
  for (const term of rules.blockedTerms) {
    if (term.trim() === "") continue;
    const m = termPattern(term).exec(scanned);
    if (m) found.push({ kind: "blocked_term", name: term, excerpt: m[0] });
  }
  for (const [kind, patterns] of [
    ["secret", rules.secretPatterns],
    ["pii", rules.piiPatterns],
  ] as const) {
    for (const p of patterns) {
      for (const m of matches(scanned, p)) {
        if (found.length >= MAX_VIOLATIONS) return found;
        found.push({ kind, name: p.name, excerpt: redactedExcerpt(m.text, kind) });
      }
    }
  }
  return found.slice(0, MAX_VIOLATIONS);
}

/**
 * `text` with every secret and PII match replaced by `[REDACTED:name]`, safe to log, persist or post.
 * Text past MAX_SCAN_CHARS is withheld rather than passed through unscanned.
 */
export function redactSecrets(
  text: string,
  rules: Pick<GuardrailRules, "secretPatterns" | "piiPatterns">,
): string {
  let out = text.slice(0, MAX_SCAN_CHARS);
  for (const p of [...rules.secretPatterns, ...rules.piiPatterns]) {
    out = out.replace(compilePattern(p), (m) =>
      m.length === 0 || (p.validate === "luhn" && !luhnValid(m)) ? m : `[REDACTED:${p.name}]`,
    );
  }
  const rest = text.length - MAX_SCAN_CHARS;
  return rest > 0 ? `${out}[REDACTED:unscanned ${rest} chars]` : out;
}

/**
 * The rules for one agent: the charter's plus the agent's own. Blocked terms are the union
 * (case-insensitively deduplicated); the length limit is the stricter of the two.
 */
export function mergeGuardrails(
  charter: GuardrailRules,
  agent: { blockedTerms?: readonly string[]; maxChars?: number | undefined } = {},
): GuardrailRules {
  const terms = new Map<string, string>();
  for (const t of [...charter.blockedTerms, ...(agent.blockedTerms ?? [])]) {
    if (!terms.has(t.toLowerCase())) terms.set(t.toLowerCase(), t);
  }
  const limits = [charter.maxChars, agent.maxChars].filter((n): n is number => n !== undefined);
  return {
    blockedTerms: [...terms.values()],
    secretPatterns: charter.secretPatterns,
    piiPatterns: charter.piiPatterns,
    maxChars: limits.length > 0 ? Math.min(...limits) : undefined,
  };
}
