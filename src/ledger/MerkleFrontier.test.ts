import assert from "node:assert/strict";
import { test } from "node:test";
import { foldRootHex, MerkleFrontier } from "./MerkleFrontier.ts";
import { leafHash, rootFromLeafHashes } from "./merkle.ts";

const hashes = Array.from({ length: 130 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));

test("the frontier root equals the full RFC 6962 root after every push (sizes 0..130)", () => {
  const f = new MerkleFrontier();
  assert.equal(f.root().toString("hex"), rootFromLeafHashes([]).toString("hex"));
  hashes.forEach((h, i) => {
    f.push(i % 2 === 0 ? h : h.toString("hex"));
    assert.equal(f.rootHex(), rootFromLeafHashes(hashes.slice(0, i + 1)).toString("hex"), `size ${i + 1}`);
    // The frontier holds one node per 1-bit of the size.
    assert.equal(f.nodesHex().length, (i + 1).toString(2).replace(/0/g, "").length);
  });
});

test("serialize/deserialize round-trips and clones are independent", () => {
  const f = new MerkleFrontier();
  for (const h of hashes.slice(0, 77)) f.push(h);
  const g = MerkleFrontier.deserialize(JSON.parse(JSON.stringify(f.serialize())));
  assert.equal(g.size, 77);
  assert.equal(g.rootHex(), f.rootHex());
  const c = f.clone();
  c.push(hashes[77] as Buffer);
  assert.equal(f.size, 77);
  assert.equal(c.rootHex(), rootFromLeafHashes(hashes.slice(0, 78)).toString("hex"));
  assert.throws(() => MerkleFrontier.deserialize({ size: 3, nodes: "zz" }), RangeError);
  assert.throws(() => new MerkleFrontier(3, [hashes[0] as Buffer]), RangeError);
});

test("an aligned prefix frontier joined with a block-local frontier gives the root (parallel verify)", () => {
  const block = 16;
  for (const size of [17, 31, 32, 33, 47, 64, 100, 130]) {
    const full = Math.floor((size - 1) / block) * block;
    const prefix = new MerkleFrontier();
    for (let b = 0; b < full; b += block) {
      const sub = new MerkleFrontier();
      for (const h of hashes.slice(b, b + block)) sub.push(h);
      prefix.push(sub.root());
    }
    const local = new MerkleFrontier();
    for (const h of hashes.slice(full, size)) local.push(h);
    assert.equal(
      foldRootHex([...prefix.nodesHex(), ...local.nodesHex()]),
      rootFromLeafHashes(hashes.slice(0, size)).toString("hex"),
      `size ${size}`,
    );
  }
});
