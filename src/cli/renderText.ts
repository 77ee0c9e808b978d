import type { ValidationResult } from "../../commands/stacks.ts";
import type { StacksList } from "../../commands/stacksReply.ts";
import type { AuditReport } from "../audit/auditVerify.ts";
import type { ConsistencyProofJson, InclusionProofJson } from "../audit/proofs.ts";
import type { VaultCustodyReport } from "../audit/vaultCustody.ts";
import { shortLine } from "../core/shortLine.ts";
import type { RunSummary } from "../executor/runStack.ts";
import type { LedgerEntry } from "../ledger/Ledger.ts";
import type { VaultVerifyReport } from "../vault/Vault.ts";

/** Plain-text renderings for the terminal; the same facts the Slack blocks show. */
export function renderRun(s: RunSummary, cwd = process.cwd()): string {
  const verdict = s.evaluation
    ? `score ${s.score.toFixed(2)} ${s.pass ? "PASS" : "below the bar"} (threshold ${s.evaluation.threshold})`
    : "not scored";
  const lines = [
    `${s.status === "completed" ? "✔" : "✖"} ${s.stack} ${s.status} — ${verdict}`,
    ...(s.error ? [`  error: ${s.error.code}: ${s.error.message}`] : []),
    "",
    "  steps:",
    ...s.steps.map(
      (st) =>
        `    ${st.status === "completed" ? "✔" : st.status === "failed" ? "✖" : "·"} ${st.agent.padEnd(28)} ${(st.provider || "—").padEnd(22)} ${st.attempts} attempt${st.attempts === 1 ? "" : "s"}  ${st.tokens.input + st.tokens.output} tokens  ${st.ms} ms`,
    ),
  ];
  if (s.evaluation) {
    lines.push("", "  scores:");
    for (const c of s.evaluation.criteria)
      lines.push(`    ${c.id.padEnd(24)} ${c.score.toFixed(2)} × ${c.weight}  ${c.rationale}`);
    const failed = s.evaluation.checks.filter((c) => !c.passed);
    if (failed.length > 0) lines.push("", "  failed checks:", ...failed.map((c) => `    ✖ ${c.detail}`));
  }
  const checks = s.evaluation?.lessonChecks;
  if (s.lessonsApplied.length > 0 && checks) {
    const applied = checks.filter((c) => c.status === "applied").length;
    const mark = { applied: "✔", "not applied": "✖", "not judged": "–" } as const;
    lines.push(
      "",
      `  lessons from earlier runs: ${applied} of ${checks.length} applied in the copy`,
      ...checks.map((c) => `    ${mark[c.status]} ${c.lesson} (${c.evidence})`),
    );
  } else if (s.lessonsApplied.length > 0) {
    lines.push(
      "",
      `  lessons from earlier runs: ${s.lessonsApplied.length} given, not judged (no evaluation)`,
    );
  }
  lines.push(
    "",
    `  run id:       ${s.runId}`,
    `  sealed in:    ${relative(s.vault.path, cwd)}`,
    `  vault commit: ${s.vault.commit}${s.vault.pushed === false ? " (push failed; the local commit is kept)" : ""}`,
    `  seal root:    ${s.seal.root}`,
    `  ledger:       ${s.ledger.size} entries, head ${s.ledger.head}`,
  );
  return lines.join("\n");
}

export function renderStacks(list: StacksList): string {
  const lines = list.stacks.map((s) => {
    const inputs = s.inputs
      .map((i) => (i.required ? `${i.name}=…` : `[${i.name}=${shortLine(i.default ?? "")}]`))
      .join(" ");
    return `  ${s.name.padEnd(20)} ${s.agents.length} agents  ${s.goal}${inputs ? `\n  ${"".padEnd(20)} inputs: ${inputs}` : ""}`;
  });
  if (lines.length === 0) lines.push(`  (no stacks in ${list.dir})`);
  for (const bad of list.invalid) lines.push(`  ✖ ${bad.message}`);
  return lines.join("\n");
}

export function renderValidation(v: ValidationResult, cwd = process.cwd()): string {
  return v.results
    .map((r) =>
      r.ok
        ? `✔ ${relative(r.file, cwd)} (${r.name})`
        : `✖ ${relative(r.file, cwd)}\n${indent(r.errors.join("\n"))}`,
    )
    .join("\n");
}

export function renderEntries(entries: LedgerEntry[]): string {
  return entries
    .map(
      (e) =>
        `${String(e.seq).padStart(6)}  ${e.timestampCt}  ${e.eventType.padEnd(22)} ${e.level.padEnd(5)} ${e.actorIdentity}  ${e.correlationId.slice(0, 8)}  ${e.entryHash.slice(0, 12)}`,
    )
    .join("\n");
}

export function renderLedgerVerify(r: AuditReport): string {
  if (!r.ok) {
    const lines = r.failures.map((f) => `✖ ${f}`);
    return `${lines.join("\n")}\n  (${r.size} entries read, ${r.checkpointsChecked} checkpoints checked${r.vault ? `, ${r.vault.runs} sealed runs checked in the vault` : ""})`;
  }
  return [
    `✔ ledger intact: ${r.size} entries, chain and Merkle root rebuilt`,
    `  root ${r.root}`,
    `  head ${r.head.hash} (seq ${r.head.seq})`,
    `  ${r.checkpointsChecked} signed checkpoints verified (${r.vaultCheckpoints} ${r.vaultCheckpoints === 1 ? "copy" : "copies"} from the vault)`,
    ...(r.vault
      ? [
          `✔ vault intact: ${r.vault.runs} sealed runs match their RUN_SEALED entries (HEAD ${r.vault.head?.slice(0, 12) ?? "none"}${r.vault.signedCommits > 0 ? `, ${r.vault.signedCommits} commits signed by the recorded key` : ""})`,
        ]
      : []),
    ...(r.checkpoint
      ? [
          `✔ consistent with the checkpoint in ${r.checkpoint.source} (size ${r.checkpoint.size}): the ledger is an append-only extension of it`,
        ]
      : []),
    ...(r.unattestedTail > 0
      ? [`  ${r.unattestedTail} newest entries are not yet covered by a checkpoint`]
      : []),
  ].join("\n");
}

export function renderVaultVerify(r: VaultVerifyReport & { custody?: VaultCustodyReport }): string {
  const custody = r.custody
    ? r.custody.ok
      ? [
          `✔ the ledger's ${r.custody.runs} RUN_SEALED entries match the vault (HEAD ${r.custody.head?.slice(0, 12) ?? "none"}${r.custody.signedCommits > 0 ? `, ${r.custody.signedCommits} commits signed by the recorded key` : ""})`,
        ]
      : r.custody.problems.map((p) => `✖ ${p.reason}`)
    : [];
  if (r.runs.length === 0) return ["no sealed runs in the vault yet", ...custody].join("\n");
  return [renderRuns(r), ...custody].join("\n");
}

function renderRuns(r: VaultVerifyReport): string {
  return r.runs
    .map((run) => {
      if (run.ok) return `✔ ${run.folder}`;
      const problems = [
        ...run.changed.map((f) => `changed: ${f}`),
        ...run.missing.map((f) => `missing: ${f}`),
        ...run.extra.map((f) => `extra:   ${f}`),
        ...(run.rootMismatch ? ["SEAL.json root does not match its file hashes"] : []),
        ...(run.sealError ? [run.sealError] : []),
      ];
      return `✖ ${run.folder}\n${indent(problems.join("\n"))}`;
    })
    .join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

function relative(p: string, cwd: string): string {
  const rel = p.startsWith(cwd) ? `.${p.slice(cwd.length)}` : p;
  return rel;
}

/** A proof as text: the fields, one hash per line. */
export function renderProof(p: InclusionProofJson | ConsistencyProofJson): string {
  const head =
    p.type === "inclusion"
      ? [
          `inclusion of seq ${p.leafIndex} in the tree of ${p.treeSize} entries`,
          `  leaf hash ${p.leafHash}`,
          `  root      ${p.rootHash}`,
        ]
      : [
          `consistency of the tree of ${p.oldSize} entries with the tree of ${p.newSize}`,
          `  old root ${p.oldRoot}`,
          `  new root ${p.newRoot}`,
        ];
  return [...head, `  proof (${p.proof.length} hashes):`, ...p.proof.map((h) => `    ${h}`)].join("\n");
}
