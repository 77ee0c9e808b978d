import { createHash, hash } from "node:crypto";

/** RFC 6962 §2.1 Merkle Tree Hash. Leaves are prefixed 0x00, interior nodes 0x01 (second-preimage resistance). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash("sha256").update(LEAF_PREFIX).update(data).digest();
}

// One reusable 65-byte buffer (0x01 || left || right) and the one-shot `crypto.hash`: a node hash is then a
// single native call, which matters when verification rebuilds a million-leaf tree.
const nodeInput = Buffer.alloc(65, 1);

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length === 32 && right.length === 32) {
    nodeInput.set(left, 1);
    nodeInput.set(right, 33);
    return hash("sha256", nodeInput, "buffer");
  }
  return createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest();
}

/**
 * nodeHash on hex strings. Hex in and out avoids allocating an ArrayBuffer per hash, which costs more than
 * the hash itself when a million-leaf tree is rebuilt. Inputs must be 64-char lowercase hex.
 */
export function nodeHashHex(leftHex: string, rightHex: string): string {
  // One write of the joined text: each Buffer#write call costs about as much as decoding 64 characters.
  nodeInput.write(leftHex + rightHex, 1, 64, "hex");
  return hash("sha256", nodeInput, "hex");
}

/**
 * nodeHash on nodes given as 64-char lowercase hex or as 32-char latin1 ("binary") text, one character
 * per byte, in any mix, returning latin1 text. A verification rebuilding a million-leaf tree makes a million of these:
 * latin1 in and out halves the text handled and skips the hex decoding of every interior node, and a
 * string result costs less than a Buffer. The length tells the two forms apart.
 */
export function nodeHashPacked(left: string, right: string): string {
  nodeInput.write(left, 1, 32, left.length === 64 ? "hex" : "latin1");
  nodeInput.write(right, 33, 32, right.length === 64 ? "hex" : "latin1");
  return hash("sha256", nodeInput, "binary");
}

/** A node in either form of nodeHashPacked, as 64-char hex. */
export function packedToHex(node: string): string {
  return node.length === 64 ? node : Buffer.from(node, "latin1").toString("hex");
}

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

/** MTH of the empty tree is SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash("sha256").digest();

/** Root over already-hashed leaves, splitting at the largest power of two below n (RFC 6962). */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  return subtreeRoot(hashes, 0, hashes.length);
}

export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  return rootFromLeafHashes(leaves.map(leafHash));
}

function subtreeRoot(hashes: readonly Uint8Array[], start: number, end: number): Buffer {
  const n = end - start;
  if (n === 1) return Buffer.from(hashes[start] as Uint8Array);
  const k = largestPowerOfTwoBelow(n);
  return nodeHash(subtreeRoot(hashes, start, start + k), subtreeRoot(hashes, start + k, end));
}

/** Largest power of two strictly less than n (n >= 2). */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * RFC 6962 §2.1.2 consistency proof that the tree over the first `m` leaves is a prefix of the tree over
 * all of `leafHashes` (n = leafHashes.length). Empty when m = n or m = 0 (every tree extends the empty one).
 */
export function consistencyProof(m: number, leafHashes: readonly Uint8Array[]): Buffer[] {
  const n = leafHashes.length;
  if (!Number.isInteger(m) || m < 0 || m > n) {
    throw new RangeError(`consistencyProof: old size ${m} must be an integer in 0..${n}`);
  }
  if (m === 0 || m === n) return [];
  const proof: Buffer[] = [];
  subproof(m, leafHashes, 0, n, true, proof);
  return proof;
}

function subproof(
  m: number,
  hashes: readonly Uint8Array[],
  start: number,
  end: number,
  complete: boolean,
  out: Buffer[],
): void {
  const n = end - start;
  if (m === n) {
    if (!complete) out.push(subtreeRoot(hashes, start, end));
    return;
  }
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) {
    subproof(m, hashes, start, start + k, complete, out);
    out.push(subtreeRoot(hashes, start + k, end));
  } else {
    subproof(m - k, hashes, start + k, end, false, out);
    out.push(subtreeRoot(hashes, start, start + k));
  }
}

/**
 * RFC 9162 §2.1.4.2: checks that `oldRoot` (size m) and `newRoot` (size n) come from the same append-only
 * tree, given only the two roots and the proof. This is what a third party holding two signed checkpoints
 * runs; it needs no leaves.
 */
export function verifyConsistency(
  m: number,
  n: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 0 || m > n) return false;
  if (m === n) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (m === 0) return proof.length === 0;
  const path: Uint8Array[] = isPowerOfTwo(m) ? [oldRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  // fn/sn are the indexes of the last leaf of each tree; the walk climbs both in step. Plain arithmetic
  // (not bitwise) keeps sizes above 2^31 correct.
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0] as Uint8Array;
  let sr: Uint8Array = fr;
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * RFC 6962 §2.1.1 audit path (inclusion proof) for leaf `index` in the tree over all of `leafHashes`,
 * sibling hashes from the leaf up.
 */
export function inclusionProof(index: number, leafHashes: readonly Uint8Array[]): Buffer[] {
  const n = leafHashes.length;
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new RangeError(`inclusionProof: leaf index ${index} must be an integer in 0..${n - 1}`);
  }
  const proof: Buffer[] = [];
  const path = (m: number, start: number, end: number): void => {
    const size = end - start;
    if (size === 1) return;
    const k = largestPowerOfTwoBelow(size);
    if (m < k) {
      path(m, start, start + k);
      proof.push(subtreeRoot(leafHashes, start + k, end));
    } else {
      path(m - k, start + k, end);
      proof.push(subtreeRoot(leafHashes, start, start + k));
    }
  };
  path(index, 0, n);
  return proof;
}

/** RFC 9162 §2.1.3.2: checks an inclusion proof of `leaf` (a leaf hash) at `index` in a tree of `size`. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}
