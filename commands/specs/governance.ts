import { CodexError } from "../../src/core/CodexError.ts";
import { type AnyCommand, defineCommand, type Outcome } from "../CommandSpec.ts";
import { done, joined, textReply, words } from "./specKit.ts";

// Governance: approvals, activation, seals, incidents, STOP–RESET–REALIGN, snapshots, relays, clients.

/** Approval ids are opaque tokens; this keeps a typo'd sentence from being taken as one. */
const APPROVAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const INCIDENT_FILTER = "/codex incident list takes open, resolved or all";

function decide(decision: "approve" | "reject"): AnyCommand {
  const wrong = `/codex ${decision} takes exactly one approval id`;
  return defineCommand({
    name: decision,
    usage: `${decision} <approvalId>`,
    summary: `${decision} a pending approval by its id (typed approvals, for the shell)`,
    // Deciding an approval is the charter's approval right; the service may check more (self-approval).
    permission: "incident.approve",
    input: (z) => z.object({ id: z.string() }),
    deps: [],
    chat: {
      words: [decision],
      args: [
        {
          key: "id",
          parse: (w) => {
            if (!APPROVAL_ID.test(w)) throw new CodexError("USAGE", wrong);
            return w;
          },
        },
      ],
      wrongCount: wrong,
    },
    async execute({ id }, ctx) {
      if (!ctx.approvals) {
        const { errorReply } = await import("../replies.ts");
        return done(
          null,
          errorReply(
            `no approvals service is running in this process, so approval ${id} cannot be decided here.`,
          ),
          false,
        );
      }
      return done(null, await ctx.approvals.decide(id, decision, ctx.actor));
    },
  });
}

function incidentCommand(
  sub: "show" | "approve",
  permission: string,
  description: string,
  fn: "incidentShow" | "incidentApprove",
): AnyCommand {
  return defineCommand({
    name: `incident ${sub}`,
    usage: `incident ${sub} INC-n`,
    summary: description,
    permission,
    input: (z) => z.object({ id: z.string() }),
    deps: ["autonomy"],
    chat: {
      words: ["incident", sub],
      args: [{ key: "id" }],
      wrongCount: `/codex incident ${sub} takes one incident id`,
    },
    cli: { path: ["incident", sub], description, args: [{ key: "id", name: "<id>", description: "INC-n" }] },
    async execute({ id }, ctx): Promise<Outcome<unknown>> {
      const m = await import("../incident.ts");
      const caller = { app: ctx.deps, actor: ctx.actor };
      // Chat takes inc-1 as INC-1 and names the form on a bad id; the CLI passes the id as typed.
      const which = ctx.surface === "chat" ? m.incidentId(id, sub) : id;
      return fn === "incidentShow" ? m.incidentShow(caller, which) : m.incidentApprove(caller, which);
    },
  });
}

export const approveCommand = decide("approve");

export const rejectCommand = decide("reject");

export const activateCommand = defineCommand({
  name: "activate",
  usage: "activate",
  summary:
    "run the boot order (core pack, secrets, relay, heartbeat, agents, autonomy loop) and the 13-item checklist",
  permission: "activate",
  input: (z) => z.object({}),
  deps: [
    "env",
    "clock",
    "stacksDir",
    "charter",
    "state",
    "ledger",
    "ledgerKey",
    "vault",
    "hub",
    "autonomy",
    "extraRoles",
  ],
  chat: { words: ["activate"] },
  cli: {
    path: ["activate"],
    description: "run the boot order and the 13-item MVP activation checklist; exit 0 only when ACTIVE",
  },
  async execute(_input, ctx) {
    const { activateOutcome } = await import("../activate.ts");
    return activateOutcome({ app: ctx.deps, actor: ctx.actor });
  },
});

export const relayRedriveCommand = defineCommand({
  name: "relay redrive",
  usage: "relay redrive [ID…]",
  summary: "send dead letters again (all, or the given outbox ids) and run one delivery pass",
  permission: "relay.redrive",
  input: (z) => z.object({ ids: words(z) }),
  deps: ["relays", "ledger"],
  cli: {
    path: ["relay", "redrive"],
    description: "send dead letters again (all, or the given outbox ids) and run one delivery pass",
    args: [{ key: "ids", name: "[ids...]", description: "outbox ids, as maos status lists them" }],
  },
  async execute({ ids }, ctx) {
    const { redriveOutcome } = await import("../relay.ts");
    return redriveOutcome(ctx.deps, ctx.actor, ids);
  },
});

export const notionSetupCommand = defineCommand({
  name: "notion setup",
  usage: "notion setup --parent PAGE",
  summary: 'create the "MAOS Activation Ledger" database under a page shared with the integration',
  permission: "activate",
  input: (z) => z.object({ parent: z.string() }),
  deps: ["clock", "notion", "ledger"],
  cli: {
    path: ["notion", "setup"],
    description: 'create the "MAOS Activation Ledger" database under a page shared with the integration',
    options: [
      { key: "parent", flags: "--parent <page>", description: "the parent page id or URL", required: true },
    ],
  },
  async execute({ parent }, ctx) {
    const { setupNotion } = await import("../../src/relays/notion/setupNotion.ts");
    const r = await setupNotion(ctx.deps, parent, ctx.actor);
    return done(
      r,
      textReply(
        `Created the MAOS Activation Ledger (database ${r.databaseId}, data source ${r.dataSourceId}). Put this in the environment:\n${r.env.join("\n")}`,
      ),
    );
  },
});

export const sealCommand = defineCommand({
  name: "seal",
  usage: "seal <v0|v1|v2|v3|v4>",
  summary: "take an MVP seal once its charter conditions hold (refusals list every failing one)",
  permission: "seal",
  input: (z) => z.object({ version: z.string() }),
  deps: ["autonomy", "charter", "extraRoles"],
  chat: {
    words: ["seal"],
    args: [{ key: "version" }],
    wrongCount: "/codex seal takes one version, v0 to v4",
  },
  cli: {
    path: ["seal"],
    description: "take an MVP seal (v0…v4) once its conditions hold; exit 1 listing every failing one",
    args: [{ key: "version", name: "<version>", description: "v0, v1, v2, v3 or v4" }],
  },
  async execute({ version }, ctx) {
    const { sealOutcome } = await import("../seal.ts");
    return sealOutcome({ app: ctx.deps, actor: ctx.actor }, version);
  },
});

export const incidentListCommand = defineCommand({
  name: "incident list",
  usage: "incident [list [open|resolved|all]]",
  summary: "incidents, newest first",
  permission: "incident",
  input: (z) =>
    z.object({
      filter: z
        .enum(["open", "resolved", "all"], {
          error: (iss) => `incident list takes open, resolved or all, not "${String(iss.input)}"`,
        })
        .default("open"),
    }),
  deps: ["autonomy"],
  chat: {
    words: ["incident", "list"],
    isDefault: true,
    args: [
      {
        key: "filter",
        optional: true,
        parse: (w) => {
          const filter = w.toLowerCase();
          if (!["open", "resolved", "all"].includes(filter)) throw new CodexError("USAGE", INCIDENT_FILTER);
          return filter;
        },
      },
    ],
    wrongCount: INCIDENT_FILTER,
  },
  cli: {
    path: ["incident", "list"],
    description: "incidents, newest first",
    args: [{ key: "filter", name: "[filter]", description: "open, resolved or all", default: "open" }],
  },
  async execute({ filter }, ctx) {
    const { incidentList } = await import("../incident.ts");
    return incidentList({ app: ctx.deps, actor: ctx.actor }, filter);
  },
});

export const incidentShowCommand = incidentCommand(
  "show",
  "incident",
  "an incident's report, approval and resolution",
  "incidentShow",
);

export const incidentApproveCommand = incidentCommand(
  "approve",
  "incident.approve",
  "approve an incident (the same as the reaction or the Approve button)",
  "incidentApprove",
);

export const incidentResolveCommand = defineCommand({
  name: "incident resolve",
  usage: "incident resolve INC-n <note>",
  summary: "record what was found and done; the incident must be approved first",
  permission: "incident.resolve",
  input: (z) => z.object({ id: z.string(), note: joined(z) }),
  deps: ["autonomy", "charter", "extraRoles"],
  chat: {
    words: ["incident", "resolve"],
    args: [{ key: "id" }, { key: "note", variadic: true, optional: true }],
    wrongCount: "/codex incident resolve takes an incident id such as INC-1",
  },
  cli: {
    path: ["incident", "resolve"],
    description: "record what was found and done; the incident must be approved first",
    args: [
      { key: "id", name: "<id>", description: "INC-n" },
      { key: "note", name: "<note...>", description: "the resolution note" },
    ],
  },
  async execute({ id, note }, ctx) {
    const { incidentId, incidentResolve } = await import("../incident.ts");
    const which = ctx.surface === "chat" ? incidentId(id, "resolve") : id;
    return incidentResolve({ app: ctx.deps, actor: ctx.actor }, which, note);
  },
});

export const stopCommand = defineCommand({
  name: "stop",
  usage: "stop [reason …]",
  summary: "STOP–RESET–REALIGN by hand: halt the autonomy loop, freeze configs, open an incident",
  permission: "stop",
  input: (z) => z.object({ reason: joined(z) }),
  deps: ["autonomy", "charter", "extraRoles"],
  chat: { words: ["stop"], args: [{ key: "reason", variadic: true, optional: true }] },
  cli: {
    path: ["stop"],
    description: "STOP–RESET–REALIGN by hand: halt the autonomy loop, freeze configs, open an incident",
    args: [{ key: "reason", name: "[reason...]", description: "why" }],
  },
  async execute({ reason }, ctx) {
    const { stopOutcome } = await import("../srr.ts");
    return stopOutcome({ app: ctx.deps, actor: ctx.actor }, reason);
  },
});

export const resumeCommand = defineCommand({
  name: "resume",
  usage: "resume",
  summary: "resume the autonomy loop once every incident of the halt is approved and resolved",
  permission: "resume",
  input: (z) => z.object({}),
  deps: ["autonomy", "charter", "extraRoles"],
  chat: { words: ["resume"] },
  cli: {
    path: ["resume"],
    description: "resume the autonomy loop; exit 1 listing why while the conditions do not hold",
  },
  async execute(_input, ctx) {
    const { resumeOutcome } = await import("../srr.ts");
    return resumeOutcome({ app: ctx.deps, actor: ctx.actor });
  },
});

export const snapshotCommand = defineCommand({
  name: "snapshot",
  usage: "snapshot",
  summary: "take the daily autonomy snapshot now (vault, ledger, evidence)",
  permission: "snapshot",
  input: (z) => z.object({}),
  deps: ["autonomy"],
  chat: { words: ["snapshot"] },
  cli: {
    path: ["snapshot"],
    description: "take the daily autonomy snapshot now (vault, ledger, evidence)",
  },
  async execute(_input, ctx) {
    const { snapshotOutcome } = await import("../snapshot.ts");
    return snapshotOutcome({ app: ctx.deps, actor: ctx.actor });
  },
});

export const clientCommand = defineCommand({
  name: "client",
  usage: "client <name> | client list | client sync",
  summary: "a client's card from the MASTER CLIENT OPERATIONAL MATRIX (Notion)",
  // The card is read-only, for status's audience; a sync writes state on demand: client.sync.
  permission: (input: { name?: string[]; sync?: boolean }) =>
    input.sync || input.name?.[0] === "sync" || input.name?.[0] === "--sync" ? "client.sync" : "status",
  input: (z) => z.object({ name: words(z), sync: z.boolean().default(false) }),
  deps: ["clients"],
  chat: { words: ["client"], args: [{ key: "name", variadic: true, optional: true }] },
  cli: {
    path: ["client"],
    description: "a client's card from the MASTER CLIENT OPERATIONAL MATRIX; list; or --sync",
    args: [{ key: "name", name: "[name...]", description: "the client's name (none: list them)" }],
    options: [{ key: "sync", flags: "--sync", description: "pull the matrix from Notion now" }],
  },
  async execute({ name, sync }, ctx) {
    const { clientReply } = await import("../client.ts");
    const args = sync ? ["sync"] : name.length > 0 ? name : ["list"];
    const reply = await clientReply(ctx.deps, args);
    const matrix = ctx.deps.clients();
    const off = matrix.off();
    const data = {
      clients: await matrix.list(),
      sync: (await matrix.status()) ?? null,
      // With --json too, a refusal says why (the layer is off, or the sync failed).
      ...(reply.isError
        ? { error: { code: off ? "CLIENT_MATRIX_OFF" : "SYNC_FAILED", message: reply.summary } }
        : {}),
    };
    return done(data, reply, !reply.isError);
  },
});
