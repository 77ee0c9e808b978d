import { CodexError } from "../core/CodexError.ts";
import type { StackAgent } from "./stackSchema.ts";
import { templateRefs } from "./template.ts";

type Agents = { agents: readonly StackAgent[] };

/** An agent's dependencies: its `depends_on` plus every `{{agents.X.output}}` it reads, deduplicated. */
export function dependenciesOf(agent: StackAgent): string[] {
  const deps = new Set(agent.dependsOn);
  for (const ref of templateRefs(agent.instructions ?? "")) {
    if (ref.kind === "agent_output") deps.add(ref.agent);
  }
  return [...deps];
}

/**
 * A dependency cycle as a closed walk (`["a", "b", "a"]`: a needs b, b needs a), or undefined.
 * Iterative depth-first search, so a long chain cannot overflow the call stack. Unknown ids are
 * ignored here: they are reported as dangling dependencies.
 */
export function findCycle(stack: Agents): string[] | undefined {
  const deps = new Map(stack.agents.map((a) => [a.id, dependenciesOf(a)]));
  const state = new Map<string, "active" | "done">();
  for (const start of deps.keys()) {
    if (state.has(start)) continue;
    const path: string[] = [start];
    const cursor: number[] = [0];
    state.set(start, "active");
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top] ?? "";
      const i = cursor[top] ?? 0;
      const next = deps.get(node)?.[i];
      if (next === undefined) {
        state.set(node, "done");
        path.pop();
        cursor.pop();
        continue;
      }
      cursor[top] = i + 1;
      if (!deps.has(next)) continue;
      const seen = state.get(next);
      if (seen === "active") return [...path.slice(path.indexOf(next)), next];
      if (seen === undefined) {
        state.set(next, "active");
        path.push(next);
        cursor.push(0);
      }
    }
  }
  return undefined;
}

/**
 * The order agents run in: every agent after its dependencies (`depends_on` and template
 * references), ties broken by file order, so a stack with no dependencies runs top to bottom.
 * Throws STACK_INVALID on a cycle (validation reports cycles first, so loaded stacks never do).
 */
export function executionOrder(stack: Agents): string[] {
  const ids = stack.agents.map((a) => a.id);
  const pending = new Map(
    stack.agents.map((a) => [a.id, new Set(dependenciesOf(a).filter((d) => ids.includes(d)))]),
  );
  const order: string[] = [];
  while (order.length < ids.length) {
    // Agents number at most a few dozen, so a linear scan per step is simplest and fast enough.
    const ready = ids.find((id) => !order.includes(id) && pending.get(id)?.size === 0);
    if (ready === undefined) {
      const cycle = findCycle(stack) ?? [];
      throw new CodexError("STACK_INVALID", `agents depend on each other in a cycle: ${cycle.join(" → ")}`, {
        hint: "remove one of the depends_on entries or {{agents.ID.output}} references in the cycle",
      });
    }
    order.push(ready);
    for (const deps of pending.values()) deps.delete(ready);
  }
  return order;
}
