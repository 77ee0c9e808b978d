import { checkGuardrails, type GuardrailRules, redactSecrets } from "../governance/guardrails.ts";

/**
 * An agent's text as the provider produces it, released only in whole lines that pass the charter's
 * guardrails. Each block of complete lines is checked on its own (blocked terms, secrets and PII never
 * span a line) and against max_chars with everything released before; the first block that breaks a
 * rule ends the stream and is never shown, so a stream never shows what the final check would refuse
 * to post. Released text is redacted and scrubbed like the sealed output.
 */
export class GuardedStream {
  readonly #rules: GuardrailRules;
  readonly #scrub: (text: string) => string;
  readonly #emit: (text: string) => void;
  #raw = "";
  #released = 0;
  #stopped = false;

  constructor(rules: GuardrailRules, scrub: (text: string) => string, emit: (text: string) => void) {
    this.#rules = rules;
    this.#scrub = scrub;
    this.#emit = emit;
  }

  /** Whether everything produced so far has been released or is still releasable. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** A provider's delta (GenerateRequest.onText). */
  readonly push = (delta: string): void => {
    if (this.#stopped || delta === "") return;
    this.#raw += delta;
    const cut = this.#raw.lastIndexOf("\n") + 1;
    if (cut > this.#released) this.#release(cut);
  };

  /**
   * The step is over: with `ok` (its output passed the guardrails) the rest is released; otherwise
   * the stream stops where it is. True when the whole output was streamed.
   */
  end(ok: boolean): boolean {
    if (!ok) this.#stopped = true;
    if (!this.#stopped && this.#raw.length > this.#released) this.#release(this.#raw.length);
    return !this.#stopped;
  }

  #release(to: number): void {
    const block = this.#raw.slice(this.#released, to);
    const violations = checkGuardrails(block, { ...this.#rules, maxChars: undefined });
    const max = this.#rules.maxChars;
    if (violations.length > 0 || (max !== undefined && to > max)) {
      this.#stopped = true;
      return;
    }
    this.#released = to;
    const text = this.#scrub(redactSecrets(block, this.#rules));
    if (text !== "") this.#emit(text);
  }
}
