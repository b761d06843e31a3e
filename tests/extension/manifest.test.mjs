import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { NATIVE_HOST_NAME, SITES, X_ORIGINS } from "../../extension/lib/messages.js";

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

test("the sites' hosts and nothing else: X's (x.com, twitter.com, mobile.x.com, X Pro) and Bluesky's (bsky.app)", () => {
  const xPatterns = X_ORIGINS.map((origin) => `${origin}/*`);
  assert.deepEqual(xPatterns, [
    "https://x.com/*",
    "https://twitter.com/*",
    "https://mobile.x.com/*",
    "https://pro.x.com/*",
    "https://pro.twitter.com/*",
  ]);
  const patterns = Object.values(SITES).flatMap(({ origins }) => origins.map((origin) => `${origin}/*`));
  assert.deepEqual(patterns, [...xPatterns, "https://bsky.app/*"]);
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

test("no web-accessible resources: a page cannot find omamori by fetching its files", () => {
  // Chromium's extension id is fixed by the manifest key; any web-accessible file would answer an x.com page's
  // fetch of chrome-extension://<id>/<file> and so tell it omamori is installed.
  assert.equal(manifest.web_accessible_resources, undefined);
  assert.deepEqual(
    manifest.content_scripts.map((c) => c.js),
    [["content/bundle.js"]],
  );
});

test("no private key in the extension folder", () => {
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  for (const path of walk(EXTENSION)) {
    if (/\.(png)$/.test(path)) continue;
    assert.ok(!readFileSync(path, "utf8").includes("PRIVATE KEY"), path);
  }
});
