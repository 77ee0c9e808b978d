import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import {
  consistencyProof,
  EMPTY_ROOT,
  leafHash,
  merkleRoot,
  nodeHash,
  nodeHashHex,
  rootFromLeafHashes,
  verifyConsistency,
} from "./merkle.ts";

const golden = JSON.parse(
  readFileSync(new URL("../../test/fixtures/ledger/rfc6962-golden-roots.json", import.meta.url), "utf8"),
) as {
  leavesHex: string[];
  rootsHex: string[];
  consistencyProofs: { size1: number; size2: number; proof: string[] }[];
};
const leaves = golden.leavesHex.map((h) => Buffer.from(h, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("RFC 6962 golden roots for the empty tree and 1..8 leaves", () => {
  assert.equal(hex(EMPTY_ROOT), golden.rootsHex[0]);
  for (let n = 0; n <= 8; n++)
    assert.equal(hex(merkleRoot(leaves.slice(0, n))), golden.rootsHex[n], `size ${n}`);
});

test("nodeHashHex agrees with nodeHash", () => {
  const a = leafHash(Buffer.from("a"));
  const b = leafHash(Buffer.from("b"));
  assert.equal(nodeHashHex(hex(a), hex(b)), hex(nodeHash(a, b)));
});

test("transparency-dev consistency proofs: we produce them and they verify", () => {
  const hashes = leaves.map(leafHash);
  for (const v of golden.consistencyProofs) {
    const proof = consistencyProof(v.size1, hashes.slice(0, v.size2));
    assert.deepEqual(proof.map(hex), v.proof, `${v.size1}->${v.size2}`);
    const r1 = Buffer.from(golden.rootsHex[v.size1] as string, "hex");
    const r2 = Buffer.from(golden.rootsHex[v.size2] as string, "hex");
    assert.equal(verifyConsistency(v.size1, v.size2, r1, r2, proof), true);
  }
});

test("corrupted consistency proofs are rejected (transparency-dev probes)", () => {
  const some = Buffer.from("abacaba000000000000000000000000000000000000000000060061e00123456", "hex");
  for (const v of golden.consistencyProofs.filter((p) => p.proof.length > 0)) {
    const r1 = Buffer.from(golden.rootsHex[v.size1] as string, "hex");
    const r2 = Buffer.from(golden.rootsHex[v.size2] as string, "hex");
    const proof = v.proof.map((h) => Buffer.from(h, "hex"));
    const probes: [number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
      [v.size1 - 1, v.size2, r1, r2, proof],
      [v.size1 + 1, v.size2, r1, r2, proof],
      [v.size1 ^ 2, v.size2, r1, r2, proof],
      [v.size1, v.size2 * 2, r1, r2, proof],
      [v.size1, Math.floor(v.size2 / 2), r1, r2, proof],
      [v.size1, v.size2, Buffer.from("WrongRoot"), r2, proof],
      [v.size1, v.size2, r1, Buffer.from("WrongRoot"), proof],
      [v.size1, v.size2, r2, r1, proof],
      [v.size1, v.size2, r1, r2, []],
      [v.size1, v.size2, r1, r2, [...proof, Buffer.alloc(0)]],
      [v.size1, v.size2, r1, r2, [...proof, r1]],
      [v.size1, v.size2, r1, r2, [...proof, r2]],
      [v.size1, v.size2, r1, r2, [Buffer.alloc(0), ...proof]],
      [v.size1, v.size2, r1, r2, [r1, ...proof]],
      [v.size1, v.size2, r1, r2, [r2, ...proof]],
      [v.size1, v.size2, r1, r2, [proof[0] as Buffer, ...proof]],
      [v.size1, v.size2, r1, r2, proof.slice(0, -1)],
      [v.size1, v.size2, r1, r2, [some, ...proof.slice(1)]],
    ];
    proof.forEach((_, i) => {
      const bent = proof.map((p) => Buffer.from(p));
      const b = bent[i] as Buffer;
      b[0] = (b[0] as number) ^ 16;
      probes.push([v.size1, v.size2, r1, r2, bent]);
    });
    for (const [m, n, a, b, p] of probes) {
      assert.equal(verifyConsistency(m, n, a, b, p), false, `${v.size1}->${v.size2} probe m=${m} n=${n}`);
    }
  }
});

test("consistency edge cases (transparency-dev TestVerifyConsistency)", () => {
  const r1 = Buffer.from("don't care 1");
  const r2 = Buffer.from("don't care 2");
  assert.equal(verifyConsistency(0, 0, r1, r2, []), false);
  assert.equal(verifyConsistency(1, 1, r1, r2, []), false);
  assert.equal(verifyConsistency(0, 0, r1, r1, []), true);
  assert.equal(verifyConsistency(0, 1, r1, r2, []), true);
  assert.equal(verifyConsistency(1, 0, r1, r2, []), false);
  assert.equal(verifyConsistency(2, 1, r1, r2, []), false);
  assert.equal(verifyConsistency(1, 2, r1, r2, []), false);
  assert.equal(verifyConsistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]), false);
  assert.equal(verifyConsistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]), false);
});

test("every consistency proof between sizes 1..40 verifies, and fails against another tree", () => {
  const hashes = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const other = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from(`other ${i}`)));
  for (let n = 1; n <= 40; n++) {
    const rn = rootFromLeafHashes(hashes.slice(0, n));
    for (let m = 1; m <= n; m++) {
      const rm = rootFromLeafHashes(hashes.slice(0, m));
      const proof = consistencyProof(m, hashes.slice(0, n));
      assert.equal(verifyConsistency(m, n, rm, rn, proof), true, `${m}->${n}`);
      if (m < n) {
        const forged = rootFromLeafHashes([...other.slice(0, m), ...hashes.slice(m, n)]);
        assert.equal(verifyConsistency(m, n, rm, forged, proof), false, `forged ${m}->${n}`);
      }
    }
  }
});

test("consistency proofs hold for random sizes (property)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 300 }), (n, mm) => {
      const m = 1 + (mm % n);
      const hashes = Array.from({ length: n }, (_, i) => leafHash(Buffer.from([i & 255, i >> 8])));
      const proof = consistencyProof(m, hashes);
      return verifyConsistency(
        m,
        n,
        rootFromLeafHashes(hashes.slice(0, m)),
        rootFromLeafHashes(hashes),
        proof,
      );
    }),
    { numRuns: 60 },
  );
});
