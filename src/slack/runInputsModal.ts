/**
 * `/codex run <stack>` when the stack has a required input with no default: a modal (views.open with the
 * command's trigger_id) asks for it. The form shows every input that was not typed, each with its
 * description; the ones with a default are optional and start out holding it. Submitting validates in
 * place (response_action "errors") and then runs the typed command again with the form's values, through
 * the dispatcher, so the same charter check applies and the run's progress goes to the channel where
 * the command was typed. Nothing is kept in memory between the two: the view carries it.
 */
import type { webApi } from "@slack/bolt";
import type { InputAnswer, InputAsker, InputRequest } from "../../commands/runInputs.ts";
import type { Logger } from "../core/logger.ts";
import type { Reply } from "../core/Reply.ts";

export const RUN_INPUTS_CALLBACK = "maos_run_inputs";
const VALUE_ACTION = "value";
const BLOCK_PREFIX = "input:";

/** Slack's limits for modals (docs.slack.dev/reference/views/modal-views, …/block-kit/blocks/input-block). */
export const MODAL_LIMITS = {
  title: 24,
  button: 24,
  blocks: 100,
  privateMetadata: 3000,
  label: 2000,
  hint: 2000,
  placeholder: 150,
  inputChars: 3000,
  sectionText: 3000,
} as const;

/** What a submission needs to run the command again: the text as typed and where it was typed. */
export interface ModalMetadata {
  text: string;
  channel: string;
}

type PlainText = { type: "plain_text"; text: string; emoji?: boolean };
type ModalBlock = Record<string, unknown>;
export interface ModalView {
  type: "modal";
  callback_id: string;
  title: PlainText;
  submit: PlainText;
  close: PlainText;
  private_metadata: string;
  blocks: ModalBlock[];
}

const plain = (text: string, max: number): PlainText => ({ type: "plain_text", text: cut(text, max) });

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The modal for `req`, or undefined when it cannot fit Slack's limits (more inputs than blocks, or a
 * typed command too long to carry in private_metadata); the caller then names the inputs instead.
 */
export function runInputsView(req: InputRequest, meta: ModalMetadata): ModalView | undefined {
  const privateMetadata = JSON.stringify(meta);
  if (privateMetadata.length > MODAL_LIMITS.privateMetadata) return undefined;
  if (req.questions.length + 2 > MODAL_LIMITS.blocks) return undefined;
  const typed = Object.keys(req.given);
  const blocks: ModalBlock[] = [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: cut(
          `*${req.stack}*: ${req.goal}\nFill in what has no default; the rest start at their defaults. The run starts in <#${meta.channel}> when you submit.`,
          MODAL_LIMITS.sectionText,
        ),
      },
    },
  ];
  if (typed.length > 0) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: cut(`Typed with the command: ${typed.join(", ")}`, 2000) }],
    });
  }
  for (const q of req.questions) {
    const fits = q.default !== undefined && q.default.length <= MODAL_LIMITS.inputChars;
    const description = q.description ?? "No description in the stack file.";
    const hint =
      q.default === undefined
        ? `${description} (no default: a value is needed)`
        : fits
          ? `${description} (default shown; clear it to use the default)`
          : `${description} (default is ${q.default.length} characters; leave empty to use it)`;
    blocks.push({
      type: "input",
      block_id: `${BLOCK_PREFIX}${q.name}`,
      optional: !q.required,
      label: plain(q.name, MODAL_LIMITS.label),
      hint: plain(hint, MODAL_LIMITS.hint),
      element: {
        type: "plain_text_input",
        action_id: VALUE_ACTION,
        multiline: (q.default ?? "").includes("\n") || (q.default ?? "").length > 150,
        max_length: MODAL_LIMITS.inputChars,
        ...(fits ? { initial_value: q.default } : {}),
        ...(q.required ? { placeholder: plain(`${q.name} (required)`, MODAL_LIMITS.placeholder) } : {}),
      },
    });
  }
  return {
    type: "modal",
    callback_id: RUN_INPUTS_CALLBACK,
    title: plain(`Run ${req.stack}`, MODAL_LIMITS.title),
    submit: plain("Start the run", MODAL_LIMITS.button),
    close: plain("Cancel", MODAL_LIMITS.button),
    private_metadata: privateMetadata,
    blocks,
  };
}

/** A submitted view's state, as Slack sends it: `state.values[block_id][action_id].value`. */
export interface SubmittedView {
  private_metadata?: string;
  state?: { values?: Record<string, Record<string, { value?: string | null }>> };
  blocks?: { block_id?: string; optional?: boolean }[];
}

/**
 * Reads and checks a submission: every required field holds something other than spaces, and nothing is
 * over the length Slack allows (a forged payload could carry more). Errors are keyed by block_id, the
 * form Slack's `response_action: "errors"` shows under each field.
 */
export function readSubmission(
  view: SubmittedView,
):
  | { ok: true; meta: ModalMetadata; values: Record<string, string> }
  | { ok: false; errors: Record<string, string> } {
  let meta: ModalMetadata | undefined;
  try {
    const parsed = JSON.parse(view.private_metadata ?? "") as Partial<ModalMetadata>;
    if (typeof parsed.text === "string" && typeof parsed.channel === "string") {
      meta = { text: parsed.text, channel: parsed.channel };
    }
  } catch {
    meta = undefined;
  }
  const fields = (view.blocks ?? []).filter((b) => b.block_id?.startsWith(BLOCK_PREFIX));
  const errors: Record<string, string> = {};
  const values: Record<string, string> = {};
  for (const field of fields) {
    const blockId = field.block_id as string;
    const name = blockId.slice(BLOCK_PREFIX.length);
    const value = view.state?.values?.[blockId]?.[VALUE_ACTION]?.value ?? "";
    if (value.length > MODAL_LIMITS.inputChars) {
      errors[blockId] = `At most ${MODAL_LIMITS.inputChars} characters (this is ${value.length}).`;
    } else if (value.trim() === "") {
      if (field.optional !== true) errors[blockId] = `${name} has no default, so it needs a value.`;
    } else {
      values[name] = value.trim();
    }
  }
  if (!meta) {
    const first = fields[0]?.block_id;
    return {
      ok: false,
      errors: first ? { [first]: "This form is damaged; close it and type the command again." } : {},
    };
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, meta, values };
}

/**
 * The asker `/codex run` uses in Slack: opens the form on the command's trigger_id (valid for 3 seconds,
 * once) and answers "asked elsewhere" with a note for the caller. When the form cannot be shown, the
 * reply names the inputs so the command can be typed with them.
 */
export function modalAsker(o: {
  client: webApi.WebClient;
  log: Logger;
  triggerId: string | undefined;
  text: string;
  channel: string;
}): InputAsker {
  return async (req): Promise<InputAnswer> => {
    const view = o.triggerId ? runInputsView(req, { text: o.text, channel: o.channel }) : undefined;
    if (!view || !o.triggerId)
      return { kind: "deferred", reply: namedInputsReply(req, "a form cannot show them") };
    try {
      await o.client.views.open({ trigger_id: o.triggerId, view: view as unknown as webApi.View });
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error ?? (err as Error).message;
      o.log.warn({ err, stack: req.stack }, "could not open the run inputs form");
      return { kind: "deferred", reply: namedInputsReply(req, `Slack did not open the form (${code})`) };
    }
    const missing = req.questions.filter((q) => q.required).map((q) => q.name);
    const text = `A form is open for ${req.stack}'s ${missing.join(", ")}; the run starts here when you submit it.`;
    return { kind: "deferred", reply: { summary: text, ephemeral: true, parts: [{ kind: "text", text }] } };
  };
}

function namedInputsReply(req: InputRequest, why: string): Reply {
  const required = req.questions.filter((q) => q.required);
  const lines = required.map(
    (q) => `• \`${q.name}\`: ${q.description ?? "no description in the stack file"}`,
  );
  const example = `/codex run ${req.stack} ${required.map((q) => `${q.name}="…"`).join(" ")}`;
  const text = `${req.stack} needs ${required.length === 1 ? "an input" : "inputs"} with no default, and ${why}:\n${lines.join("\n")}`;
  return {
    summary: text,
    isError: true,
    ephemeral: true,
    parts: [
      { kind: "text", text },
      { kind: "context", text: `type them with the command: ${example}` },
    ],
  };
}
