import type { AnyCommand } from "./CommandSpec.ts";
import {
  activateCommand,
  approveCommand,
  clientCommand,
  incidentApproveCommand,
  incidentListCommand,
  incidentResolveCommand,
  incidentShowCommand,
  notionSetupCommand,
  rejectCommand,
  relayRedriveCommand,
  resumeCommand,
  sealCommand,
  snapshotCommand,
  stopCommand,
} from "./specs/governance.ts";
import {
  DEFAULT_TAIL,
  ledgerCheckpointCommand,
  ledgerExportCommand,
  ledgerProofConsistencyCommand,
  ledgerProofInclusionCommand,
  ledgerTailCommand,
  ledgerVerifyCommand,
  memoryReindexCommand,
  memorySearchCommand,
  stacksListCommand,
  stacksValidateCommand,
  statusCommand,
  vaultVerifyCommand,
} from "./specs/records.ts";
import { cancelCommand, helpCommand, runCommand } from "./specs/runs.ts";

// Every command, once, for every adapter: Slack and the shell read each entry's `chat` form, the CLI its
// `cli` form, MCP its schema and permission. The entries live in specs/ by area; their implementations
// (the other modules here) load when a command runs (`await import`), so `maos --help`, `stacks list`
// and `ledger tail` never load the kernel, the vault or the SDKs. A new command: an entry in specs/,
// listed here, and the module that does the work.

/** Every command, in the order chat's help lists them. */
export const COMMANDS: AnyCommand[] = [
  helpCommand,
  runCommand,
  stacksListCommand,
  stacksValidateCommand,
  statusCommand,
  ledgerTailCommand,
  ledgerVerifyCommand,
  ledgerProofInclusionCommand,
  ledgerProofConsistencyCommand,
  ledgerCheckpointCommand,
  ledgerExportCommand,
  vaultVerifyCommand,
  cancelCommand,
  memorySearchCommand,
  memoryReindexCommand,
  approveCommand,
  rejectCommand,
  activateCommand,
  relayRedriveCommand,
  notionSetupCommand,
  sealCommand,
  incidentListCommand,
  incidentShowCommand,
  incidentApproveCommand,
  incidentResolveCommand,
  stopCommand,
  resumeCommand,
  snapshotCommand,
  clientCommand,
];

/** Chat words that name more than one command, and how help and usage errors show them together. */
export const CHAT_GROUPS: Record<
  string,
  { usage: string; summary: string; lowerSub?: boolean; forms?: { usage: string; permission: string }[] }
> = {
  ledger: {
    usage: "ledger [tail [N]|verify]",
    summary: `the last N ledger entries (default ${DEFAULT_TAIL}), or verify the whole chain`,
  },
  incident: {
    usage: "incident [list [open|resolved|all] | show INC-n | approve INC-n | resolve INC-n <note>]",
    summary: "governance incidents: their reports, approvals and resolutions",
    lowerSub: true,
    forms: [
      { usage: "incident [list [open|resolved|all] | show INC-n]", permission: "incident" },
      { usage: "incident approve INC-n", permission: "incident.approve" },
      { usage: "incident resolve INC-n <note>", permission: "incident.resolve" },
    ],
  },
};

/** The CLI's parent commands (`maos ledger`, `maos ledger proof`), with what `maos --help` says of them. */
export const CLI_GROUPS: Record<string, string> = {
  stacks: "list or validate stacks",
  ledger: "read or verify the custodian ledger",
  "ledger proof": "RFC 6962 proofs over the ledger (read-only)",
  vault: "verify sealed run folders",
  relay: "the evidence outbox",
  notion: "the Notion relay",
  incident: "governance incidents",
  memory: "Memory Pack v1: search and rebuild the memory index",
};

/** The order `maos --help` lists the commands in. */
export const CLI_ORDER = [
  "run",
  "stacks list",
  "stacks validate",
  "ledger tail",
  "ledger verify",
  "ledger proof inclusion",
  "ledger proof consistency",
  "ledger checkpoint",
  "ledger export",
  "vault verify",
  "activate",
  "status",
  "relay redrive",
  "notion setup",
  "client",
  "seal",
  "incident list",
  "incident show",
  "incident approve",
  "incident resolve",
  "stop",
  "resume",
  "cancel",
  "snapshot",
  "memory search",
  "memory reindex",
];
