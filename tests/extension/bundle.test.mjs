import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { BUNDLE, bundleContent } from "../../scripts/bundle-content.mjs";

test("content/bundle.js is built from the current content modules (else: npm run bundle)", async () => {
  assert.ok((await bundleContent()) === readFileSync(BUNDLE, "utf8"), "extension/content/bundle.js is stale: run `npm run bundle` and commit it");
});

test("the content script imports nothing at run time (no module would be reachable)", () => {
  const code = readFileSync(BUNDLE, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
  assert.doesNotMatch(code, /\bimport\s*\(|\bimport\s+[\w{*]|getURL\(/);
});
