import type { CommandSpec } from "./CommandSpec.ts";
import { errorReply } from "./replies.ts";

/** Registered so they answer plainly; each arrives with a later part of the system and fakes nothing now. */
export function notYet(name: string, usage: string, summary: string, arrives: string): CommandSpec {
  return {
    name,
    usage,
    summary: `${summary} (not yet available)`,
    async run() {
      return errorReply(`/codex ${name} is not yet available in this version: it arrives with ${arrives}.`);
    },
  };
}

/** Every planned command has arrived (`client` came with the evidence relays). */
export const NOT_YET_AVAILABLE: CommandSpec[] = [];
