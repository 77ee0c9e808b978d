import { CodexError, isCodexError } from "../../src/core/CodexError.ts";
import { defineCommand } from "../CommandSpec.ts";
import { collectInput } from "../words.ts";
import { done } from "./specKit.ts";

// Running stacks, and help. Implementations load when a command runs (see ../registry.ts).

const RUN_STACK_MISSING = "name the stack to run, for example `/codex run marketing_ops event=Expo`";
const CANCEL_USAGE = "name the run to cancel, for example `/codex cancel 3f2a9c1e`";

export const helpCommand = defineCommand({
  name: "help",
  usage: "help",
  summary: "the commands you may run",
  permission: "help",
  input: (z) => z.object({}),
  deps: ["charter", "extraRoles"],
  // Help ignores whatever follows it.
  chat: { words: ["help"], args: [{ key: "_", variadic: true, optional: true }] },
  async execute(_input, ctx) {
    const { helpReply } = await import("../dispatch.ts");
    return done(null, helpReply(ctx.deps, ctx.actor));
  },
});

export const runCommand = defineCommand({
  name: "run",
  usage: "run <stack> [key=value …]",
  summary: "run a stack: agents, evaluation, seal, vault commit and ledger",
  permission: "run",
  input: (z) =>
    z.object({
      stack: z.string(),
      inputs: z.record(z.string(), z.string()).default({}),
      provider: z.string().optional(),
    }),
  deps: [
    "stacksDir",
    "providerFor",
    "runExecutor",
    "recoverAbortedRuns",
    "autonomy",
    "charter",
    "clock",
    "ledger",
  ],
  chat: {
    words: ["run"],
    args: [
      {
        key: "stack",
        parse: (w) => {
          if (w.includes("=")) throw new CodexError("USAGE", RUN_STACK_MISSING);
          return w;
        },
      },
    ],
    pairs: "inputs",
    wrongCount: RUN_STACK_MISSING,
  },
  cli: {
    path: ["run"],
    description: "run a stack, seal it into the vault and write it to the ledger",
    args: [{ key: "stack", name: "<stack>", description: "stack name, e.g. marketing_ops" }],
    options: [
      {
        key: "inputs",
        attribute: "input",
        flags: "-i, --input <key=value>",
        description: "a stack input (repeatable)",
        parse: (v, prev) => collectInput(v, prev as Record<string, string>),
        default: {},
      },
      {
        key: "provider",
        flags: "--provider <spec>",
        description: "prime provider for this run: offline, openai:MODEL or anthropic:MODEL",
      },
    ],
  },
  async execute(input, ctx) {
    const { runOutcome, unknownStackReply } = await import("../run.ts");
    try {
      return await runOutcome(input, { ...ctx, app: ctx.deps });
    } catch (err) {
      // On chat a mistyped stack is answered with the stacks there are; the CLI exits 2 naming it.
      if (ctx.surface === "chat" && isCodexError(err) && err.code === "STACK_NOT_FOUND")
        return done(null, unknownStackReply(err.message, ctx.deps), false);
      throw err;
    }
  },
});

export const cancelCommand = defineCommand({
  name: "cancel",
  usage: "cancel RUN",
  summary: "stop a running run before its next agent; what it produced is sealed as a cancelled run",
  // Anyone who may run a stack may ask; cancelOutcome decides whose run it is.
  permission: "run",
  input: (z) => z.object({ run: z.string() }),
  deps: ["ledger", "state", "charter", "extraRoles"],
  chat: {
    words: ["cancel"],
    args: [
      {
        key: "run",
        parse: (w) => {
          if (!w) throw new CodexError("USAGE", CANCEL_USAGE);
          return w;
        },
      },
    ],
    wrongCount: CANCEL_USAGE,
  },
  cli: {
    path: ["cancel"],
    description:
      "cancel a running run (from any process): it stops before its next agent and is sealed as cancelled",
    args: [{ key: "run", name: "<run>", description: "the run id, or its first 8 characters" }],
  },
  async execute({ run }, ctx) {
    const { cancelOutcome } = await import("../cancel.ts");
    return cancelOutcome({ app: ctx.deps, actor: ctx.actor }, run);
  },
});
