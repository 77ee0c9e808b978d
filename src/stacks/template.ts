import { CodexError } from "../core/CodexError.ts";

/**
 * One `{{…}}` in an agent's instructions. Supported forms: `{{input.NAME}}`, `{{input}}` (every
 * input, one `name: value` per line), `{{agents.ID.output}}`, `{{goal}}` and `{{persona}}`.
 * Anything else is kind "unknown" and fails validation.
 */
export type TemplateRef =
  | { kind: "input"; name: string; raw: string }
  | { kind: "inputs"; raw: string }
  | { kind: "agent_output"; agent: string; raw: string }
  | { kind: "goal"; raw: string }
  | { kind: "persona"; raw: string }
  | { kind: "unknown"; expression: string; raw: string };

/** What a template is rendered against. `inputs` keeps the stack's input order for `{{input}}`. */
export interface TemplateContext {
  goal: string;
  persona: string;
  inputs: Record<string, string>;
  /** Outputs of the agents that already ran, by agent id. */
  outputs: Record<string, string>;
}

const REF = /\{\{\s*([^{}]*?)\s*\}\}/g;
const INPUT = /^input\.([A-Za-z][A-Za-z0-9_-]*)$/;
const AGENT = /^agents\.([A-Za-z0-9][A-Za-z0-9_-]*)\.output$/;

function classify(expression: string, raw: string): TemplateRef {
  if (expression === "input") return { kind: "inputs", raw };
  if (expression === "goal") return { kind: "goal", raw };
  if (expression === "persona") return { kind: "persona", raw };
  const input = INPUT.exec(expression);
  if (input?.[1]) return { kind: "input", name: input[1], raw };
  const agent = AGENT.exec(expression);
  if (agent?.[1]) return { kind: "agent_output", agent: agent[1], raw };
  return { kind: "unknown", expression, raw };
}

/** Every reference in `template`, in order of appearance (repeats included). */
export function templateRefs(template: string): TemplateRef[] {
  return [...template.matchAll(REF)].map((m) => classify(m[1] ?? "", m[0]));
}

/**
 * Fills in every reference in one pass, so text coming from inputs or earlier agents is never
 * itself expanded (an agent cannot smuggle `{{…}}` into the next prompt). An input without a value
 * renders empty; a missing agent output or an unknown reference is a programming error, because
 * validation and the execution order rule both out.
 */
export function renderTemplate(template: string, ctx: TemplateContext): string {
  return template.replace(REF, (raw, expression: string) => {
    const ref = classify(expression, raw);
    switch (ref.kind) {
      case "goal":
        return ctx.goal;
      case "persona":
        return ctx.persona;
      case "inputs":
        return Object.entries(ctx.inputs)
          .map(([name, value]) => `${name}: ${value}`)
          .join("\n");
      case "input":
        return ctx.inputs[ref.name] ?? "";
      case "agent_output": {
        const output = ctx.outputs[ref.agent];
        if (output === undefined) {
          throw new CodexError("INTERNAL", `template needs ${raw} but agent "${ref.agent}" has not run yet`, {
            hint: "run agents in executionOrder(stack), which puts every referenced agent first",
          });
        }
        return output;
      }
      case "unknown":
        throw new CodexError("STACK_INVALID", `unknown template reference ${raw}`, {
          hint: "use {{input.NAME}}, {{input}}, {{agents.ID.output}}, {{goal}} or {{persona}}",
        });
    }
  });
}
