import { lazyModule } from "./lazyModule.ts";
import type { Logger } from "./logger.ts";

const loggerModule = lazyModule<typeof import("./logger.ts")>(import.meta.url, "./logger.ts");

/**
 * A logger whose pino instance is made when it is first used: a `maos` command that logs nothing
 * (`maos stacks list`, `maos ledger tail`) does not load pino (~25 ms of its start). Every property and
 * method is the real logger's.
 */
export function lazyLogger(opts: Parameters<typeof import("./logger.ts").createLogger>[0]): Logger {
  let real: Logger | undefined;
  const logger = () => {
    real ??= loggerModule().createLogger(opts);
    return real;
  };
  return new Proxy({} as Logger, {
    get(_target, prop) {
      const r = logger();
      const value = Reflect.get(r, prop, r);
      return typeof value === "function" ? value.bind(r) : value;
    },
    set: (_target, prop, value) => Reflect.set(logger(), prop, value),
    has: (_target, prop) => Reflect.has(logger(), prop),
  });
}
