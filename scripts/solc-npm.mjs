#!/usr/bin/env node
// A `solc` executable for py-solc-x backed by the npm `solc` package (a WebAssembly build of the
// compiler): no native binary can be downloaded here. It answers the two things py-solc-x asks:
// `--version` and `--standard-json` (input on stdin, output on stdout). The `solcjs` CLI cannot
// stand in, because it prints a stray line before the JSON. Imports that are not in the input
// (`@openzeppelin/...`) are read from the project's node_modules, and nowhere else.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const solc = require("solc");
const modules = join(root, "node_modules");

function readInside(base, path) {
  const resolved = normalize(join(base, path));
  if (!resolved.startsWith(base + sep)) return null;
  try {
    return readFileSync(resolved, "utf8");
  } catch {
    return null;
  }
}

function findImports(path) {
  const contents = readInside(process.cwd(), path) ?? readInside(modules, path);
  return contents === null ? { error: `cannot read import ${path}` } : { contents };
}

const args = process.argv.slice(2);
if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.includes("--standard-json")) {
  const input = readFileSync(0, "utf8");
  process.stdout.write(solc.compile(input, { import: findImports }));
} else {
  process.stderr.write("solc-npm: only --version and --standard-json are supported\n");
  process.exit(2);
}
