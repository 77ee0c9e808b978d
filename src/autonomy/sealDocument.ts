import { chicagoIso, utcIso } from "../core/timestamps.ts";
import type { Checkpoint } from "../ledger/Ledger.ts";
import type { ConfigHashes } from "./configHashes.ts";

export interface SealDocumentInput {
  version: string;
  meaning: string;
  sealedAt: Date;
  sealedBy: string;
  roles: string[];
  identity: { primary: string; origin: string };
  environment: string;
  correlationId: string;
  conditions: { name: string; ok: boolean; detail: string }[];
  hashes: ConfigHashes;
  checkpoint: Checkpoint;
  verifierKey: string;
}

/**
 * MVP_vN_SEAL.md: the seal's birth certificate. It names every condition with its evidence, the
 * SHA-256 of the charter, each stack and the manifest (what later seal alignment compares against),
 * and the signed ledger checkpoint, with how to check each.
 */
export function sealDocument(s: SealDocumentInput): string {
  const rows = s.conditions.map(
    (c) => `| ${c.name} | ${c.ok ? "✅ pass" : "❌ fail"} | ${c.detail.replaceAll("|", "\\|")} |`,
  );
  const hashes = Object.entries(s.hashes).map(([file, h]) => `| ${file} | \`${h}\` |`);
  return `# MVP ${s.version} SEAL — MAOS Codex

**${s.meaning}.** Sealed ${utcIso(s.sealedAt)} (${chicagoIso(s.sealedAt)}, America/Chicago).

| field | value |
|---|---|
| seal | MVP_${s.version} |
| sealed by | ${s.sealedBy} (${s.roles.join(", ") || "no role recorded"}) |
| identity | ${s.identity.primary} |
| origin | ${s.identity.origin} |
| environment | ${s.environment} |
| correlation id | \`${s.correlationId}\` |

## Conditions

| condition | result | evidence |
|---|---|---|
${rows.join("\n")}

## Configuration hashes (SHA-256)

Seal alignment is measured against these: a later change to any of them is an unsealed change
(a drift component) until the next seal.

| file | sha256 |
|---|---|
${hashes.join("\n")}

## Ledger checkpoint

Size ${s.checkpoint.size}, RFC 6962 root \`${s.checkpoint.root}\`, signed by the ledger key
(\`${s.verifierKey}\`):

\`\`\`
${s.checkpoint.note.trimEnd()}
\`\`\`

Check it with \`maos ledger verify\` (the note is also in \`checkpoints/\` of this vault, so a rewritten
ledger database cannot pass) and this file's commit with \`git log\` in the vault.
`;
}
