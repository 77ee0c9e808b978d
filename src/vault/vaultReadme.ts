/** The README.md of the vault's first commit: what lives where, and how to check it. */
export const VAULT_README = `# MAOS Codex vault

This folder is a git repository written by MAOS Codex. Do not edit it by hand: every change is
committed by the bot, and \`maos vault verify\` reports any file that no longer matches its seal.

## Layout

- \`runs/<YYYYMMDDTHHMMSSZ>-<stack>-<short run id>/\`: one folder per sealed run (the time is the
  run's start, in UTC; the short id is the first 8 characters of the run id). It holds the run's
  outputs (one \`agent_<name>.md\` per agent, \`run.json\`, \`codex_evaluation.json\`,
  \`codex_digest_report.md\`, …) and \`SEAL.json\`.
- \`runs/…/SEAL.json\`: the seal. \`files\` lists every other file of the folder, sorted by path, with
  its SHA-256 and size; \`root\` is the RFC 6962 Merkle root (hex) over the leaves
  \`<path>\\n<sha256>\` in that order; \`ledger\` records the ledger's size, head hash, Merkle root and
  signed checkpoint at the moment of sealing. A sealed folder is never rewritten.
- \`checkpoints/\`: signed ledger checkpoints committed outside a run.
- Other files (the wisdom log, MVP seal documents, snapshots) are committed by the bot with a
  message naming what they are.

## Checking it

- \`maos vault verify [RUN_ID…]\` re-hashes run folders against their seals and each SEAL.json
  against the copy in the last commit.
- Commits are made by \`MAOS Codex <maos-codex@localhost>\`. When MAOS_VAULT_SIGNING_KEY is set they
  are SSH-signed: \`git log --format='%h %G? %s'\` shows \`G\` for a good signature.
`;
