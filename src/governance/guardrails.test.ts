import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_BLOCKED_TERMS, DEFAULT_PII_PATTERNS, DEFAULT_SECRET_PATTERNS } from "./charter.ts";
import {
  checkGuardrails,
  type GuardrailRules,
  luhnValid,
  MAX_SCAN_CHARS,
  mergeGuardrails,
  redactSecrets,
} from "./guardrails.ts";

const rules: GuardrailRules = {
  blockedTerms: DEFAULT_BLOCKED_TERMS,
  secretPatterns: DEFAULT_SECRET_PATTERNS,
  piiPatterns: DEFAULT_PII_PATTERNS,
  maxChars: 20_000,
};

// Built from parts so no secret-looking literal sits in the source as a whole.
const SECRETS: Record<string, string> = {
  slack_token: ["xoxb", "123456789012", "123456789012", "abcdefABCDEF1234567890ab"].join("-"),
  slack_app_token: ["xapp", "1", "A0123456789", "1234567890123", "abcdef0123456789"].join("-"),
  anthropic_api_key: `sk-ant-api03-${"Ab1_".repeat(20)}`,
  openai_api_key: `sk-proj-${"x9Y8".repeat(12)}`,
  aws_access_key_id: `AKIA${"IOSFODNN7EXAMPLE"}`,
  github_token: `ghp_${"a1B2".repeat(9)}`,
  private_key: `-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA${"q".repeat(60)}\n-----END RSA PRIVATE KEY-----`,
  notion_token: `ntn_${"4567abcd".repeat(6)}`,
};

const MARKETING_COPY = `Join us at MODEX 2026 in Atlanta, booth 4211, April 13-16.
Book a 20-minute meeting: email sales@acme-industrial.com or call (312) 555-0142 / +1 312-555-0199.
Our team cut picking errors by 38% for a regional distributor. Order #100234 ships 2026-04-01.
Questions? events@acme-industrial.com. Unsubscribe at any time. Acme Industrial, 200 W Madison St, Chicago, IL 60606.`;

for (const [name, secret] of Object.entries(SECRETS)) {
  test(`secret "${name}" is detected with a redacted excerpt and redacted from text`, () => {
    const text = `Config dump: ${secret} (end)`;
    const found = checkGuardrails(text, rules).filter((v) => v.kind === "secret");
    assert.deepEqual(
      found.map((v) => v.name),
      [name],
    );
    const excerpt = found[0]?.excerpt ?? "";
    assert.match(excerpt, new RegExp(`…\\(redacted, ${secret.length} chars\\)$`));
    assert.ok(!excerpt.includes(secret.slice(4, 12)), excerpt);
    const redacted = redactSecrets(text, rules);
    assert.equal(redacted, `Config dump: [REDACTED:${name}] (end)`);
  });
}

test("an OpenAI key excerpt keeps only a short prefix", () => {
  const v = checkGuardrails(SECRETS.openai_api_key ?? "", rules)[0];
  assert.equal(v?.excerpt, `sk-p…(redacted, ${SECRETS.openai_api_key?.length} chars)`);
});

test("a PEM block without its END line is still caught", () => {
  const text = "key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC";
  assert.equal(redactSecrets(text, rules), "key:\n[REDACTED:private_key]");
});

test("US SSNs are PII, excerpts show nothing of them", () => {
  const found = checkGuardrails("SSN 123-45-6789 on file", rules);
  assert.deepEqual(found, [{ kind: "pii", name: "us_ssn", excerpt: "…(redacted, 11 chars)" }]);
  assert.equal(redactSecrets("SSN 123-45-6789.", rules), "SSN [REDACTED:us_ssn].");
  assert.deepEqual(checkGuardrails("not SSNs: 000-12-3456, 666-12-3456, 123-00-4567", rules), []);
});

test("Luhn: valid card numbers pass, random digit runs do not", () => {
  assert.equal(luhnValid("4111 1111 1111 1111"), true);
  assert.equal(luhnValid("5500-0000-0000-0004"), true);
  assert.equal(luhnValid("378282246310005"), true);
  assert.equal(luhnValid("4111 1111 1111 1112"), false);
  assert.equal(luhnValid("1234"), false);
});

test("payment cards are PII only when the Luhn check passes", () => {
  const hit = checkGuardrails("Card: 4111 1111 1111 1111, exp 04/28", rules);
  assert.deepEqual(hit, [{ kind: "pii", name: "payment_card", excerpt: "…(redacted, 19 chars)" }]);
  assert.equal(redactSecrets("Card: 4111-1111-1111-1111.", rules), "Card: [REDACTED:payment_card].");
  assert.deepEqual(checkGuardrails("Tracking 4111 1111 1111 1112 and ref 1234567890123", rules), []);
});

test("ordinary marketing copy with emails and phone numbers trips nothing", () => {
  assert.deepEqual(checkGuardrails(MARKETING_COPY, rules), []);
  assert.equal(redactSecrets(MARKETING_COPY, rules), MARKETING_COPY);
});

test("blocked terms match whole words, case-insensitively, across whitespace", () => {
  const found = checkGuardrails("A RISK-FREE trial with Guaranteed\n ROI.", rules);
  assert.deepEqual(
    found.map((v) => [v.kind, v.name, v.excerpt]),
    [
      ["blocked_term", "risk-free", "RISK-FREE"],
      ["blocked_term", "guaranteed ROI", "Guaranteed\n ROI"],
    ],
  );
  assert.deepEqual(checkGuardrails("The roister of guaranteed ROIs and risk-freely", rules), []);
});

test("length: over maxChars is a violation", () => {
  const v = checkGuardrails("x".repeat(11), { ...rules, maxChars: 10 });
  assert.deepEqual(v, [{ kind: "length", name: "max_chars", excerpt: "11 chars, over the 10 limit" }]);
  assert.deepEqual(checkGuardrails("x".repeat(11), { ...rules, maxChars: undefined }), []);
});

test("text past the scan cap is refused and never passed through unscanned", () => {
  const secret = SECRETS.github_token ?? "";
  const text = `${"a ".repeat(MAX_SCAN_CHARS / 2)}${secret}`;
  const v = checkGuardrails(text, { ...rules, maxChars: undefined });
  assert.deepEqual(
    v.map((x) => x.name),
    ["scan_limit"],
  );
  const redacted = redactSecrets(text, rules);
  assert.ok(!redacted.includes(secret));
  assert.ok(redacted.endsWith(`[REDACTED:unscanned ${secret.length} chars]`));
});

test("mergeGuardrails unions blocked terms and takes the stricter length", () => {
  const merged = mergeGuardrails(rules, { blockedTerms: ["act now", "RISK-FREE"], maxChars: 500 });
  assert.deepEqual(merged.blockedTerms, [...DEFAULT_BLOCKED_TERMS, "act now"]);
  assert.equal(merged.maxChars, 500);
  assert.equal(mergeGuardrails(rules, { maxChars: 50_000 }).maxChars, 20_000);
  assert.equal(mergeGuardrails({ ...rules, maxChars: undefined }).maxChars, undefined);
  assert.equal(merged.secretPatterns, rules.secretPatterns);
});
