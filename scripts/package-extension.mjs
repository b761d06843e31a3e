// Store-ready packages of the extension, one command: `npm run package` (options: --out DIR).
//
// From the one source folder (extension/, loaded unpacked by developers and the tests) it stages a tree per store
// with only the files the extension runs -- what the manifest names, what those pages and scripts load (scripts,
// styles, static imports), the locales and the privacy policy; not the sources of a bundle -- and a manifest fitted
// to each store:
//   chrome   Chrome Web Store: no `key` (the store gives the id), no `background.scripts`, no Firefox settings;
//   firefox  addons.mozilla.org: no `key`, no `background.service_worker`, no `minimum_chrome_version`;
// lints the Firefox tree with `web-ext lint` (any error or warning fails the command), and zips both trees with
// `web-ext build` into DIR (default dist/): omamori-chrome-VERSION.zip and omamori-firefox-VERSION.zip.
// The lint result is written beside them (lint-firefox.json) for the tests to read.

import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE = join(ROOT, "extension");
const WEB_EXT = join(ROOT, "node_modules", ".bin", "web-ext");
const ALWAYS = ["_locales", "PRIVACY.md"]; // read by the browser (i18n) and by options/privacy.js (fetch)
// What a page or a script loads: <script src>, <link href>, a link to another of its pages (<a href>),
// `import ... from "x"`, `import "x"`, CSS url(x).
const LOADS = [/<script[^>]*\ssrc="([^"]+)"/g, /<(?:link|a)[^>]*\shref="([^"]+)"/g,
  /^\s*import\s[^;]*?from\s*"([^"]+)"/gms,
  /^\s*import\s*"([^"]+)"/gm, /url\(\s*['"]?([^'")]+)['"]?\s*\)/g];

/** Every file the extension runs, as paths relative to extension/: the manifest's, then what they load. */
function runtimeFiles(manifest) {
  const named = [
    manifest.background.service_worker, ...(manifest.background.scripts ?? []),
    ...manifest.content_scripts.flatMap((script) => [...(script.js ?? []), ...(script.css ?? [])]),
    manifest.action?.default_popup, manifest.options_ui?.page,
    ...Object.values(manifest.icons ?? {}), ...Object.values(manifest.action?.default_icon ?? {}),
    ...(manifest.web_accessible_resources ?? []).flatMap((entry) => entry.resources),
  ].filter(Boolean);
  const found = new Set();
  const queue = named.map((path) => posix.normalize(path));
  while (queue.length) {
    const path = queue.pop();
    if (found.has(path)) continue;
    if (!existsSync(join(SOURCE, path))) throw new Error(`extension/${path} is named but does not exist`);
    found.add(path);
    if (!/\.(html|js|css)$/.test(path)) continue;
    const text = readFileSync(join(SOURCE, path), "utf8");
    for (const pattern of LOADS) {
      for (const [, target] of text.matchAll(pattern)) {
        if (/^[a-z]+:|^\/\//i.test(target) || target.startsWith("#")) continue; // another origin, or an anchor
        queue.push(posix.normalize(posix.join(posix.dirname(path), target)));
      }
    }
  }
  return [...found, ...ALWAYS];
}

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
  const manifest = JSON.parse(readFileSync(join(SOURCE, "manifest.json"), "utf8"));
  for (const path of runtimeFiles(manifest)) cpSync(join(SOURCE, path), join(tree, path), { recursive: true });
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
