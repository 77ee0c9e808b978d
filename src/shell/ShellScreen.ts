import type { Interface } from "node:readline";

/**
 * The shell's terminal. Command output is printed while the command runs; anything that arrives on its
 * own (an evidence notice, a log line when LOG_LEVEL asks for them on the terminal) is printed above the
 * prompt, which is then drawn again with what the user had typed, so nothing lands inside `codex>`.
 */
export class ShellScreen {
  readonly output: NodeJS.WritableStream;
  readonly tty: boolean;
  #rl: Interface | undefined;
  #busy = false;

  constructor(output: NodeJS.WritableStream) {
    this.output = output;
    this.tty = Boolean((output as { isTTY?: boolean }).isTTY);
  }

  /** The readline interface whose prompt notices must not break; the shell attaches it. */
  attach(rl: Interface | undefined): void {
    this.#rl = rl;
  }

  /** A command is running: its output and notices are printed as they come, no prompt to redraw. */
  set busy(value: boolean) {
    this.#busy = value;
  }

  /** Command output: whole lines. */
  print(text: string): void {
    this.output.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /**
   * Output nobody typed a command for. At an idle prompt on a terminal: the prompt line is cleared, the
   * text printed, and the prompt drawn again with the line being typed.
   */
  notice(text: string, stream: NodeJS.WritableStream = this.output): void {
    const line = text.endsWith("\n") ? text : `${text}\n`;
    const rl = this.#rl;
    if (!this.tty || this.#busy || !rl) {
      stream.write(line);
      return;
    }
    this.output.write("\r\x1b[K");
    stream.write(line);
    rl.prompt(true);
  }

  /** `clear`: an empty screen with the cursor at the top (nothing on a pipe). */
  clear(): void {
    if (this.tty) this.output.write("\x1b[2J\x1b[3J\x1b[H");
  }
}
