/**
 * Runs async tasks one at a time, in call order. Git's index is a single shared file, so every
 * operation that stages or commits goes through one queue; a failed task does not block the next.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** A task is running or waiting. */
  get busy(): boolean {
    return this.#pending > 0;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(task).finally(() => {
      this.#pending--;
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
