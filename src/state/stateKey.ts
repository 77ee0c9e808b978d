declare const valueType: unique symbol;

/**
 * A key of the small current values (the `autonomy_kv` table) that names the type of its value, so a
 * reader and a writer of the same key cannot disagree about it.
 */
export type StateKey<T> = string & { readonly [valueType]: T };

export function stateKey<T>(name: string): StateKey<T> {
  return name as StateKey<T>;
}
