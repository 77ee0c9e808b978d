/**
 * A rough token count for text no tokenizer has seen: about 4 characters per token, OpenAI's published
 * rule of thumb for English. Used by the offline provider and when a server omits `usage`.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
