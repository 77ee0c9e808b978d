import { closeSync, openSync, readSync } from "node:fs";

// Apart from YamlSource so a reader that only hashes a config file's bytes (the stack listing's cache)
// does not load the YAML parser.

/** Stack and charter files are hand-written config; anything bigger is a mistake or an attack. */
export const MAX_YAML_BYTES = 256 * 1024;

/**
 * Reads at most MAX_YAML_BYTES + 1 bytes of `file`: enough to tell that it is too big without
 * loading a huge (or endless, like a device) file into memory. Throws the fs error as is.
 */
export function readCapped(file: string): Uint8Array {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(MAX_YAML_BYTES + 1);
    let filled = 0;
    while (filled < buf.length) {
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    return buf.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
