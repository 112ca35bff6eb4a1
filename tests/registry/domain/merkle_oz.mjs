// Reference for tests/registry/test_merkle.py: what @openzeppelin/merkle-tree itself computes.
//
// Usage: node merkle_oz.mjs INPUT.json OUTPUT.json
//   INPUT:  {"entries": ["0x…", …]}            one `bytes` value per leaf
//   OUTPUT: {"root": "0x…", "leaves": [leaf hash per entry, input order],
//            "proofs": [[…] per entry, input order], "tree": [all nodes, OZ layout]}
// The package is resolved from this file's location, i.e. the repository's node_modules.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");

const [input, output] = process.argv.slice(2);
const { entries } = JSON.parse(readFileSync(input, "utf8"));
const tree = StandardMerkleTree.of(entries.map((e) => [e]), ["bytes"]);
writeFileSync(
  output,
  JSON.stringify({
    root: tree.root,
    leaves: entries.map((e) => tree.leafHash([e])),
    proofs: entries.map((_, i) => tree.getProof(i)),
    tree: tree.dump().tree,
  }),
);
