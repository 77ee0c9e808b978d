import { EMPTY_ROOT, nodeHashPacked, packedToHex } from "./merkle.ts";

const EMPTY_ROOT_HEX = EMPTY_ROOT.toString("hex");
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The RFC 6962 compact range [0, size): the roots of the perfect subtrees that the binary decomposition
 * of `size` splits the leaves into, largest (leftmost) first. At most ~log2(size) hashes, so the root
 * is current after every append without rereading any leaf: a push costs one node hash per trailing
 * 1-bit of the old size (amortised one), and `root()` folds the list right to left.
 * Nodes are kept as strings: a pushed leaf as its hex, a node hashed here as latin1 text (see
 * nodeHashPacked); everything handed out is hex.
 */
export class MerkleFrontier {
  #nodes: string[];
  #size: number;

  constructor(size = 0, nodes: readonly (Uint8Array | string)[] = []) {
    if (!Number.isSafeInteger(size) || size < 0 || popCount(size) !== nodes.length) {
      throw new RangeError(`a frontier of size ${size} has ${popCount(size)} nodes, not ${nodes.length}`);
    }
    this.#size = size;
    this.#nodes = nodes.map(toHex);
  }

  get size(): number {
    return this.#size;
  }

  /** The subtree roots, largest first. */
  nodes(): Buffer[] {
    return this.#nodes.map((n) => Buffer.from(packedToHex(n), "hex"));
  }

  nodesHex(): string[] {
    return this.#nodes.map(packedToHex);
  }

  /** Adds a leaf hash (32 bytes, or 64-char lowercase hex). */
  push(leafHash: Uint8Array | string): void {
    let h = typeof leafHash === "string" ? leafHash : toHex(leafHash);
    if (h.length !== 64) throw new RangeError("a leaf hash is 32 bytes");
    // Each trailing 1-bit of the old size is a complete subtree of the same height as h: merge it in.
    let n = this.#size;
    while (n % 2 === 1) {
      h = nodeHashPacked(this.#nodes.pop() as string, h);
      n = (n - 1) / 2;
    }
    this.#nodes.push(h);
    this.#size++;
  }

  root(): Buffer {
    return Buffer.from(this.rootHex(), "hex");
  }

  rootHex(): string {
    return foldRootHex(this.#nodes);
  }

  clone(): MerkleFrontier {
    return new MerkleFrontier(this.#size, this.nodesHex());
  }

  /** Compact text form for persisting: the node hashes as one hex string (64 chars each). */
  serialize(): { size: number; nodes: string } {
    return { size: this.#size, nodes: this.nodesHex().join("") };
  }

  static deserialize(state: { size: number; nodes: string }): MerkleFrontier {
    if (typeof state.nodes !== "string" || !/^(?:[0-9a-f]{64})*$/.test(state.nodes)) {
      throw new RangeError("frontier nodes must be 64-char hex hashes");
    }
    const nodes: string[] = [];
    for (let i = 0; i < state.nodes.length; i += 64) nodes.push(state.nodes.slice(i, i + 64));
    return new MerkleFrontier(state.size, nodes);
  }
}

/**
 * Root of a compact range: hash right to left. Also valid for the concatenation of an aligned prefix's
 * frontier and the frontier of a block that follows it (what parallel verification combines).
 */
export function foldRootHex(nodes: readonly string[]): string {
  if (nodes.length === 0) return EMPTY_ROOT_HEX;
  let r = nodes[nodes.length - 1] as string;
  for (let i = nodes.length - 2; i >= 0; i--) r = nodeHashPacked(nodes[i] as string, r);
  return packedToHex(r);
}

function toHex(n: Uint8Array | string): string {
  const h = typeof n === "string" ? n : Buffer.from(n.buffer, n.byteOffset, n.byteLength).toString("hex");
  if (!HEX64.test(h)) throw new RangeError("a Merkle node is a 32-byte hash (64 lowercase hex chars)");
  return h;
}

function popCount(n: number): number {
  let c = 0;
  let x = n;
  while (x > 0) {
    if (x % 2 === 1) c++;
    x = Math.floor(x / 2);
  }
  return c;
}
