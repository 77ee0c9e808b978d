import type { webApi } from "@slack/bolt";
import type { ApprovalService } from "../../approvals/ApprovalService.ts";
import { type IncidentService, incidentReply } from "../../autonomy/IncidentService.ts";
import type { ChannelRateLimiter } from "../../slackWire/channelRateLimiter.ts";
import { replyToBlocks } from "../../slackWire/replyBlocks.ts";
import type { SlackWork } from "../SlackWork.ts";

export interface IncidentMessagesDeps {
  approvals: Pick<ApprovalService, "onDecision" | "messages">;
  incidents: () => Pick<IncidentService, "list" | "get" | "approverRoles">;
  client: webApi.WebClient;
  limiter: ChannelRateLimiter;
  work: Pick<SlackWork, "track">;
}

/**
 * An incident's messages follow its approval: approved by whom, buttons gone (back if revoked). Listens
 * to the approvals service rather than to Bolt (a decision may come from a reaction, a button or a
 * typed command); returns the catch-up for decisions made by another process.
 */
export function register(deps: IncidentMessagesDeps): { sync(): Promise<void> } {
  const { approvals, client, limiter } = deps;
  approvals.onDecision((e) => {
    if (e.approval.kind !== "incident") return;
    deps.work.track("incident message update", refresh(e.approval.id, e.approval.subjectId));
  });
  /**
   * What the incident messages last showed of each approval, by id. A message is posted with its
   * approval open, so an approval seen here for the first time was shown open.
   */
  const shownApproval = new Map<string, string>();
  const approvalShown = (a: { status: string; decidedBy?: string | null; decidedVia?: string | null }) =>
    `${a.status}|${a.decidedBy ?? ""}|${a.decidedVia ?? ""}`;
  const OPEN_SHOWN = approvalShown({ status: "open" });

  async function sync(): Promise<void> {
    for (const view of await deps.incidents().list("open")) {
      const a = view.approval;
      if (!a || approvalShown(a) === (shownApproval.get(a.id) ?? OPEN_SHOWN)) continue;
      if ((await approvals.messages(a.id)).length === 0) continue;
      await refresh(a.id, view.id);
    }
  }
  async function refresh(approvalId: string, incidentId: string): Promise<void> {
    const incidents = deps.incidents();
    const view = await incidents.get(incidentId);
    if (!view) return;
    const out = replyToBlocks(
      incidentReply(view, {
        opening: view.approval?.status === "open",
        approverRoles: incidents.approverRoles(),
      }),
    );
    const blocks = out.messages[0];
    for (const m of await approvals.messages(approvalId)) {
      await limiter.schedule(m.channel, () =>
        client.chat.update({ channel: m.channel, ts: m.ts, text: out.text, ...(blocks ? { blocks } : {}) }),
      );
    }
    if (view.approval) shownApproval.set(approvalId, approvalShown(view.approval));
  }
  return { sync };
}
