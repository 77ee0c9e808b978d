/** The stacks module: loading, validating and ordering persona stacks, and rendering their prompts. */

export { formatProblem, type YamlProblem } from "../core/problems.ts";
export { MAX_YAML_ALIASES, MAX_YAML_BYTES, MAX_YAML_DEPTH } from "../core/YamlSource.ts";
export { dependenciesOf, executionOrder, findCycle } from "./executionOrder.ts";
export { findStack, stackBaseName } from "./findStack.ts";
export { loadStackFile } from "./loadStackFile.ts";
export { loadStacks } from "./loadStacks.ts";
export { checkInputNames, missingInputs, missingInputsError, resolveInputs } from "./resolveInputs.ts";
export { isStackFileName } from "./scanStacks.ts";
export {
  type AgentGuardrails,
  type AgentOutput,
  DEFAULT_EVALUATOR,
  type EvaluatorChecks,
  type EvaluatorCriterion,
  MAX_AGENTS,
  PROVIDER_SPEC,
  type Stack,
  type StackAgent,
  type StackEvaluator,
  type StackInput,
  type StackSchedule,
  type StackSpec,
  stackSchema,
} from "./stackSchema.ts";
export { renderTemplate, type TemplateContext, type TemplateRef, templateRefs } from "./template.ts";
export { validateStackBytes, validateStackText } from "./validateStack.ts";
