import type { NamedPattern } from "./guardrails.ts";

/**
 * What a charter starts from: the seal versions and their conditions, the shipped roles and command
 * permissions, and the shipped secret, PII and blocked-term guardrails. charter.yml overrides these by
 * name (see charter.ts); charter.yml in the repository lists the same values so operators can see them.
 */
export const SEAL_VERSIONS = ["v0", "v1", "v2", "v3", "v4"] as const;
export type SealVersion = (typeof SEAL_VERSIONS)[number];

const V0_CONDITIONS = [
  "relay_online",
  "memory_online",
  "telemetry_live",
  "agents_active",
  "autonomy_running",
  "drift_green_3_cycles",
  "governance_enforced",
  "ledger_healthy",
] as const;

/** Every condition a seal may require, cumulative by version as the seed's MVP ladder describes. */
export const SEAL_CONDITIONS = [
  ...V0_CONDITIONS,
  "slack_live",
  "teamwork_live",
  "multi_agent_runs",
  "kpi_layer_synced",
  "full_mesh",
] as const;
export type SealCondition = (typeof SEAL_CONDITIONS)[number];

/** What halts the autonomy loop (STOP–RESET–REALIGN), as the seed lists them; `/codex stop` always does. */
export const SRR_TRIGGERS = [
  "drift_red",
  "governance_violation",
  "telemetry_fault",
  "identity_mismatch",
  "custody_break",
] as const;
export type SrrTrigger = (typeof SRR_TRIGGERS)[number];

const V1: SealCondition[] = [...V0_CONDITIONS, "slack_live", "teamwork_live"];
const V2: SealCondition[] = [...V1, "multi_agent_runs"];
const V3: SealCondition[] = [...V2, "kpi_layer_synced"];
export const DEFAULT_SEAL_CONDITIONS: Record<SealVersion, SealCondition[]> = {
  v0: [...V0_CONDITIONS],
  v1: V1,
  v2: V2,
  v3: V3,
  v4: [...V3, "full_mesh"],
};

export interface Role {
  description: string;
  members: string[];
}

/** Everyone is a `member`; the other roles start empty and are filled in by the operator. */
export const DEFAULT_ROLES: Record<string, Role> = {
  member: { description: "Every workspace member: read-only commands and runs", members: ["*"] },
  operator: { description: "Runs the system: activation, stop/resume, snapshots, incidents", members: [] },
  approver: { description: "Approves seals and incident resolutions", members: [] },
  "client_role:business_owner": {
    description: "The client's accountable owner; may approve seals",
    members: [],
  },
  viewer: { description: "Read-only observer", members: [] },
};

export const DEFAULT_PERMISSIONS: Record<string, string[]> = {
  help: ["member"],
  stacks: ["member"],
  status: ["member"],
  run: ["member"],
  ledger: ["member"],
  activate: ["operator"],
  stop: ["operator"],
  resume: ["operator"],
  snapshot: ["operator"],
  "relay.redrive": ["operator"],
  "client.sync": ["operator"],
  seal: ["approver", "client_role:business_owner"],
  incident: ["operator", "approver"],
  "incident.approve": ["approver", "client_role:business_owner"],
  "incident.resolve": ["approver", "client_role:business_owner"],
  // Cancelling someone else's running run; the person who started a run may always cancel it.
  cancel: ["operator"],
};

/** The shipped secret and PII patterns; charter.yml lists the same ones so operators can see and edit them. */
export const DEFAULT_SECRET_PATTERNS: NamedPattern[] = [
  { name: "slack_token", pattern: "\\bxox[abposr]-[A-Za-z0-9-]{10,}" },
  { name: "slack_app_token", pattern: "\\bxapp-\\d-[A-Za-z0-9-]{10,}" },
  { name: "anthropic_api_key", pattern: "\\bsk-ant-[A-Za-z0-9_-]{20,}" },
  { name: "openai_api_key", pattern: "\\bsk-(?!ant-)[A-Za-z0-9_-]{20,}" },
  { name: "aws_access_key_id", pattern: "\\b(?:AKIA|ASIA)[A-Z0-9]{16}\\b" },
  { name: "github_token", pattern: "\\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})" },
  {
    name: "private_key",
    pattern:
      "-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:[\\s\\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|[\\s\\S]*)",
  },
  { name: "notion_token", pattern: "\\b(?:secret_[A-Za-z0-9]{32,}|ntn_[A-Za-z0-9]{32,})" },
];

export const DEFAULT_PII_PATTERNS: NamedPattern[] = [
  { name: "us_ssn", pattern: "\\b(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4}\\b" },
  { name: "payment_card", pattern: "\\b\\d(?:[ -]?\\d){12,18}\\b", validate: "luhn" },
];

/** Placeholder text and claims marketing compliance forbids; whole words, case-insensitive. */
export const DEFAULT_BLOCKED_TERMS: string[] = [
  "lorem ipsum",
  "risk-free",
  "guaranteed ROI",
  "100% guaranteed",
];
