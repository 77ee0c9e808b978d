import { chicagoIso } from "../../core/timestamps.ts";
import type { EvidenceKind } from "../EvidencePublisher.ts";
import type { EvidenceBody } from "../evidenceBody.ts";
import { richText } from "./markdownBlocks.ts";

/** The database `maos notion setup` creates; the seed's Notion Evidence Pack. */
export const ACTIVATION_LEDGER_TITLE = "MAOS Activation Ledger";

/** Property names, as they appear in Notion. */
export const P = {
  title: "Title",
  kind: "Kind",
  sealVersion: "Seal version",
  drift: "Drift",
  governance: "Governance status",
  correlationId: "Correlation ID",
  ledgerSeq: "Ledger seq",
  date: "Date",
  vaultCommit: "Vault commit",
  evidenceId: "Evidence ID",
} as const;

const KINDS: EvidenceKind[] = ["activation", "seal", "incident", "snapshot", "drift"];
const SEALS = ["v0", "v1", "v2", "v3", "v4"];

/** The data source's property schema (databases.create `initial_data_source.properties`). */
export function activationLedgerProperties(): Record<string, Record<string, unknown>> {
  return {
    [P.title]: { title: {} },
    [P.kind]: { select: { options: KINDS.map((name) => ({ name })) } },
    [P.sealVersion]: { select: { options: SEALS.map((name) => ({ name })) } },
    [P.drift]: { number: { format: "number" } },
    [P.governance]: { select: { options: [{ name: "RUNNING" }, { name: "HALTED" }] } },
    [P.correlationId]: { rich_text: {} },
    [P.ledgerSeq]: { number: { format: "number" } },
    // Dates are written with their America/Chicago offset (the seed's mandatory timezone).
    [P.date]: { date: {} },
    [P.vaultCommit]: { url: {} },
    // The outbox's idempotency key: looked up before a retried create, so no page is made twice.
    [P.evidenceId]: { rich_text: {} },
  };
}

/** Notion select option names may not contain commas and hold at most 100 characters. */
function selectName(value: string): string {
  return value.replaceAll(",", " ").slice(0, 100);
}

/** A link to the vault commit when the vault's remote is a web URL (GitHub/GitLab style), else none. */
export function commitUrl(remote: string | undefined, commit: string | undefined): string | null {
  if (!commit || !remote || !/^https?:\/\//.test(remote)) return null;
  const url = `${remote.replace(/\.git$/, "").replace(/\/+$/, "")}/commit/${commit}`;
  return url.length <= 2000 ? url : null;
}

/** Page properties for one evidence item. */
export function evidenceProperties(
  body: EvidenceBody,
  vaultRemote: string | undefined,
): Record<string, unknown> {
  const item = body.item;
  const props: Record<string, unknown> = {
    [P.title]: { title: richText(item.title.slice(0, 2000)) },
    [P.kind]: { select: { name: item.kind } },
    [P.correlationId]: { rich_text: richText(item.correlationId) },
    [P.ledgerSeq]: { number: item.ledgerSeq },
    [P.date]: { date: { start: chicagoIso(new Date(item.occurredAt)) } },
    [P.evidenceId]: { rich_text: richText(body.key) },
    [P.vaultCommit]: { url: commitUrl(vaultRemote, item.vaultCommit) },
  };
  const seal = item.sealVersion ?? body.sealVersion;
  if (seal) props[P.sealVersion] = { select: { name: selectName(seal) } };
  if (typeof item.drift === "number") props[P.drift] = { number: item.drift };
  if (item.governanceStatus) props[P.governance] = { select: { name: selectName(item.governanceStatus) } };
  return props;
}
