import { createHash } from "node:crypto";
import { CronPattern } from "croner";
import { z } from "zod";
import { CodexError } from "../core/CodexError.ts";
import { closestMatch } from "../core/closestMatch.ts";
import { problemsError, type YamlProblem } from "../core/problems.ts";
import { readCapped } from "../core/readCapped.ts";
import { CHICAGO } from "../core/timestamps.ts";
import { YamlSource } from "../core/YamlSource.ts";
import { zodProblems } from "../core/zodProblems.ts";
import {
  DEFAULT_BLOCKED_TERMS,
  DEFAULT_PERMISSIONS,
  DEFAULT_PII_PATTERNS,
  DEFAULT_ROLES,
  DEFAULT_SEAL_CONDITIONS,
  DEFAULT_SECRET_PATTERNS,
  type Role,
  SEAL_CONDITIONS,
  type SealCondition,
  type SealVersion,
  SRR_TRIGGERS,
  type SrrTrigger,
} from "./charterDefaults.ts";
import { RUNS_KEYS, type RunsSettings, runsProblems, runsShape, toRunsSettings } from "./charterRuns.ts";
import { compilePattern, type GuardrailRules, type NamedPattern } from "./guardrails.ts";

/**
 * The governance charter (`charter.yml`, env MAOS_CHARTER). YAML keys are snake_case; the parsed
 * Charter is camelCase. Every field has a default, so `{}` is a valid charter, but a wrong type or
 * an unknown key is an error. `roles` and `permissions` are merged over the defaults by name: a
 * charter overrides the entries it lists and keeps the rest (set a command to [] to forbid it).
 */

/** Slack user (U…, W… on Enterprise Grid) or user-group (S…) ids, or "*" for every workspace member. */
/** Slack user (U…/W…) or user-group (S…) ids, a local OS user for the shell and CLI (`local:alice`), or "*". */
const MEMBER = /^(?:\*|[UWS][A-Z0-9]{2,}|local:[a-z_][a-z0-9_.-]*|mcp:[A-Za-z0-9_.-]+)$/;
/** A person's identity on one surface: a Slack user id (U…, W…) or a local OS account (local:alice). */
const IDENTITY = /^(?:[UW][A-Z0-9]{2,}|local:[a-z_][a-z0-9_.-]*)$/;
const PERSON_NAME = /^[a-z][a-z0-9_.-]*$/;
/** `operator`, or a namespaced role such as `client_role:business_owner`. */
const ROLE_NAME = /^[a-z][a-z0-9_]*(?::[a-z][a-z0-9_]*)?$/;
/** `seal`, or a subcommand such as `incident.approve`. */
const COMMAND = /^[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*$/;
const CHANNEL = /^[CG][A-Z0-9]{2,}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const EMOJI = /^[a-z0-9_+-]+$/;

const memberSchema = z.string().regex(MEMBER, {
  error:
    'expected a Slack user id (U… or W…), user-group id (S…), a local user (local:alice), an MCP client (mcp:NAME) or "*"',
});
const identitySchema = z.string().regex(IDENTITY, {
  error: "expected a Slack user id (U… or W…) or a local account (local:alice)",
});
const roleNameSchema = z
  .string()
  .regex(ROLE_NAME, { error: "expected a role name: lowercase snake_case, optionally prefix:name" });

const identityShape = {
  primary: z.email({ error: "expected an email address" }).default("lmaai@theleverageway.com"),
  origin: z.string().min(1).default("maos-codex"),
  environment: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/, { error: "expected a lowercase environment name such as production" })
    .default("production"),
};
const roleShape = {
  description: z.string().default(""),
  members: z.array(memberSchema).default([]),
};
const approvalsShape = {
  emoji: z
    .string()
    .regex(EMOJI, { error: "expected a Slack emoji name without colons" })
    .default("white_check_mark"),
  reject_emoji: z.string().regex(EMOJI, { error: "expected a Slack emoji name without colons" }).default("x"),
  self_approval: z.boolean().default(false),
};
const patternShape = {
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, { error: "expected a snake_case pattern name" }),
  pattern: z.string().min(1),
  flags: z
    .string()
    .regex(/^[imsu]*$/, { error: "expected RegExp flags from i, m, s, u" })
    .optional(),
  validate: z.literal("luhn").optional(),
};
const guardrailsShape = {
  blocked_terms: z.array(z.string().min(1)).default(() => structuredClone(DEFAULT_BLOCKED_TERMS)),
  secret_patterns: z
    .array(z.strictObject(patternShape))
    .default(() => structuredClone(DEFAULT_SECRET_PATTERNS)),
  pii_patterns: z.array(z.strictObject(patternShape)).default(() => structuredClone(DEFAULT_PII_PATTERNS)),
  max_output_chars: z.int().positive().default(20_000),
  // A run input matching a secret pattern: refuse the run (nothing is written), or redact the match.
  secret_inputs: z.enum(["refuse", "redact"]).default("refuse"),
  // A blocked output fails that run; more blocks than this by one actor within drift.window_minutes
  // is a governance violation (and halts, per srr.halt_on).
  max_blocks_per_actor: z.int().min(1).default(3),
};
const unit = z.number().min(0).max(1);
const evaluatorShape = { target_score: unit.default(0.8), pass_threshold: unit.default(0.7) };
const weight = z.number().min(0).max(100);
/** Default drift weights, summing to 100: a silent heartbeat and failing providers matter most. */
const weightsShape = {
  heartbeat: weight.default(25),
  provider_errors: weight.default(20),
  score_shortfall: weight.default(20),
  governance: weight.default(20),
  unsealed_changes: weight.default(10),
  evidence: weight.default(5),
};
const bandsShape = {
  green_max: z.int().min(0).max(100).default(10),
  yellow_max: z.int().min(0).max(100).default(30),
};
const driftShape = {
  weights: section(weightsShape),
  bands: section(bandsShape),
  // Provider errors, run scores and violations are counted over this many minutes.
  window_minutes: z
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  // Missed and late heartbeats are counted over this many heartbeats.
  window_cycles: z.int().min(1).max(1000).default(10),
};
const srrShape = {
  halt_on: z.array(z.enum(SRR_TRIGGERS)).default(() => [...SRR_TRIGGERS]),
  block_runs: z.boolean().default(true),
};
const channel = z.string().regex(CHANNEL, { error: "expected a Slack channel id (C… or G…), not a #name" });
const channelsShape = { signals: channel.optional(), evidence: channel.optional(), runs: channel.optional() };
const schedulesShape = {
  // Below 5 s a heartbeat floods the ledger without telling anyone more.
  heartbeat_seconds: z.int().min(5).default(60),
  daily_snapshot: z.string().min(1).default("0 18 * * *"),
};
const conditionList = z.array(z.enum(SEAL_CONDITIONS));
const sealShape = {
  v0: conditionList.default(() => [...DEFAULT_SEAL_CONDITIONS.v0]),
  v1: conditionList.default(() => [...DEFAULT_SEAL_CONDITIONS.v1]),
  v2: conditionList.default(() => [...DEFAULT_SEAL_CONDITIONS.v2]),
  v3: conditionList.default(() => [...DEFAULT_SEAL_CONDITIONS.v3]),
  v4: conditionList.default(() => [...DEFAULT_SEAL_CONDITIONS.v4]),
};
/** The evidence outbox's retries: a budget of time per item and the longest wait between two tries. */
const outboxShape = {
  retry_budget_hours: z
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
  max_backoff_seconds: z.int().min(1).max(3600).default(300),
};
const serverShape = {
  bearer_token_env: z
    .string()
    .regex(ENV_NAME, { error: "expected an environment variable name such as MAOS_RELAY_TOKEN" })
    .default("MAOS_RELAY_TOKEN"),
};
/** A section may be absent or left empty (every line commented out): both mean all defaults. */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.preprocess((v) => v ?? {}, z.strictObject(shape));
}

const charterShape = {
  identity: section(identityShape),
  roles: z.preprocess((v) => v ?? {}, z.record(roleNameSchema, z.strictObject(roleShape))),
  people: z.preprocess(
    (v) => v ?? {},
    z.record(
      z.string().regex(PERSON_NAME, { error: "expected a person's name: lowercase, such as alice" }),
      z.array(identitySchema).min(1),
    ),
  ),
  permissions: z.preprocess(
    (v) => v ?? {},
    z.record(
      z.string().regex(COMMAND, { error: "expected a command name such as seal or incident.approve" }),
      z.array(roleNameSchema),
    ),
  ),
  approvals: section(approvalsShape),
  guardrails: section(guardrailsShape),
  evaluator: section(evaluatorShape),
  drift: section(driftShape),
  channels: section(channelsShape),
  schedules: section(schedulesShape),
  seal_conditions: section(sealShape),
  server: section(serverShape),
  outbox: section(outboxShape),
  srr: section(srrShape),
  runs: section(runsShape),
};

const charterYamlSchema = z.strictObject(charterShape);

const CHARTER_KEYS: Record<string, readonly string[]> = {
  "": Object.keys(charterShape),
  identity: Object.keys(identityShape),
  "roles.*": Object.keys(roleShape),
  approvals: Object.keys(approvalsShape),
  guardrails: Object.keys(guardrailsShape),
  "guardrails.secret_patterns": Object.keys(patternShape),
  "guardrails.pii_patterns": Object.keys(patternShape),
  evaluator: Object.keys(evaluatorShape),
  drift: Object.keys(driftShape),
  "drift.weights": Object.keys(weightsShape),
  "drift.bands": Object.keys(bandsShape),
  channels: Object.keys(channelsShape),
  schedules: Object.keys(schedulesShape),
  seal_conditions: Object.keys(sealShape),
  server: Object.keys(serverShape),
  outbox: Object.keys(outboxShape),
  srr: Object.keys(srrShape),
  ...RUNS_KEYS,
};

export interface DriftWeights {
  heartbeat: number;
  providerErrors: number;
  scoreShortfall: number;
  governance: number;
  unsealedChanges: number;
  evidence: number;
}

export interface Charter {
  file: string;
  /** Hex SHA-256 of the charter file's bytes, recorded in the ledger so a changed charter shows. */
  hash: string;
  /** `origin` names the ledger's checkpoint origin. */
  identity: { primary: string; origin: string; environment: string };
  roles: Record<string, Role>;
  /**
   * People by name, each with their identities on every surface (a Slack user id, a local account).
   * A person holds the roles of every identity linked to them, and self-approval is judged by person.
   */
  people: Record<string, string[]>;
  /** Command name → roles allowed to run it. */
  permissions: Record<string, string[]>;
  approvals: { emoji: string; rejectEmoji: string; selfApproval: boolean };
  guardrails: GuardrailRules & {
    maxChars: number;
    secretInputs: "refuse" | "redact";
    maxBlocksPerActor: number;
  };
  evaluator: { targetScore: number; passThreshold: number };
  drift: {
    weights: DriftWeights;
    bands: { greenMax: number; yellowMax: number };
    windowMinutes: number;
    windowCycles: number;
  };
  channels: { signals: string | undefined; evidence: string | undefined; runs: string | undefined };
  /** `dailySnapshot` is a cron expression read in `timezone` (always America/Chicago). */
  schedules: { heartbeatSeconds: number; dailySnapshot: string; timezone: string };
  sealConditions: Record<SealVersion, SealCondition[]>;
  server: { bearerTokenEnv: string };
  /** Evidence retries: give up on an item `retryBudgetMs` after its first failure; waits capped at `maxBackoffMs`. */
  outbox: { retryBudgetMs: number; maxBackoffMs: number };
  /** STOP–RESET–REALIGN: which triggers halt the loop, and whether stack runs wait while halted. */
  srr: { haltOn: SrrTrigger[]; blockRuns: boolean };
  /** Per-stack concurrency across replicas and scheduled runs (the run queue, DATABASE_URL). */
  runs: RunsSettings;
}

function toCharter(c: z.output<typeof charterYamlSchema>, file: string, hash: string): Charter {
  const pattern = (p: z.output<z.ZodObject<typeof patternShape>>): NamedPattern => ({
    name: p.name,
    pattern: p.pattern,
    ...(p.flags === undefined ? {} : { flags: p.flags }),
    ...(p.validate === undefined ? {} : { validate: p.validate }),
  });
  return {
    file,
    hash,
    identity: c.identity,
    roles: { ...structuredClone(DEFAULT_ROLES), ...c.roles },
    people: c.people,
    permissions: { ...structuredClone(DEFAULT_PERMISSIONS), ...c.permissions },
    approvals: {
      emoji: c.approvals.emoji,
      rejectEmoji: c.approvals.reject_emoji,
      selfApproval: c.approvals.self_approval,
    },
    guardrails: {
      blockedTerms: c.guardrails.blocked_terms,
      secretPatterns: c.guardrails.secret_patterns.map(pattern),
      piiPatterns: c.guardrails.pii_patterns.map(pattern),
      maxChars: c.guardrails.max_output_chars,
      secretInputs: c.guardrails.secret_inputs,
      maxBlocksPerActor: c.guardrails.max_blocks_per_actor,
    },
    evaluator: { targetScore: c.evaluator.target_score, passThreshold: c.evaluator.pass_threshold },
    drift: {
      weights: {
        heartbeat: c.drift.weights.heartbeat,
        providerErrors: c.drift.weights.provider_errors,
        scoreShortfall: c.drift.weights.score_shortfall,
        governance: c.drift.weights.governance,
        unsealedChanges: c.drift.weights.unsealed_changes,
        evidence: c.drift.weights.evidence,
      },
      bands: { greenMax: c.drift.bands.green_max, yellowMax: c.drift.bands.yellow_max },
      windowMinutes: c.drift.window_minutes,
      windowCycles: c.drift.window_cycles,
    },
    channels: { signals: c.channels.signals, evidence: c.channels.evidence, runs: c.channels.runs },
    schedules: {
      heartbeatSeconds: c.schedules.heartbeat_seconds,
      dailySnapshot: c.schedules.daily_snapshot,
      timezone: CHICAGO,
    },
    sealConditions: c.seal_conditions,
    server: { bearerTokenEnv: c.server.bearer_token_env },
    outbox: {
      retryBudgetMs: Math.round(c.outbox.retry_budget_hours * 3_600_000),
      maxBackoffMs: c.outbox.max_backoff_seconds * 1000,
    },
    srr: { haltOn: c.srr.halt_on, blockRuns: c.srr.block_runs },
    runs: toRunsSettings(c.runs),
  };
}

/** What zod cannot check: known roles, weights summing to 100, ordered bands, regexes and cron. */
function crossChecks(source: YamlSource, charter: Charter): YamlProblem[] {
  const problems: YamlProblem[] = [];
  const roles = Object.keys(charter.roles);
  for (const [command, allowed] of Object.entries(charter.permissions)) {
    allowed.forEach((role, i) => {
      if (roles.includes(role)) return;
      const guess = closestMatch(role, roles);
      problems.push(
        source.problem(
          ["permissions", command, i],
          `role "${role}" is not defined${guess ? ` (did you mean "${guess}"?)` : ""}; roles: ${roles.join(", ")} (add it under roles:)`,
        ),
      );
    });
  }
  const owner = new Map<string, string>();
  for (const [person, ids] of Object.entries(charter.people)) {
    ids.forEach((id, i) => {
      const other = owner.get(id);
      if (other && other !== person)
        problems.push(
          source.problem(
            ["people", person, i],
            `${id} is already linked to ${other}: an identity is one person`,
          ),
        );
      owner.set(id, person);
    });
  }
  const w = charter.drift.weights;
  const sum =
    w.heartbeat + w.providerErrors + w.scoreShortfall + w.governance + w.unsealedChanges + w.evidence;
  // Weights are percentages of the 0..100 drift score; allow float rounding only.
  if (Math.abs(sum - 100) > 1e-9) {
    problems.push(
      source.problem(
        ["drift", "weights"],
        `weights must sum to 100 (drift is a 0..100 score); they sum to ${sum}`,
      ),
    );
  }
  const { greenMax, yellowMax } = charter.drift.bands;
  if (greenMax >= yellowMax) {
    problems.push(
      source.problem(
        ["drift", "bands", "green_max"],
        `green_max (${greenMax}) must be below yellow_max (${yellowMax})`,
      ),
    );
  }
  if (charter.evaluator.passThreshold > charter.evaluator.targetScore) {
    problems.push(
      source.problem(
        ["evaluator", "pass_threshold"],
        `pass_threshold (${charter.evaluator.passThreshold}) must not exceed target_score (${charter.evaluator.targetScore})`,
      ),
    );
  }
  for (const list of ["secret_patterns", "pii_patterns"] as const) {
    const patterns =
      list === "secret_patterns" ? charter.guardrails.secretPatterns : charter.guardrails.piiPatterns;
    patterns.forEach((p, i) => {
      try {
        compilePattern(p);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        problems.push(
          source.problem(["guardrails", list, i, "pattern"], `not a valid regular expression: ${why}`),
        );
      }
    });
  }
  try {
    new CronPattern(charter.schedules.dailySnapshot, CHICAGO);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^CronPattern: /, "") : String(err);
    problems.push(
      source.problem(
        ["schedules", "daily_snapshot"],
        `not a valid cron expression (minute hour day month weekday): ${why}`,
      ),
    );
  }
  problems.push(...runsProblems(source, charter.runs));
  return problems;
}

function knownKeys(path: ReadonlyArray<PropertyKey>): readonly string[] {
  const parts = path.filter((p) => typeof p !== "number").map(String);
  if (parts[0] === "roles" && parts.length === 2) return CHARTER_KEYS["roles.*"] ?? [];
  return CHARTER_KEYS[parts.join(".")] ?? [];
}

function hint(file: string): string {
  return `fix the fields listed in ${file} (the charter file; set MAOS_CHARTER to use another), or delete a field to get its default`;
}

/** Validates charter YAML given as bytes; throws CodexError("CHARTER_INVALID") listing every problem. */
export function parseCharter(bytes: Uint8Array, file: string): Charter {
  const h = hint(file);
  const tooBig = YamlSource.sizeProblem(bytes.byteLength, file);
  if (tooBig) throw problemsError("CHARTER_INVALID", [tooBig], h);
  const source = YamlSource.parse(Buffer.from(bytes).toString("utf8"), file, "CHARTER_INVALID", h);
  // An empty file is the all-defaults charter.
  const parsed = charterYamlSchema.safeParse(source.data ?? {});
  if (!parsed.success)
    throw problemsError("CHARTER_INVALID", zodProblems(parsed.error.issues, source, knownKeys), h);
  const charter = toCharter(parsed.data, file, createHash("sha256").update(bytes).digest("hex"));
  const problems = crossChecks(source, charter);
  if (problems.length > 0) throw problemsError("CHARTER_INVALID", problems, h);
  return charter;
}

/** Loads the charter file (the caller resolves MAOS_CHARTER, default ./charter.yml). */
export function loadCharter(file: string): Charter {
  let bytes: Uint8Array;
  try {
    bytes = readCapped(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CodexError(
      "CHARTER_INVALID",
      code === "ENOENT"
        ? `charter file ${file} does not exist`
        : `charter file ${file} could not be read (${code})`,
      { hint: "set MAOS_CHARTER to the charter file (default ./charter.yml)", cause: err },
    );
  }
  return parseCharter(bytes, file);
}

/**
 * The pass threshold a run is held to: the stricter (higher) of the charter's and the stack's.
 * A stack may demand more than the charter, never less.
 */
export function effectivePassThreshold(charter: Pick<Charter, "evaluator">, stackThreshold: number): number {
  return Math.max(charter.evaluator.passThreshold, stackThreshold);
}

// The defaults keep their old import path for the many readers of charter.ts.
export * from "./charterDefaults.ts";
export { mayRun, parseRoleEnv, type RoleMembers, rolesFor, rolesOf } from "./roles.ts";
