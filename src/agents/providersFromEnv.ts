import { createProvider, type ProviderEnv } from "./createProvider.ts";
import type { Provider } from "./Provider.ts";

/**
 * The prime and backup providers from MAOS_PRIME (default "offline") and MAOS_BACKUP (default none;
 * "none" or empty also means none). Errors name the variable at fault.
 */
export function providersFromEnv(
  env: ProviderEnv & { MAOS_PRIME?: string; MAOS_BACKUP?: string },
  opts: { fetch?: typeof fetch } = {},
): { prime: Provider; backup?: Provider } {
  const primeSpec = env.MAOS_PRIME?.trim() || "offline";
  const prime = createProvider(primeSpec, env, { ...opts, source: "MAOS_PRIME" });
  const backupSpec = env.MAOS_BACKUP?.trim();
  if (!backupSpec || backupSpec.toLowerCase() === "none") return { prime };
  return { prime, backup: createProvider(backupSpec, env, { ...opts, source: "MAOS_BACKUP" }) };
}
