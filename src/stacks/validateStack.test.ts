import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import type { YamlProblem } from "../core/problems.ts";
import { MAX_YAML_ALIASES, MAX_YAML_BYTES, MAX_YAML_DEPTH } from "../core/YamlSource.ts";
import { DEFAULT_EVALUATOR } from "./stackSchema.ts";
import { validateStackText } from "./validateStack.ts";

const FILE = "stacks/demo.yaml";

const SEED = `persona: marketing_ops
goal: Launch a lead-generation email campaign for an upcoming industry event
agents:
  - agent: agent_campaign_planner
    role: Plan audience-specific messaging and timing
  - agent: agent_email_writer
    role: Write clear, engaging copy for B2B buyers
  - agent: agent_evaluator
    role: Review for clarity, compliance, and alignment with brand tone
`;

/** The CodexError a text produces; fails the test if it validates. */
function errorOf(text: string): CodexError {
  try {
    validateStackText(text, FILE);
  } catch (err) {
    assert.ok(err instanceof CodexError, `expected a CodexError, got ${String(err)}`);
    assert.equal(err.code, "STACK_INVALID");
    return err;
  }
  assert.fail("expected the stack to be invalid");
}

/** Asserts exactly one problem at line:col for `path`, whose message matches `pattern`. */
function assertProblem(text: string, where: string, path: string, pattern: RegExp): YamlProblem {
  const err = errorOf(text);
  const details = err.details as YamlProblem[];
  assert.equal(details.length, 1, err.message);
  const [line, col] = where.split(":").map(Number);
  const p = details[0] as YamlProblem;
  assert.deepEqual({ file: p.file, line: p.line, col: p.col, path: p.path }, { file: FILE, line, col, path });
  assert.match(p.message, pattern);
  assert.ok(err.message.includes(`${FILE}:${where}`), err.message);
  assert.ok(err.message.includes(path), err.message);
  assert.ok(err.hint?.includes(FILE));
  return p;
}

const two = (extra = "", extraSecond = "") => `persona: demo
goal: g
agents:
  - agent: a
    role: r${extra}
  - agent: b
    role: r${extraSecond}
`;

test("the seed's minimal form validates unchanged, with defaults filled in", () => {
  const s = validateStackText(SEED, "stacks/marketing_ops_stack.yaml");
  assert.equal(s.name, "marketing_ops");
  assert.equal(s.file, "stacks/marketing_ops_stack.yaml");
  assert.match(s.hash, /^[0-9a-f]{64}$/);
  assert.deepEqual(
    s.agents.map((a) => a.id),
    ["agent_campaign_planner", "agent_email_writer", "agent_evaluator"],
  );
  assert.deepEqual(s.agents[0]?.output, { format: "markdown", requiredSections: [] });
  assert.deepEqual(s.agents[0]?.dependsOn, []);
  assert.deepEqual(s.inputs, []);
  assert.deepEqual(s.evaluator, DEFAULT_EVALUATOR);
  assert.equal(s.evaluator.passThreshold, 0.7);
  assert.deepEqual(
    s.evaluator.criteria.map((c) => c.id),
    ["clarity", "completeness", "goal_alignment", "compliance"],
  );
});

test("the hash is the SHA-256 of the file bytes", () => {
  const a = validateStackText(SEED, FILE);
  const b = validateStackText(`${SEED}# a comment\n`, FILE);
  assert.equal(a.hash, createHash("sha256").update(SEED, "utf8").digest("hex"));
  assert.notEqual(a.hash, b.hash);
});

test("the rich form parses to camelCase with every optional field", () => {
  const s = validateStackText(
    `persona: rich
goal: g
description: d
inputs:
  - name: event
    required: true
  - name: count
    default: 3
agents:
  - agent: a
    role: r
    instructions: "Plan {{input.event}} x{{input.count}} for {{persona}}: {{goal}}"
    provider: openai:llama3:8b
    model: gpt-4o-mini
    guardrails: { blocked_terms: [free], max_chars: 500 }
    output: { format: json, schema: { type: object, required: [plan] } }
  - agent: b
    role: r
    depends_on: [a]
    output: { format: markdown, required_sections: [Summary] }
evaluator:
  criteria:
    - { id: clarity, description: c, weight: 2 }
  pass_threshold: 0.8
  checks: { required_sections: [Summary], min_chars: 10, max_chars: 100, banned_phrases: [click here] }
`,
    FILE,
  );
  assert.deepEqual(s.inputs[1], { name: "count", description: undefined, required: false, default: "3" });
  const a = s.agents[0];
  assert.equal(a?.provider, "openai:llama3:8b");
  assert.deepEqual(a?.guardrails, { blockedTerms: ["free"], maxChars: 500 });
  assert.deepEqual(a?.output, { format: "json", schema: { type: "object", required: ["plan"] } });
  assert.deepEqual(s.agents[1]?.dependsOn, ["a"]);
  assert.equal(s.evaluator.isDefault, false);
  assert.deepEqual(s.evaluator.checks, {
    requiredSections: ["Summary"],
    minChars: 10,
    maxChars: 100,
    bannedPhrases: ["click here"],
  });
});

test("YAML syntax error", () => {
  assertProblem("persona: demo\ngoal: [unclosed\n", "3:1", "", /YAML syntax error/);
});

test("duplicate YAML keys are a syntax error", () => {
  assertProblem(`${two()}goal: again\n`, "8:1", "", /YAML syntax error: Map keys must be unique/);
});

test("unknown key names the key and suggests the closest known one", () => {
  const p = assertProblem(
    two("\n    depnds_on: [b]"),
    "6:5",
    "agents[0].depnds_on",
    /unknown key "depnds_on"/,
  );
  assert.match(p.message, /did you mean "depends_on"\?/);
  assert.match(p.message, /known keys: agent, role, instructions, depends_on/);
});

test("unknown top-level key", () => {
  assertProblem(
    `${two()}persona_name: x\n`,
    "8:1",
    "persona_name",
    /unknown key "persona_name"; did you mean "persona"/,
  );
});

test("wrong type says what was expected and what was found", () => {
  assertProblem(
    two("", "\n    depends_on: a"),
    "8:17",
    "agents[1].depends_on",
    /expected a list .* got text "a"/,
  );
  assertProblem(
    "persona: demo\ngoal: 12\nagents:\n  - agent: a\n    role: r\n",
    "2:7",
    "goal",
    /expected text, got number 12/,
  );
});

test("a missing required field points at its parent mapping", () => {
  assertProblem(
    "persona: demo\ngoal: g\nagents:\n  - agent: a\n",
    "4:5",
    "agents[0].role",
    /required field is missing/,
  );
});

test("an empty file is a clear error", () => {
  assertProblem("", "1:1", "", /expected a mapping/);
});

test("bad provider spec and bad output format", () => {
  assertProblem(
    two("\n    provider: gpt4"),
    "6:15",
    "agents[0].provider",
    /offline, openai:MODEL or anthropic:MODEL/,
  );
  assertProblem(
    two("\n    output: { format: html }"),
    "6:23",
    "agents[0].output.format",
    /markdown, json.*"html"/,
  );
});

test("a dangling depends_on names the missing agent and lists the known ones", () => {
  const p = assertProblem(
    two("", "\n    depends_on: [a, agent_writer]"),
    "8:21",
    "agents[1].depends_on[1]",
    /"agent_writer", which is not an agent in this stack/,
  );
  assert.match(p.message, /known agents: a, b/);
});

test("a dependency cycle is named a → b → a", () => {
  assertProblem(
    two("\n    depends_on: [b]", "\n    instructions: Review {{agents.a.output}}"),
    "6:17",
    "agents[0].depends_on",
    /dependency cycle: a → b → a/,
  );
});

test("a duplicate agent id points at the second one", () => {
  assertProblem(
    "persona: demo\ngoal: g\nagents:\n  - agent: a\n    role: r\n  - agent: a\n    role: r\n",
    "6:12",
    "agents[1].agent",
    /duplicate agent id "a"/,
  );
});

test("undefined template references point inside the instructions", () => {
  const stack = (body: string) => `persona: demo
goal: g
inputs:
  - name: event
agents:
  - agent: a
    role: r
    instructions: |
      First line.
      Use ${body} here.
`;
  assertProblem(
    stack("{{input.evnt}}"),
    "10:11",
    "agents[0].instructions",
    /input "evnt".*did you mean "event".*declared inputs: event/,
  );
  assertProblem(
    stack("{{agents.x.output}}"),
    "10:11",
    "agents[0].instructions",
    /"x", which is not an agent.*known agents: a/,
  );
  assertProblem(
    stack("{{inputs.event}}"),
    "10:11",
    "agents[0].instructions",
    /unknown template reference \{\{inputs\.event\}\}/,
  );
});

test("several problems are all reported, in file order", () => {
  const err = errorOf("persona: demo\ngoal: 1\nagents:\n  - agent: a\n    role: r\n    colour: red\n");
  const details = err.details as YamlProblem[];
  assert.deepEqual(
    details.map((d) => d.path),
    ["goal", "agents[0].colour"],
  );
  assert.match(err.message, /has 2 problems/);
});

test("evaluator checks must be satisfiable and criteria unique", () => {
  const withEval = (body: string) => `${two()}evaluator:\n${body}`;
  assertProblem(
    withEval(
      "  criteria: [{ id: c, description: d, weight: 1 }]\n  pass_threshold: 0.5\n  checks: { min_chars: 50, max_chars: 10 }\n",
    ),
    "11:24",
    "evaluator.checks.min_chars",
    /larger than max_chars/,
  );
  assertProblem(
    withEval("  criteria: [{ id: c, description: d, weight: 1 }]\n  pass_threshold: 1.5\n"),
    "10:19",
    "evaluator.pass_threshold",
    /at most 1/,
  );
});

/**
 * Runs `fn` expecting a STACK_INVALID error. The refusals are proven by the limit each message names
 * (aliases, bytes, depth), not by timing: a timed assertion fails on a busy machine. Their speed is
 * `npm run bench`'s business.
 */
function refused(fn: () => unknown): { err: CodexError } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CodexError, String(err));
    assert.equal(err.code, "STACK_INVALID");
    return { err };
  }
  assert.fail("expected a STACK_INVALID error");
}

test("hostile: a billion-laughs alias bomb is refused before expanding", () => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
  }
  const { err } = refused(() => validateStackText(`${lines.join("\n")}\n`, FILE));
  assert.match(err.message, new RegExp(`more than ${MAX_YAML_ALIASES} YAML aliases`));
  assert.match(err.message, /stacks\/demo\.yaml:\d+:\d+/);
});

test("hostile: a few aliases are fine", () => {
  const s = validateStackText(
    "persona: demo\ngoal: &g Launch\nagents:\n  - agent: a\n    role: *g\n  - agent: b\n    role: *g\n",
    FILE,
  );
  assert.equal(s.agents[1]?.role, "Launch");
});

test("hostile: a file over the size cap is refused before parsing", () => {
  const huge = `persona: demo\ngoal: g\n# ${"x".repeat(MAX_YAML_BYTES)}\n`;
  const { err } = refused(() => validateStackText(huge, FILE));
  assert.match(err.message, /stacks\/demo\.yaml:1:1: .*over the 256 KiB cap/);
});

test("hostile: deep flow nesting is refused without a stack overflow", () => {
  const deep = `persona: demo\ngoal: ${"[".repeat(120_000)}${"]".repeat(120_000)}\n`;
  const { err } = refused(() => validateStackText(deep, FILE));
  assert.match(err.message, new RegExp(`stacks/demo\\.yaml:2:\\d+: .*deeper than ${MAX_YAML_DEPTH} levels`));
});

test("hostile: deep compact and indented block nesting are refused", () => {
  for (const text of [
    `${"- ".repeat(100_000)}x\n`,
    Array.from({ length: 600 }, (_, i) => `${" ".repeat(i)}k:`).join("\n"),
  ]) {
    const { err } = refused(() => validateStackText(text, FILE));
    assert.match(err.message, /deeper than 64 levels/);
  }
});

test("hostile: nesting just under the cap still validates as YAML (and fails only on schema)", () => {
  const nested = `persona: demo\ngoal: g\nagents:\n  - agent: a\n    role: r\n    output: { format: json, schema: ${"{ a: ".repeat(40)}1${" }".repeat(40)} }\n`;
  assert.equal(validateStackText(nested, FILE).agents[0]?.output.format, "json");
});
