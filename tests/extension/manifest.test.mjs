import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { NATIVE_HOST_NAME, SITES } from "../../extension/lib/messages.js";

const EXTENSION = fileURLToPath(new URL("../../extension/", import.meta.url));
const manifest = JSON.parse(readFileSync(join(EXTENSION, "manifest.json"), "utf8"));
const ids = JSON.parse(readFileSync(new URL("../../native_host/omamori/data/extension_ids.json", import.meta.url), "utf8"));

/** Every file under the extension folder, as paths relative to it. */
function walk(dir = EXTENSION) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [relative(EXTENSION, join(dir, entry.name))],
  );
}

/** The source of the extension's own code (the bundle is generated from content/). */
const SOURCES = walk().filter((path) => path.endsWith(".js") && path !== "content/bundle.js");
const code = SOURCES.map((path) => readFileSync(join(EXTENSION, path), "utf8")).join("\n");

test("the ids the package ships (extension_ids.json) match the manifest: Chromium id from the key, Firefox id, host name", () => {
  // Chromium: first 128 bits of SHA-256 of the DER public key, hex digits 0-f written as a-p.
  const digest = createHash("sha256").update(Buffer.from(manifest.key, "base64")).digest("hex").slice(0, 32);
  const id = [...digest].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join("");
  assert.equal(ids.chrome_extension_id, id);
  assert.equal(ids.gecko_id, manifest.browser_specific_settings.gecko.id);
  assert.equal(ids.native_host_name, NATIVE_HOST_NAME);
});

test("content scripts run on the sites of SITES and nowhere else, with host access to exactly those", () => {
  const patterns = Object.values(SITES).flatMap(({ origins }) => origins.map((origin) => `${origin}/*`));
  assert.deepEqual(manifest.host_permissions, patterns);
  assert.deepEqual(manifest.content_scripts.flatMap((c) => c.matches), patterns);
});

/** The files a page loads (script src, stylesheet href), relative to the extension folder. */
function loadedBy(page) {
  const html = readFileSync(join(EXTENSION, page), "utf8");
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map(([, ref]) => join(dirname(page), ref));
}

/** A module's relative imports, relative to the extension folder. */
function importsOf(path) {
  const source = readFileSync(join(EXTENSION, path), "utf8");
  return [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gms)].map(([, ref]) => join(dirname(path), ref));
}

test("every file the manifest names exists, and so does everything its pages and modules load", () => {
  const named = [
    manifest.background.service_worker,
    ...manifest.background.scripts,
    ...manifest.content_scripts.flatMap((c) => c.js),
    manifest.action.default_popup,
    manifest.options_ui.page,
    "options/privacy.html", // opened from the options page
    "welcome/welcome.html", // opened by the background at install, and from the options page
    ...Object.values(manifest.icons),
    ...Object.values(manifest.action.default_icon),
  ];
  const seen = new Set();
  const queue = [...named];
  while (queue.length) {
    const path = queue.shift();
    if (seen.has(path)) continue;
    seen.add(path);
    assert.ok(existsSync(join(EXTENSION, path)), `${path} is missing`);
    if (path.endsWith(".html")) queue.push(...loadedBy(path));
    if (path.endsWith(".js")) queue.push(...importsOf(path));
  }
  // and nothing of the extension's code is left out of what loads (the bundle stands for content/)
  const loaded = [...seen].filter((path) => path.endsWith(".js"));
  const bundled = readFileSync(join(EXTENSION, "content/bundle.js"), "utf8");
  for (const path of SOURCES) {
    assert.ok(loaded.includes(path) || bundled.includes(`// ${path}\n`), `${path} is loaded by nothing`);
  }
});

/** What each permission lets the code do, as the code calls it. */
const PERMISSION_USES = Object.freeze({
  nativeMessaging: /\.connectNative\(/,
  storage: /\bext\.storage\.(local|session|onChanged)\b/,
  contextMenus: /\bext\.contextMenus\./,
  scripting: /\bext\.scripting\.executeScript\(/,
  // The context menu's click grants the tab: the panel is injected there before any site access is granted.
  activeTab: /\bext\.contextMenus\.onClicked\b[\s\S]*\bscripting\.executeScript\(/,
});

test("every permission the manifest asks for is used by the code, and every API that needs one is declared", () => {
  for (const permission of manifest.permissions) {
    assert.ok(Object.hasOwn(PERMISSION_USES, permission), `${permission}: what uses it?`);
    assert.match(code, PERMISSION_USES[permission], `${permission} is asked for but not used`);
  }
  for (const [permission, use] of Object.entries(PERMISSION_USES)) {
    if (use.test(code)) assert.ok(manifest.permissions.includes(permission), `${permission} is used but not asked for`);
  }
  // Site access beyond SITES is asked for at the click ("is this mine?"), never at install.
  assert.match(code, /\bext\.permissions\.request\(/);
  assert.deepEqual(manifest.optional_host_permissions, ["https://*/*", "http://*/*"]);
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
  for (const path of walk()) {
    if (/\.(png)$/.test(path)) continue;
    assert.ok(!readFileSync(join(EXTENSION, path), "utf8").includes("PRIVATE KEY"), path);
  }
});
