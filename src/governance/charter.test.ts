import assert from "node:assert/strict";
import { test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import type { YamlProblem } from "../core/problems.ts";
import {
  DEFAULT_PERMISSIONS,
  DEFAULT_PII_PATTERNS,
  DEFAULT_ROLES,
  DEFAULT_SEAL_CONDITIONS,
  DEFAULT_SECRET_PATTERNS,
  effectivePassThreshold,
  parseCharter,
} from "./charter.ts";

const FILE = "config/charter.yml";
const parse = (text: string) => parseCharter(Buffer.from(text), FILE);

function problemsOf(text: string): { err: CodexError; details: YamlProblem[] } {
  try {
    parse(text);
  } catch (err) {
    assert.ok(err instanceof CodexError);
    assert.equal(err.code, "CHARTER_INVALID");
    assert.match(err.hint ?? "", /MAOS_CHARTER/);
    return { err, details: err.details as YamlProblem[] };
  }
  assert.fail("expected an invalid charter");
}

test("an empty charter is valid and carries every default", () => {
  for (const text of ["", "{}", "# nothing yet\n", "channels:\nroles:\n"]) {
    const c = parse(text);
    assert.deepEqual(c.identity, {
      primary: "lmaai@theleverageway.com",
      origin: "maos-codex",
      environment: "production",
    });
    assert.deepEqual(c.roles, DEFAULT_ROLES);
    assert.deepEqual(c.permissions, DEFAULT_PERMISSIONS);
    assert.deepEqual(c.approvals, { emoji: "white_check_mark", rejectEmoji: "x", selfApproval: false });
    assert.deepEqual(c.guardrails.secretPatterns, DEFAULT_SECRET_PATTERNS);
    assert.deepEqual(c.guardrails.piiPatterns, DEFAULT_PII_PATTERNS);
    assert.equal(c.guardrails.maxChars, 20_000);
    assert.deepEqual(c.evaluator, { targetScore: 0.8, passThreshold: 0.7 });
    assert.deepEqual(c.drift.bands, { greenMax: 10, yellowMax: 30 });
    const w = c.drift.weights;
    assert.equal(
      w.heartbeat + w.providerErrors + w.scoreShortfall + w.governance + w.unsealedChanges + w.evidence,
      100,
    );
    assert.deepEqual(c.channels, { signals: undefined, evidence: undefined, runs: undefined });
    assert.deepEqual(c.schedules, {
      heartbeatSeconds: 60,
      dailySnapshot: "0 18 * * *",
      timezone: "America/Chicago",
    });
    assert.deepEqual(c.sealConditions, DEFAULT_SEAL_CONDITIONS);
    assert.deepEqual(c.server, { bearerTokenEnv: "MAOS_RELAY_TOKEN" });
    assert.match(c.hash, /^[0-9a-f]{64}$/);
  }
});

test("seal conditions are cumulative by version", () => {
  const s = DEFAULT_SEAL_CONDITIONS;
  assert.equal(s.v0.length, 8);
  assert.deepEqual(s.v1.slice(8), ["slack_live", "teamwork_live"]);
  assert.deepEqual(s.v2.slice(10), ["multi_agent_runs"]);
  assert.deepEqual(s.v3.slice(11), ["kpi_layer_synced"]);
  assert.deepEqual(s.v4.slice(12), ["full_mesh"]);
});

test("roles and permissions merge over the defaults by name", () => {
  const c = parse(
    "roles:\n  operator: { members: [U0OPS] }\n  auditor: {}\npermissions:\n  ledger: [auditor]\n",
  );
  assert.deepEqual(c.roles.operator, { description: "", members: ["U0OPS"] });
  assert.deepEqual(c.roles.auditor, { description: "", members: [] });
  assert.deepEqual(c.roles.member?.members, ["*"]);
  assert.deepEqual(c.permissions.ledger, ["auditor"]);
  assert.deepEqual(c.permissions.seal, ["approver", "client_role:business_owner"]);
});

test("unknown keys and wrong types are errors with file:line:col and the field path", () => {
  const { err, details } = problemsOf(
    "identity:\n  primary: not-an-email\napprovals:\n  self_aproval: true\nschedules:\n  heartbeat_seconds: often\n",
  );
  assert.deepEqual(
    details.map((d) => [`${d.line}:${d.col}`, d.path]),
    [
      ["2:12", "identity.primary"],
      ["4:3", "approvals.self_aproval"],
      ["6:22", "schedules.heartbeat_seconds"],
    ],
  );
  assert.match(
    err.message,
    /config\/charter\.yml:4:3: approvals\.self_aproval: unknown key "self_aproval"; did you mean "self_approval"/,
  );
  assert.match(
    err.message,
    /config\/charter\.yml:6:22: schedules\.heartbeat_seconds: expected a number, got text "often"/,
  );
});

test("member ids, role names, channel ids and seal conditions are checked", () => {
  const { details } = problemsOf(
    "roles:\n  Ops Team: {}\n  operator: { members: [bob] }\nchannels: { signals: '#general' }\nseal_conditions:\n  v0: [ledger_healty]\n",
  );
  assert.deepEqual(
    details.map((d) => d.path),
    ["roles.Ops Team", "roles.operator.members[0]", "channels.signals", "seal_conditions.v0[0]"],
  );
  assert.match(details[3]?.message ?? "", /did you mean "ledger_healthy"/);
});

test("cross-field rules: known roles, weights sum to 100, ordered bands, thresholds, regex, cron", () => {
  const { details } = problemsOf(`permissions:
  seal: [aprover]
drift:
  weights: { heartbeat: 40 }
  bands: { green_max: 30, yellow_max: 30 }
evaluator: { target_score: 0.6 }
guardrails:
  pii_patterns:
    - { name: broken, pattern: "[unclosed" }
schedules: { daily_snapshot: "0 18 * *" }
`);
  const byPath = new Map(details.map((d) => [d.path, d]));
  assert.match(
    byPath.get("permissions.seal[0]")?.message ?? "",
    /role "aprover" is not defined \(did you mean "approver"\?\)/,
  );
  assert.match(byPath.get("drift.weights")?.message ?? "", /sum to 100.*they sum to 115/);
  assert.match(byPath.get("drift.bands.green_max")?.message ?? "", /must be below yellow_max/);
  assert.match(byPath.get("evaluator.pass_threshold")?.message ?? "", /must not exceed target_score/);
  assert.match(
    byPath.get("guardrails.pii_patterns[0].pattern")?.message ?? "",
    /not a valid regular expression/,
  );
  assert.match(byPath.get("schedules.daily_snapshot")?.message ?? "", /not a valid cron expression/);
  assert.equal(byPath.get("permissions.seal[0]")?.line, 2);
});

test("YAML errors and hostile input get the same clean treatment as stacks", () => {
  assert.match(problemsOf("roles: [\n").err.message, /config\/charter\.yml:2:1: .*YAML syntax error/);
  assert.match(problemsOf(`x: ${"[".repeat(5000)}`).err.message, /deeper than 64 levels/);
});

test("the stricter pass threshold wins", () => {
  const c = parse("");
  assert.equal(effectivePassThreshold(c, 0.5), 0.7);
  assert.equal(effectivePassThreshold(c, 0.9), 0.9);
});

test("an oversized charter is refused by size", () => {
  assert.match(
    problemsOf(`# ${"x".repeat(300 * 1024)}\n`).err.message,
    /config\/charter\.yml:1:1: .*300\.0 KiB, over the 256 KiB cap/,
  );
});
