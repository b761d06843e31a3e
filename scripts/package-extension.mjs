// Store-ready packages of the extension, one command: `npm run package` (options: --out DIR).
//
// From the one source folder (extension/, loaded unpacked by developers and the tests) it stages a tree per store
// with only the files the extension runs, and a manifest fitted to it:
//   chrome   Chrome Web Store: no `key` (the store gives the id), no `background.scripts`, no Firefox settings;
//   firefox  addons.mozilla.org: no `key`, no `background.service_worker`, no `minimum_chrome_version`;
// lints the Firefox tree with `web-ext lint` (any error or warning fails the command), and zips both trees with
// `web-ext build` into DIR (default dist/): omamori-chrome-VERSION.zip and omamori-firefox-VERSION.zip.
// The lint result is written beside them (lint-firefox.json) for the tests to read.

import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE = join(ROOT, "extension");
const WEB_EXT = join(ROOT, "node_modules", ".bin", "web-ext");
// Files in extension/ that are for developers, not for the browser.
const NOT_RUNTIME = new Set(["README.md", "jsconfig.json", "ids.json"]);

const STORES = {
  chrome(manifest) {
    delete manifest.background.scripts;
    delete manifest.browser_specific_settings;
  },
  firefox(manifest) {
    delete manifest.background.service_worker;
    delete manifest.minimum_chrome_version;
  },
};

function stage(store, staging) {
  const tree = join(staging, store);
  rmSync(tree, { recursive: true, force: true });
  cpSync(SOURCE, tree, { recursive: true, filter: (path) => !NOT_RUNTIME.has(basename(path)) });
  const manifest = JSON.parse(readFileSync(join(SOURCE, "manifest.json"), "utf8"));
  delete manifest.key; // the development id's public key: the stores refuse it
  STORES[store](manifest);
  writeFileSync(join(tree, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return { tree, version: manifest.version };
}

function webExt(args) {
  return execFileSync(WEB_EXT, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

const { values } = parseArgs({ options: { out: { type: "string", default: join(ROOT, "dist") } } });
const out = resolve(values.out);
const staging = join(out, "staging");
mkdirSync(out, { recursive: true });

const trees = Object.fromEntries(Object.keys(STORES).map((store) => [store, stage(store, staging)]));

let lint;
try {
  lint = webExt(["lint", "--source-dir", trees.firefox.tree, "--output", "json", "--no-config-discovery"]);
} catch (error) {
  lint = error.stdout; // web-ext exits non-zero on errors; its JSON report is still on stdout
}
writeFileSync(join(out, "lint-firefox.json"), lint);
const { summary, errors, warnings } = JSON.parse(lint);
for (const problem of [...errors, ...warnings]) {
  console.error(`web-ext lint: ${problem.code} ${problem.file ?? ""}: ${problem.message}`);
}
if (summary.errors || summary.warnings) {
  console.error(`web-ext lint: ${summary.errors} errors, ${summary.warnings} warnings: no package was made.`);
  process.exit(1);
}
console.log("web-ext lint (Firefox package): 0 errors, 0 warnings");

for (const [store, { tree, version }] of Object.entries(trees)) {
  const filename = `omamori-${store}-${version}.zip`;
  webExt(["build", "--source-dir", tree, "--artifacts-dir", out, "--filename", filename, "--overwrite-dest",
    "--no-config-discovery"]);
  console.log(join(out, filename));
}
