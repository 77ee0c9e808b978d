import type { Stack } from "./stackSchema.ts";

/** What `maos stacks list` (and /codex stacks, MCP's stack resources) show of one valid stack. */
export interface StackListing {
  name: string;
  goal: string;
  description: string | undefined;
  file: string;
  agents: { id: string; role: string }[];
  inputs: { name: string; required: boolean; default: string | undefined; description: string | undefined }[];
}

export function stackListing(s: Stack): StackListing {
  return {
    name: s.name,
    goal: s.goal,
    description: s.description,
    file: s.file,
    agents: s.agents.map((a) => ({ id: a.id, role: a.role })),
    inputs: s.inputs.map((i) => ({
      name: i.name,
      required: i.required,
      default: i.default,
      description: i.description,
    })),
  };
}
