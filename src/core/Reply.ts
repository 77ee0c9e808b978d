/**
 * What a command answers, independent of where it is shown. Slack renders it as Block Kit, the shell
 * and the CLI as text, so every adapter shows the same content.
 */
export type ReplyPart =
  | { kind: "header"; text: string }
  /** Markdown-ish text: *bold*, `code`, bullet lines. Long text is split by the renderers. */
  | { kind: "text"; text: string }
  | { kind: "fields"; fields: { label: string; value: string }[] }
  | { kind: "context"; text: string }
  | { kind: "divider" }
  /** A long document (an agent's output): Slack may upload it as a file when it is too big for blocks. */
  | { kind: "document"; title: string; filename: string; text: string }
  /** Approve / Reject buttons for an approval request. */
  | { kind: "approval"; approvalId: string; prompt: string };

export interface Reply {
  /** Plain-text fallback and notification text. */
  summary: string;
  parts: ReplyPart[];
  /** Visible only to the caller (Slack ephemeral). */
  ephemeral?: boolean;
  /** The command failed or was refused; adapters may map this to an exit code. */
  isError?: boolean;
}
