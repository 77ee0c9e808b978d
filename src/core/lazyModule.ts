import { createRequire } from "node:module";

/**
 * A module loaded on its first use instead of at start-up, synchronously (Node loads an ES module
 * through `require` when its graph has no top-level await). The composition root's getters are
 * synchronous, and a process that never uses an SDK, the database or the vault should not pay for
 * loading them: `maos stacks list` must start in a few hundred milliseconds.
 *
 *   const kernel = lazyModule<typeof import("./heavy.ts")>(import.meta.url, "./heavy.ts");
 *   new (kernel().AutonomyKernel)(app);
 */
export function lazyModule<T>(from: string, specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= createRequire(from)(specifier) as T;
    return loaded;
  };
}
