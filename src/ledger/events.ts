// Over 500 lines on purpose: the one catalogue of every ledger event type, read as a single list.
import type { ErrorCode } from "../core/CodexError.ts";
import type { LedgerAppend, LedgerEntry } from "./ledgerEntry.ts";

/*
 * The ledger event catalogue: every event type written anywhere under src/ and commands/, its payload
 * as stored (canonical JSON, so an absent field is simply missing) and, in its doc comment, what it
 * records and which module writes it. events.test.ts holds the writers to this list.
 *
 * The ledger sits below the features, so the shapes they own (a telemetry reading, an attempt record)
 * are restated here structurally rather than imported: a typed append then makes each writer's own type
 * prove it still fits.
 */

// ── Shapes shared by several payloads ────────────────────────────────────────────────────────────────

/** An MVP seal version (governance/charterDefaults SEAL_VERSIONS). */
export type SealVersion = "v0" | "v1" | "v2" | "v3" | "v4";
/** A seal condition (governance/charterDefaults SEAL_CONDITIONS). */
export type SealCondition =
  | "relay_online"
  | "memory_online"
  | "telemetry_live"
  | "agents_active"
  | "autonomy_running"
  | "drift_green_3_cycles"
  | "governance_enforced"
  | "ledger_healthy"
  | "slack_live"
  | "teamwork_live"
  | "multi_agent_runs"
  | "kpi_layer_synced"
  | "full_mesh";
/** What halts the loop (governance/charterDefaults SRR_TRIGGERS); `/codex stop` is "manual". */
export type SrrTrigger =
  | "drift_red"
  | "governance_violation"
  | "telemetry_fault"
  | "identity_mismatch"
  | "custody_break";
export type SrrState = "RUNNING" | "HALTED";
export type DriftBand = "green" | "yellow" | "red";
export type SinkName = "slack" | "notion" | "teamwork";
export type EvidenceKind = "activation" | "seal" | "incident" | "snapshot" | "drift";
/** Where the autonomy loop is hosted (autonomy/loopLease HostMode). */
export type HostMode = "headless" | "slack" | "shell" | "cli";
export type ApprovalStatus = "open" | "approved" | "rejected" | "consumed";
/** How an approval decision arrived. */
export type ApprovalVia = "reaction" | "button" | "typed";
/** Config file label → SHA-256 (autonomy/configHashes). */
export type ConfigHashes = Record<string, string>;
export interface ConfigChange {
  file: string;
  change: "changed" | "added" | "removed";
}
export interface Tokens {
  input: number;
  output: number;
}
/** A ledger entry pointed at by seq and correlation id (autonomy/IncidentService LedgerLink). */
export interface LedgerLink {
  seq: number;
  eventType: string;
  correlationId: string;
}

/** One signal's part in the drift score (autonomy/drift computes it; DRIFT_COMPONENTS lists the names). */
export interface DriftComponent {
  name:
    | "heartbeat"
    | "provider_errors"
    | "score_shortfall"
    | "governance"
    | "unsealed_changes"
    | "evidence"
    | "custody";
  weight: number;
  /** 0..1: how bad this signal is. */
  fraction: number;
  /** weight × fraction: its points in the 0..100 score. */
  points: number;
  /** Its share of the score, 0..1 (0 when the score is 0). */
  share: number;
  detail: string;
}

export interface DriftResult {
  score: number;
  band: DriftBand;
  components: DriftComponent[];
  custodyFailure: boolean;
}

/**
 * Why a provider attempt failed (agents/AttemptRecord). The hub decides from it: timeout,
 * request_timeout (408), conflict (409), rate_limited (429), server_error (5xx), network and
 * invalid_output are retried on the same provider; auth (401/403) and unknown fail over at once;
 * bad_request (400) and unprocessable (422) stop the call.
 */
export type ErrorClass =
  | "timeout"
  | "rate_limited"
  | "server_error"
  | "request_timeout"
  | "conflict"
  | "network"
  | "bad_request"
  | "unprocessable"
  | "auth"
  | "invalid_output"
  | "unknown";

/** One call to one provider, ok or not (agents/AttemptRecord; the executor writes each to the ledger). */
export interface AttemptRecord {
  agent: string;
  /** The provider's spec, e.g. "openai:gpt-4o-mini". */
  provider: string;
  kind: "offline" | "openai" | "anthropic";
  model: string;
  slot: "prime" | "backup";
  /** 1-based within that provider. */
  attempt: number;
  outcome: "ok" | "error";
  errorClass?: ErrorClass;
  status?: number;
  message?: string;
  ms: number;
  tokens: Tokens;
  /** What the provider asked for through Retry-After / retry-after-ms, in ms. */
  retryAfterMs?: number;
  /** The wait before the next attempt on the same provider, when there is one. */
  nextDelayMs?: number;
}

/** One heartbeat's measured signals (autonomy/Telemetry TelemetryReading). */
export interface TelemetryReading {
  at: string;
  heartbeatAgeSeconds: number | null;
  tick: { scheduledAt: string; firedAt: string; lateMs: number; missedSlots: number; late: boolean };
  load: {
    index: number;
    eventLoopLagMs: number;
    cpu: number;
    memory: number;
    rssBytes: number;
    runQueue: number;
  };
  drift: DriftResult;
  agents: {
    status: "ok" | "degraded" | "failing" | "idle";
    attempts: number;
    failed: number;
    byProvider: Record<string, { attempts: number; failed: number }>;
  };
  governance: {
    compliant: boolean;
    violations: number;
    refusals: number;
    srr: string;
    openIncidents: number;
  };
  sealAlignment: { sealVersion: string | null; aligned: boolean; changes: ConfigChange[] };
  ledger: {
    ok: boolean;
    size: number;
    checkpoints: number;
    firstBad?: { seq: number; reason: string };
    writeError?: string;
  };
  vault: { ok: boolean; runs: number; problem?: string };
  relay: { online: boolean; uptimeSeconds: number | null; detail: string };
  /** The Slack connection as last recorded (state/slackConnection); null when Slack never ran here. */
  slack: {
    mode: "socket" | "http";
    state: "connecting" | "connected" | "disconnected" | "listening" | "stopped";
    since: string;
    apiUrl: string;
    failures: number;
    lastError?: string;
    pid: number;
  } | null;
  faults: string[];
}

/**
 * What a causing entry records about one evidence item (relays/evidenceRecord): the outbox key and the
 * sinks it was queued for or, with no sink, why it was only noted.
 */
export interface EvidenceRecord {
  kind: EvidenceKind;
  title: string;
  channel: "signals" | "evidence";
  threadKey?: string;
  /** The idempotency key of its outbox rows; absent when nothing was queued. */
  key?: string;
  /** The sinks it was queued for; empty when it was only noted in the ledger. */
  sinks: string[];
  /** Sinks that are off, and why. */
  off?: string[];
  /** Why it was not queued anywhere. */
  reason?: string;
}

/** A payload written through an EvidencePublisher: its items are recorded under `evidence` (none: absent). */
export type WithEvidence<P> = P & { evidence?: readonly EvidenceRecord[] };

/** The fields every APPROVAL_* entry carries (approvals/ApprovalService #record). */
export interface ApprovalFields {
  approvalId: string;
  kind: string;
  subjectId: string;
  status: ApprovalStatus;
  requestedBy: string;
  /** The Slack message carrying the buttons, once one was posted. */
  channel?: string;
  ts?: string;
}

/** One delivery attempt of an outbox row (relays/OutboxDispatcher), the base of EVIDENCE_POSTED/FAILED. */
export interface EvidenceAttempt {
  kind: EvidenceKind;
  title: string;
  /** The causing entry. */
  ledgerSeq: number;
  /** Only rows queued beside an EVIDENCE_QUEUED entry (older builds) have a seq of their own. */
  queuedSeq?: number;
  outboxId: number;
  sink: SinkName;
  key: string;
  attempts: number;
}

/** A run's ledger thread as RUN_ABORTED and a late RUN_SEALED quote it (executor/reconcileRuns). */
export interface RunThreadEvidence {
  startedSeq: number;
  startedAtUtc: string;
  lastEvent: { seq: number; eventType: string } | null;
  entries: { seq: number; eventType: string }[];
}

/** The step fields of an agent step that produced output (executor/runStep). */
export interface AgentStepOutput {
  runId: string;
  agent: string;
  provider: string;
  model: string;
  attempts: number;
  tokens: Tokens;
  ms: number;
  chars: number;
  file: string;
}

/** The activation record committed to the vault (autonomy/Activation ActivationRecord). */
export interface ActivationRecord {
  run_id: string;
  correlation_id: string;
  environment: string;
  seal_version: string | null;
  evidence_links: { ledger: number[]; vault?: string; slack?: string };
  governance_status: string;
  /** Empty when no heartbeat could be written. */
  telemetry_summary:
    | {
        drift: number;
        band: DriftBand;
        load: number;
        agents: TelemetryReading["agents"]["status"];
        ledger: "verifies" | "broken";
        sealAligned: boolean;
        relay: "online" | "offline";
        faults: string[];
      }
    | Record<string, never>;
  autonomy_loop: { running: boolean; where: string; verified_at: string };
  actor: string;
  roles: string[];
  started_at: string;
  steps: { n: number; name: string; ok: boolean; detail: string }[];
  checklist: { item: string; ok: boolean; detail: string }[];
}

/** The daily snapshot's summary (autonomy/DailySnapshot SnapshotSummary). */
export interface SnapshotSummary {
  /** The America/Chicago day summarised, YYYY-MM-DD. */
  date: string;
  from: string;
  to: string;
  seal: { version: string; sealedAt: string; aligned: boolean | null } | null;
  drift: {
    min: number;
    mean: number;
    max: number;
    secondsInBand: { green: number; yellow: number; red: number };
  } | null;
  heartbeats: { expected: number; received: number; missedSlots: number; late: number };
  /** Governance entries of the day by event type; types with none are absent. */
  governance: Partial<Record<EventType, number>>;
  runs: { completed: number; failed: number; meanScore: number | null; passed: number };
  ledger: { ok: boolean; size: number; firstBad?: { seq: number; reason: string } };
  vault: { ok: boolean; runs: number };
  components: { srr: SrrState; loop: string; relay: string; slack: string; notion: string; teamwork: string };
  note: string;
}

/** The Governance Incident Report (autonomy/IncidentService IncidentReport). */
export interface IncidentReport {
  trigger: string;
  reasons: string[];
  drift?: { score: number; band: DriftBand; components: DriftComponent[] };
  evidence: LedgerLink[];
  frozen?: ConfigHashes;
  openedBy: string;
}

/** A governed act a surface refused, as recordRefusal writes it (commands/permissions RefusalPayload). */
export interface RefusalPayload {
  /** The permission refused. */
  command: string;
  needed?: string[];
  /** The actor's source (slack, shell, cli) or "mcp". */
  via?: string;
  /** commands/dispatch: how many arguments the refused command had. */
  argCount?: number;
  /** commands/cancel: the run someone else started. */
  runId?: string;
  /** commands/governed: the caller's roles differ from the bot that hosts the loop. */
  reason?: "roles_differ_from_host";
  hostPid?: number;
  hostDigest?: string;
  digest?: string;
  differences?: string[];
  /** mcp/governedCall: the client and the tool, resource or prompt refused. */
  client?: string;
  tool?: string;
  resource?: string;
  prompt?: string;
}

// ── The catalogue ────────────────────────────────────────────────────────────────────────────────────

export interface LedgerEvents {
  // Ledger custody
  /** seq 0: the ledger's key and origin (ledger/Ledger #writeGenesis). */
  GENESIS: { schemaVersion: number; origin: string; publicKey: string; createdBy: string };
  /** A checkpoint made on a seal-state change (autonomy/SealService, after SEAL_CREATED). */
  LEDGER_CHECKPOINT: { size: number; root: string; reason: `MVP_${SealVersion} seal`; sealSeq: number };
  /** The vault's commit-signing key, on every change; null: commits unsigned from here (audit/checkpointKeeper, as VAULT_KEY_EVENT). */
  VAULT_SIGNING_KEY: {
    publicKey: string | null;
    /** The key recorded before, absent for the first record. */
    previous?: string | null;
    allowedSigners: string | null;
  };

  // Runs (executor)
  /** A run began: its stack, inputs, agents and providers (executor/runStack). */
  RUN_STARTED: {
    runId: string;
    stack: string;
    pid: number;
    host: string;
    stackFile: string;
    stackHash: string;
    charterHash: string;
    /** Input name → value, secrets scrubbed. */
    inputs: Record<string, string>;
    /** Inputs the charter's secret patterns redacted (guardrails.secret_inputs: redact). */
    inputsRedacted?: { input: string; patterns: string[] }[];
    /** Agent ids in execution order. */
    agents: string[];
    providers: { prime: string; backup: string | null };
  };
  /** A run refused before it started: an input looks like a credential (executor/runStack). */
  INPUT_REFUSED: { stack: string; inputs: { input: string; patterns: string[] }[] };
  /** One provider call of an agent, ok or not, threaded into its run (app/createApp recordAttempt). */
  AGENT_ATTEMPT: AttemptRecord & { runId: string | null };
  /** An agent's output passed the guardrails (executor/runStep). */
  AGENT_STEP_COMPLETED: AgentStepOutput;
  /** An agent's output was blocked (the step fields) or the agent threw (code and error) (executor/runStep). */
  AGENT_STEP_FAILED:
    | AgentStepOutput
    | { runId: string; agent: string; code: ErrorCode; error: string; ms: number };
  /** The charter's guardrails blocked an agent's output; the run fails (executor/runStep). */
  GUARDRAIL_BLOCKED: {
    runId: string;
    agent: string;
    rule: "guardrails";
    requester: string;
    violations: { kind: "blocked_term" | "secret" | "pii" | "length"; name: string; excerpt: string }[];
  };
  /** The evaluator's verdict (executor/runStack). */
  EVALUATION_COMPLETED: {
    runId: string;
    score: number;
    pass: boolean;
    threshold: number;
    criteria: { id: string; weight: number; score: number }[];
    checksFailed: string[];
    judge: { provider: string; model: string; attempts: number; tokens: Tokens };
  };
  /** The evaluator failed; the run fails (executor/runStack). */
  EVALUATION_FAILED: { runId: string; code: ErrorCode; error: string };
  /** A run's lessons, the source of later runs' lessons (executor/wisdom recordWisdom). */
  WISDOM_RECORDED: { runId: string; stack: string; score: number; lessons: string[] };
  /** A run finished and passed or not; sealing follows (executor/runStack). */
  RUN_COMPLETED: RunEnd<"completed">;
  /** A run failed (an agent, the guardrails or the evaluator); sealing follows (executor/runStack). */
  RUN_FAILED: RunEnd<"failed">;
  /** A run cancelled between agents, written as the canceller; sealing follows (executor/runStack). */
  RUN_CANCELLED: RunEnd<"cancelled"> & { cancelledBy: string; via: string; skipped: string[] };
  /** A run's folder committed to the vault; late when a restart recorded it (executor/sealRunFolder, executor/reconcileRuns). */
  RUN_SEALED:
    | {
        runId: string;
        late?: never;
        vaultPath: string;
        commit: string;
        sealRoot: string;
        files: number;
        pushed: boolean | "no-remote";
        /** The checkpoint sealed into SEAL.json (signed just before). */
        checkpointSize: number;
      }
    | (RunThreadEvidence & {
        runId: string;
        late: true;
        reason: string;
        vaultPath: string;
        commit: string;
        sealRoot: string | null;
        files: number | null;
        pushed: false;
        checkpointSize: number | null;
      });
  /** A run settled without a seal: its seal failed (executor/sealRunFolder) or its process died (executor/reconcileRuns). */
  RUN_ABORTED:
    | { runId: string; reason: string; code: ErrorCode }
    | (RunThreadEvidence & {
        runId: string;
        stack: string;
        reason: string;
        incompleteFolder?: { path: string; removedFiles: { path: string; sha256: string; bytes: number }[] };
      });

  // The autonomy loop
  /** The loop started in this process, before its first beat (autonomy/AutonomyKernel startLoop). */
  AUTONOMY_LOOP_STARTED: {
    mode: HostMode;
    pid: number;
    host: string;
    heartbeatSeconds: number;
    dailySnapshot: string;
    timezone: string;
    firstHeartbeatAt: string;
    srr: SrrState;
  };
  /**
   * This replica became the leader: the one of several sharing a PostgreSQL database that runs the
   * autonomy loop, the daily snapshot and the client sync, holding a session advisory lock
   * (autonomy/leaderElection). `waitedMs`: how long it stood by before the lock came free.
   */
  LEADER_ELECTED: { replica: string; host: string; pid: number; waitedMs: number };
  /** One heartbeat: every telemetry signal and the drift score (autonomy/heartbeatCycle). */
  HEARTBEAT: TelemetryReading & { source: "schedule" | "relay" | "activation" | "governance"; srr: SrrState };
  /** A heartbeat fired late or after missed slots (autonomy/heartbeatCycle). */
  HEARTBEAT_LATE: TelemetryReading["tick"] & { heartbeatSeq: number };
  /** A scheduled beat found the previous one still running (autonomy/heartbeatCycle). */
  HEARTBEAT_SKIPPED: { scheduledAt: string; firedAt: string; reason: string };
  /** The drift band changed; from null on the first beat (autonomy/driftAlerts, with evidence after the first). */
  DRIFT_BAND_CHANGED: WithEvidence<{
    from: DriftBand | null;
    to: DriftBand;
    score: number;
    heartbeatSeq: number;
    /** The components with points, largest first (at most three). */
    top: DriftComponent[];
  }>;
  /** A daily snapshot committed to the vault (autonomy/DailySnapshot). */
  SNAPSHOT_TAKEN: WithEvidence<{
    source: "schedule" | "command";
    file: string;
    commit: string;
    summary: SnapshotSummary;
  }>;
  /** The role grants in force with their sources, when they changed (autonomy/recordRoleGrants). */
  ROLE_GRANTS: {
    digest: string;
    grants: { role: string; member: string; source: string }[];
    people: Record<string, string[]>;
    selfApproval: boolean;
    pid: number;
  };

  // Governance
  /** A governance violation: a config changed while frozen (autonomy/srrActions), repeated guardrail blocks (autonomy/guardrailBlocks) or a refused egress (app/recordEgressRefusal). */
  GOVERNANCE_VIOLATION:
    | { rule: "config_changed_while_frozen"; changes: ConfigChange[]; frozenSince: string | null }
    | {
        rule: "repeated_guardrail_blocks";
        actor: string;
        blocks: number;
        threshold: number;
        windowMinutes: number;
        /** GUARDRAIL_BLOCKED seqs, oldest first. */
        evidence: number[];
      }
    | {
        rule: "egress_refused";
        host: string;
        target: string;
        method: string;
        allowed: string[];
        runId?: string;
      };
  /** A command, cancel or MCP call refused for want of a role (commands/permissions recordRefusal). */
  GOVERNANCE_REFUSAL: RefusalPayload;
  /** A governed act recorded by an actor the charter does not grant it to (autonomy/triggerScan). */
  IDENTITY_MISMATCH: {
    seq: number;
    eventType: EventType;
    actor: string;
    permission: string;
    needed: string[];
  };
  /** STOP–RESET–REALIGN halted the loop; late when it waited for a writable ledger (autonomy/srrActions). */
  SRR_HALTED: {
    triggers: { trigger: SrrTrigger | "manual"; reason: string }[];
    frozen: ConfigHashes;
    drift?: number;
    band?: DriftBand;
    late?: true;
    haltedAt?: string | null;
    writeError?: string;
    actions: string[];
  };
  /** `/codex stop` by hand (autonomy/srrActions). */
  SRR_STOPPED: { reason: string; roles: string[] };
  /** `/codex resume` refused, with every reason (autonomy/srrActions). */
  SRR_RESUME_REFUSED: { reasons: string[]; roles: string[] };
  /** The loop runs again; evidence in each incident's thread (autonomy/srrActions). */
  SRR_RESUMED: WithEvidence<{ roles: string[]; haltedSince: string | null; incidents: string[] }>;
  /** An incident opened with its report (autonomy/IncidentService open). */
  INCIDENT_OPENED: WithEvidence<{
    incidentId: string;
    trigger: string;
    summary: string;
    report: IncidentReport;
  }>;
  /** An incident's resolution note (autonomy/IncidentService resolve). */
  INCIDENT_RESOLVED: WithEvidence<{
    incidentId: string;
    resolution: string;
    roles: string[];
    approvalId: string | null;
  }>;
  /** An incident could not be resolved yet, with every reason (autonomy/IncidentService resolve). */
  INCIDENT_RESOLVE_REFUSED: { incidentId: string; reasons: string[] };

  // Approvals (approvals/ApprovalService #record)
  /** An approval was requested. */
  APPROVAL_REQUESTED: ApprovalFields & { prompt: string; approverRoles: string[] };
  /** An approver approved. */
  APPROVAL_ACCEPTED: ApprovalFields & ApprovalDecision;
  /** An approver rejected. */
  APPROVAL_REJECTED: ApprovalFields & ApprovalDecision;
  /** A decision or revocation refused (already decided, self-approval, no role). */
  APPROVAL_REFUSED: ApprovalFields & { reason: string; via: ApprovalVia; decision?: "approve" | "reject" };
  /** An approval reopened by removing the reaction. */
  APPROVAL_REVOKED: ApprovalFields & { via: "reaction" };
  /** An approval used up (an incident resolved with it). */
  APPROVAL_CONSUMED: ApprovalFields;
  /** A reaction on an approval message that changed nothing. */
  APPROVAL_REACTION_IGNORED: ApprovalFields & {
    via: "reaction";
    reaction: string;
    added: boolean;
    reason: string;
  };

  // Seals and activation
  /** An MVP seal taken: the seal document's commit, config hashes and checkpoint (autonomy/SealService). */
  SEAL_CREATED: WithEvidence<{
    version: SealVersion;
    file: string;
    commit: string;
    roles: string[];
    hashes: ConfigHashes;
    checkpoint: { size: number; root: string };
    conditions: { name: SealCondition; ok: boolean; detail: string }[];
  }>;
  /** A seal refused: its failing conditions (autonomy/SealService). */
  SEAL_REFUSED: {
    version: SealVersion;
    roles: string[];
    failing: { condition: SealCondition; detail: string }[];
  };
  /** `/codex activate` began (autonomy/Activation). */
  ACTIVATION_STARTED: WithEvidence<{ runId: string; roles: string[]; mode: HostMode }>;
  /** The providers' probes during activation (autonomy/Activation). */
  AGENT_ACTIVATION: {
    providers: { provider: string; ok: boolean; error?: string }[];
    governanceHooks: string;
  };
  /** Activation's checklist and record (autonomy/Activation). */
  ACTIVATION_COMPLETED: WithEvidence<{
    status: "ACTIVE" | "NOT ACTIVE";
    roles: string[];
    record: ActivationRecord;
    recordCommit: string | null;
  }>;

  // Evidence relays
  /** An evidence item delivered to one sink, with the sink's own ids (relays/OutboxDispatcher). */
  EVIDENCE_POSTED: EvidenceAttempt & {
    delivered: [SinkName];
    remoteId: string;
    /** Slack (relays/slack/SlackSink). */
    channel?: string;
    ts?: string;
    threadTs?: string;
    /** Notion (relays/notion/NotionSink). */
    url?: string;
    /** Teamwork (relays/teamwork/TeamworkSink). */
    taskId?: number;
    sealVersion?: string;
  };
  /** An evidence item dead-lettered for one sink (relays/OutboxDispatcher). */
  EVIDENCE_FAILED: EvidenceAttempt & { delivered: []; deadLetter: true; reason: string; fix: string };
  /** Dead letters queued again by hand (commands/relay redriveOutcome). */
  EVIDENCE_REDRIVEN: { outboxIds: number[]; sinks: SinkName[] };
  /** The Notion activation-ledger database created (relays/notion/setupNotion). */
  NOTION_SETUP: { title: string; databaseId: string; dataSourceId: string; parentPageId: string };

  // Adapters
  /** A replayed Slack request ignored, once per key (slack/ReplayGuard). */
  SLACK_REPLAY_IGNORED: {
    by: "signature" | "trigger";
    /** The first 32 hex digits of the key's SHA-256; the key itself is never written. */
    keyHash: string;
    what?: string;
    channel?: string;
    windowSeconds: number;
  };
  /** The relay server started listening and answers MCP at /mcp (server/createRelayServer recordMcpStart). */
  MCP_START: ServerStart;
  /** The relay server started listening without MCP (server/createRelayServer recordMcpStart). */
  RELAY_START: ServerStart;
  /** One MCP tool call, resource read or prompt, with its outcome (mcp/governedCall). */
  MCP_REQUEST: {
    /** Exactly one of tool, resource and prompt: what was called. */
    tool?: string;
    resource?: string;
    prompt?: string;
    permission: string;
    client: string;
    transport: "http" | "stdio";
    outcome: "ok" | "error" | "refused" | "cancelled";
    ms: number;
    /** The error's code, for outcome "error". */
    code?: ErrorCode;
  };
}

/** The fields of RUN_COMPLETED, RUN_FAILED and RUN_CANCELLED. */
export interface RunEnd<S extends "completed" | "failed" | "cancelled"> {
  runId: string;
  status: S;
  score: number;
  pass: boolean;
  error?: { code: ErrorCode; message: string };
}

/** The decision fields of APPROVAL_ACCEPTED and APPROVAL_REJECTED. */
export interface ApprovalDecision {
  via: ApprovalVia;
  /** The approver's roles that allowed it. */
  roles: string[];
  /** The approver as a person (charter people:), or their identity. */
  person: string;
  selfApproval?: true;
  selfApprovalRule?: "approvals.self_approval: true";
}

/** The payload of MCP_START and RELAY_START. */
export interface ServerStart {
  address: string | null;
  port: number | null;
  pid: number;
  /** `METHOD /path` of every route. */
  routes: string[];
}

export type EventType = keyof LedgerEvents;

/** Every event type at run time, in catalogue order; events.test.ts proves it lists exactly the keys. */
export const EVENT_TYPES = [
  "GENESIS",
  "LEDGER_CHECKPOINT",
  "VAULT_SIGNING_KEY",
  "RUN_STARTED",
  "INPUT_REFUSED",
  "AGENT_ATTEMPT",
  "AGENT_STEP_COMPLETED",
  "AGENT_STEP_FAILED",
  "GUARDRAIL_BLOCKED",
  "EVALUATION_COMPLETED",
  "EVALUATION_FAILED",
  "WISDOM_RECORDED",
  "RUN_COMPLETED",
  "RUN_FAILED",
  "RUN_CANCELLED",
  "RUN_SEALED",
  "RUN_ABORTED",
  "AUTONOMY_LOOP_STARTED",
  "LEADER_ELECTED",
  "HEARTBEAT",
  "HEARTBEAT_LATE",
  "HEARTBEAT_SKIPPED",
  "DRIFT_BAND_CHANGED",
  "SNAPSHOT_TAKEN",
  "ROLE_GRANTS",
  "GOVERNANCE_VIOLATION",
  "GOVERNANCE_REFUSAL",
  "IDENTITY_MISMATCH",
  "SRR_HALTED",
  "SRR_STOPPED",
  "SRR_RESUME_REFUSED",
  "SRR_RESUMED",
  "INCIDENT_OPENED",
  "INCIDENT_RESOLVED",
  "INCIDENT_RESOLVE_REFUSED",
  "APPROVAL_REQUESTED",
  "APPROVAL_ACCEPTED",
  "APPROVAL_REJECTED",
  "APPROVAL_REFUSED",
  "APPROVAL_REVOKED",
  "APPROVAL_CONSUMED",
  "APPROVAL_REACTION_IGNORED",
  "SEAL_CREATED",
  "SEAL_REFUSED",
  "ACTIVATION_STARTED",
  "AGENT_ACTIVATION",
  "ACTIVATION_COMPLETED",
  "EVIDENCE_POSTED",
  "EVIDENCE_FAILED",
  "EVIDENCE_REDRIVEN",
  "NOTION_SETUP",
  "SLACK_REPLAY_IGNORED",
  "MCP_START",
  "RELAY_START",
  "MCP_REQUEST",
] as const satisfies readonly EventType[];

/** An append of one event type, its payload as the catalogue says. */
export type TypedAppend<T extends EventType> = Omit<LedgerAppend, "eventType" | "payload"> & {
  eventType: T;
  payload: LedgerEvents[T];
};

/** An append of any catalogued event type, discriminated by eventType. */
export type AnyAppend = { [T in EventType]: TypedAppend<T> }[EventType];

/**
 * What `Ledger.append` accepts: a catalogued event type's append is checked against its payload; any
 * other string (the ledger's own tests and benches write made-up types) is a plain LedgerAppend.
 * events.test.ts holds every event type the code writes to the catalogue, so a typo cannot slip by.
 */
export type CheckedAppend<T extends string> = T extends EventType
  ? TypedAppend<T>
  : LedgerAppend & { eventType: T };

export function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}

/**
 * An entry's payload as the catalogue types it, every field optional because stored entries are read
 * back from JSON that older builds may have written differently: check each field before use. `{}` when
 * there is no entry, the entry is of another type, or its payload is not a JSON object. For an entry of
 * one of several types, pass its own `eventType` narrowed to them.
 */
export function payloadOf<T extends EventType>(
  entry: LedgerEntry | undefined,
  type: T,
): Partial<LedgerEvents[T]> {
  const p = entry?.payload;
  if (entry?.eventType !== type || typeof p !== "object" || p === null || Array.isArray(p)) return {};
  return p as Partial<LedgerEvents[T]>;
}
