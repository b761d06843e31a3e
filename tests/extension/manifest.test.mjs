import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { NATIVE_HOST_NAME, X_ORIGINS } from "../../extension/lib/messages.js";

const EXTENSION = fileURLToPath(new URL("../../extension/", import.meta.url));
const manifest = JSON.parse(readFileSync(join(EXTENSION, "manifest.json"), "utf8"));
const ids = JSON.parse(readFileSync(new URL("../../native_host/omamori/data/extension_ids.json", import.meta.url), "utf8"));

test("the ids the package ships (extension_ids.json) match the manifest: Chromium id from the key, Firefox id, host name", () => {
  // Chromium: first 128 bits of SHA-256 of the DER public key, hex digits 0-f written as a-p.
  const digest = createHash("sha256").update(Buffer.from(manifest.key, "base64")).digest("hex").slice(0, 32);
  const id = [...digest].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join("");
  assert.equal(ids.chrome_extension_id, id);
  assert.equal(ids.gecko_id, manifest.browser_specific_settings.gecko.id);
  assert.equal(ids.native_host_name, NATIVE_HOST_NAME);
});

test("one manifest for both families: service worker for Chromium, module event page for Firefox", () => {
  assert.equal(manifest.manifest_version, 3);
  assert.equal(manifest.background.service_worker, "background.js");
  assert.deepEqual(manifest.background.scripts, ["background.js"]);
  assert.equal(manifest.background.type, "module");
  assert.ok(manifest.permissions.includes("nativeMessaging"));
});

test("X's hosts and nothing else: x.com, twitter.com, mobile.x.com, X Pro (pro.x.com, pro.twitter.com)", () => {
  const patterns = X_ORIGINS.map((origin) => `${origin}/*`);
  assert.deepEqual(patterns, [
    "https://x.com/*",
    "https://twitter.com/*",
    "https://mobile.x.com/*",
    "https://pro.x.com/*",
    "https://pro.twitter.com/*",
  ]);
  assert.deepEqual(manifest.host_permissions, patterns);
  assert.deepEqual(manifest.content_scripts.flatMap((c) => c.matches), patterns);
});

test("every file the manifest names exists", () => {
  const named = [
    manifest.background.service_worker,
    ...manifest.content_scripts.flatMap((c) => c.js),
    manifest.action.default_popup,
    manifest.options_ui.page,
    ...Object.values(manifest.icons),
    ...Object.values(manifest.action.default_icon),
  ];
  for (const path of named) assert.ok(existsSync(join(EXTENSION, path)), path);
});

/** Relative imports of a module and of what it imports, as paths under extension/. */
function importGraph(start) {
  const seen = new Set();
  const visit = (path) => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = readFileSync(join(EXTENSION, path), "utf8");
    for (const m of text.matchAll(/(?:import|export)\s[^"']*?from\s+"(\.[^"]+)"/g)) {
      visit(relative(EXTENSION, resolve(dirname(join(EXTENSION, path)), m[1])));
    }
  };
  visit(start);
  return [...seen];
}

test("exactly the modules the content scripts load are web-accessible, on X's hosts only", () => {
  const [resources] = manifest.web_accessible_resources;
  assert.deepEqual(resources.matches, manifest.host_permissions);
  const loaded = importGraph("content/main.js");
  assert.ok(loaded.includes("content/selectors.js") && loaded.includes("lib/messages.js"));
  assert.deepEqual([...resources.resources].sort(), loaded.sort());
});

test("no private key in the extension folder", () => {
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  for (const path of walk(EXTENSION)) {
    if (/\.(png)$/.test(path)) continue;
    assert.ok(!readFileSync(path, "utf8").includes("PRIVATE KEY"), path);
  }
});
