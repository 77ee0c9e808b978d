import type { CommandSpec } from "./CommandSpec.ts";
import { errorReply } from "./replies.ts";

/** Registered so they answer plainly; each arrives with a later part of the system and fakes nothing now. */
function notYet(name: string, usage: string, summary: string, arrives: string): CommandSpec {
  return {
    name,
    usage,
    summary: `${summary} (not yet available)`,
    permission: name === "incident" ? incidentPermission : undefined,
    async run() {
      return errorReply(`/codex ${name} is not yet available in this version: it arrives with ${arrives}.`);
    },
  };
}

/** `incident approve …` and `incident resolve …` have their own charter entries. */
function incidentPermission(args: string[]): string {
  const sub = args[0]?.toLowerCase();
  return sub === "approve" || sub === "resolve" ? `incident.${sub}` : "incident";
}

export const NOT_YET_AVAILABLE: CommandSpec[] = [
  notYet(
    "activate",
    "activate",
    "check the seal conditions and start the autonomy loop",
    "the autonomy kernel",
  ),
  notYet("seal", "seal <vN>", "take an MVP seal (v0…v4) once its conditions hold", "the autonomy kernel"),
  notYet(
    "incident",
    "incident [list|show|approve|resolve] …",
    "governance incidents and their approvals",
    "the incident lifecycle",
  ),
  notYet("stop", "stop", "halt the autonomy loop", "the autonomy kernel"),
  notYet("resume", "resume", "resume the autonomy loop", "the autonomy kernel"),
  notYet("snapshot", "snapshot", "take a sealed state snapshot now", "the autonomy kernel"),
  notYet("client", "client …", "the client matrix", "the Notion client matrix"),
];
