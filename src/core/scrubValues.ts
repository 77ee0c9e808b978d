/** Values shorter than this are not treated as secrets: a dummy key like "local" would mangle words. */
export const MIN_SECRET_LENGTH = 6;

/** Replaces every occurrence of each known secret value. The one place exact-value redaction lives. */
export function scrubValues(
  text: string,
  secrets: readonly (string | undefined)[],
  replacement = "[REDACTED]",
): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join(replacement);
  }
  return out;
}
