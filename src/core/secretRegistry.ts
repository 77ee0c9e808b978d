/**
 * Secret values learned at run time (the Notion secrets registry), beside the environment's known
 * secret variables. loadEnv's secretValues() includes them, so the logger, the ledger, the vault and
 * Slack scrub them like every other secret. Process-wide, like process.env they come from.
 */
const values = new Set<string>();

export function registerSecretValues(list: Iterable<string>): void {
  for (const v of list) if (v) values.add(v);
}

export function registeredSecretValues(): string[] {
  return [...values];
}

/** Tests only: forget what earlier tests registered. */
export function clearRegisteredSecretValues(): void {
  values.clear();
}
