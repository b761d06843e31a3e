import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { LOCAL_ERROR_CODES, X_SETTINGS, X_SETTING_STATES, SITES } from "../../extension/lib/messages.js";

const EXTENSION = fileURLToPath(new URL("../../extension/", import.meta.url));
const load = (language) => JSON.parse(readFileSync(join(EXTENSION, "_locales", language, "messages.json"), "utf8"));
const en = load("en");
const ja = load("ja");

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "_locales") yield* files(path);
    else if (/\.(js|html|json)$/.test(entry.name)) yield path;
  }
}
const sources = [...files(EXTENSION)].map((path) => ({ path: relative(EXTENSION, path), text: readFileSync(path, "utf8") }));

/** Keys built at run time from a code or a setting name, and the families they belong to. */
const PROTOCOL_STAGES = ["decode", "signature", "cloak", "mark", "encode", "verify", "done"]; // docs/protocol.md progress stages
const dynamicKeys = [
  ...LOCAL_ERROR_CODES.map((code) => `error_${code}`),
  ...X_SETTINGS.flatMap((setting) => X_SETTING_STATES.map((state) => `banner_${setting}_${state}`)),
  ...PROTOCOL_STAGES.map((stage) => `stage_${stage}`),
  ...Object.keys(SITES).flatMap((site) => [`site_name_${site}`, `site_short_${site}`]),
];
const DYNAMIC_FAMILIES = /^(error|banner|stage|step)_/;

test("English and Japanese have the same keys, each with a description for translators", () => {
  assert.deepEqual(Object.keys(ja).sort(), Object.keys(en).sort());
  for (const [key, entry] of Object.entries(en)) {
    assert.ok(entry.message.trim(), `en ${key}: empty`);
    assert.ok(ja[key].message.trim(), `ja ${key}: empty`);
    assert.ok(entry.description?.length > 5, `${key}: no description`);
    assert.ok(/^[A-Za-z0-9_@]+$/.test(key), `${key}: only ASCII letters, digits and _ are valid in both browsers`);
  }
});

// One spelling per Japanese word (ブラウザー, サーバー, …) is checked over _locales and the host's catalog together:
// tests/test_catalog.py test_japanese_spells_each_word_one_way.
test("no literal backticks", () => {
  for (const [language, messages] of [["en", en], ["ja", ja]]) {
    for (const [key, { message }] of Object.entries(messages)) assert.ok(!message.includes("`"), `${language} ${key}: a backtick`);
  }
});

test("placeholders are declared, and the same in both languages", () => {
  for (const [key, entry] of Object.entries(en)) {
    for (const [language, messages] of [["en", en], ["ja", ja]]) {
      const used = [...messages[key].message.matchAll(/\$([A-Za-z_]+)\$/g)].map((m) => m[1].toLowerCase()).sort();
      const declared = Object.keys(messages[key].placeholders ?? {}).sort();
      assert.deepEqual(used, declared, `${language} ${key}`);
    }
    assert.deepEqual(ja[key].placeholders, entry.placeholders, `${key}: placeholders differ`);
  }
});

test("every key the code uses exists", () => {
  const used = new Set(dynamicKeys);
  for (const { text } of sources) {
    for (const m of text.matchAll(/\bt\("([A-Za-z0-9_]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/data-i18n(?:-[a-z-]+)?="([A-Za-z0-9_]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/__MSG_([A-Za-z0-9_]+)__/g)) used.add(m[1]);
    for (const m of text.matchAll(/getMessage\("([A-Za-z0-9_]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/\bmessage\("([A-Za-z0-9_]+)"/g)) used.add(m[1]);
    for (const list of text.matchAll(/\bremember\(\[([\s\S]*?)\]\)/g)) {
      for (const m of list[1].matchAll(/"([A-Za-z0-9_]+)"/g)) used.add(m[1]);
    }
  }
  for (const key of used) assert.ok(key in en, `${key} is used but missing from _locales/en`);
});

test("every key in _locales is used somewhere (no dead strings)", () => {
  const everything = sources.map((s) => s.text).join("\n");
  for (const key of Object.keys(en)) {
    if (dynamicKeys.includes(key)) continue;
    if (DYNAMIC_FAMILIES.test(key) && key.startsWith("step_")) continue; // host report steps, looked up by name
    assert.ok(everything.includes(`"${key}"`) || everything.includes(`__MSG_${key}__`), `${key} is never used`);
  }
});

test("no user-visible text hard-coded in the extension's HTML", () => {
  for (const { path, text } of sources.filter((s) => s.path.endsWith(".html"))) {
    const body = text.replace(/<(script|style)[\s\S]*?<\/\1>/g, "").replace(/<[^>]+>/g, " ");
    assert.equal(body.replace(/\s+/g, "").trim(), "", `${path} has text outside _locales: ${body.trim().slice(0, 60)}`);
  }
});
