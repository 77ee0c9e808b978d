import { closeSync, fstatSync, openSync, readSync } from "node:fs";

// Apart from YamlSource so a reader that only hashes a config file's bytes (the stack listing's cache)
// does not load the YAML parser.

/** Stack and charter files are hand-written config; anything bigger is a mistake or an attack. */
export const MAX_YAML_BYTES = 256 * 1024;

/**
 * Reads at most MAX_YAML_BYTES + 1 bytes of `file`: enough to tell that it is too big without
 * loading a huge (or endless, like a device) file into memory. Throws the fs error as is. The buffer is
 * sized by the file and grown while more arrives (a file that grew, or one stat cannot size), up to
 * the cap: a zero-filled buffer of the cap's size on every read cost ~1 ms of the event loop, and a
 * run reads its stack twice.
 */
export function readCapped(file: string): Uint8Array {
  const fd = openSync(file, "r");
  try {
    const cap = MAX_YAML_BYTES + 1;
    let buf = Buffer.allocUnsafe(Math.min(cap, Math.max(fstatSync(fd).size + 1, 4096)));
    let filled = 0;
    for (;;) {
      if (filled === buf.length) {
        if (buf.length >= cap) break;
        const bigger = Buffer.allocUnsafe(Math.min(cap, buf.length * 2));
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    return buf.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
