/**
 * Runs async tasks one at a time, in call order. Git's index is a single shared file, so every
 * operation that stages or commits goes through one queue; a failed task does not block the next.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
