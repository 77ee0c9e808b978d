import { mkdirSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import { type Env, secretValues } from "../config/loadEnv.ts";
import { createLogger, type Logger } from "../core/logger.ts";
import type { ShellScreen } from "./ShellScreen.ts";

/**
 * The shell's logs never land inside the prompt: by default they go to MAOS_HOME/logs/maos.log; with
 * LOG_LEVEL set they go to stderr, each line printed above the prompt. `where` is said in the welcome line.
 */
export function shellLogger(
  env: Env,
  screen: ShellScreen,
  cwd = process.cwd(),
): { log: Logger; where: string } {
  const secrets = secretValues(env);
  if (env.LOG_LEVEL_SET) {
    const destination = {
      write(line: string) {
        screen.notice(line, process.stderr);
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    return {
      log: createLogger({ level: env.LOG_LEVEL, secrets, destination }),
      where: `stderr, here (LOG_LEVEL=${env.LOG_LEVEL})`,
    };
  }
  const dir = path.join(env.MAOS_HOME, "logs");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "maos.log");
  // Synchronous appends: a line is on disk before the process can exit, and nothing is buffered.
  const fd = openSync(file, "a");
  const destination = {
    write(line: string) {
      writeSync(fd, line);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const relative = path.relative(cwd, file);
  const shown = relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
  return {
    log: createLogger({ level: "info", secrets, destination }),
    where: `${shown} (LOG_LEVEL=info shows them here instead)`,
  };
}
