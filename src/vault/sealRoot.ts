import { createHash } from "node:crypto";
import { merkleRoot } from "../ledger/merkle.ts";

/** Lowercase hex SHA-256 of some bytes. */
export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * The seal root: RFC 6962 Merkle root (hex) over one leaf per file, `${path}\n${sha256}` in UTF-8,
 * in the order given (SEAL.json keeps them sorted by path). Binding the path into the leaf means a
 * renamed file changes the root even when its bytes do not.
 */
export function sealRoot(files: readonly { path: string; sha256: string }[]): string {
  const encoder = new TextEncoder();
  return merkleRoot(files.map((f) => encoder.encode(`${f.path}\n${f.sha256}`))).toString("hex");
}

/**
 * Sort order of SEAL.json `files` (and of run folders): by the bytes of the UTF-8 path, as `LC_ALL=C sort`
 * orders them. For paths without characters above U+FFFF this is also JavaScript's default string order.
 */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
