// The signature's look fields that the options page and the first-run page build from one table: a label for each
// control, the ids and test ids each page asks for, every text a _locales key, the settings the host knows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Window } from "happy-dom";

import { mountLookFields } from "../../extension/lib/look-fields.js";

const en = JSON.parse(readFileSync(new URL("../../extension/_locales/en/messages.json", import.meta.url), "utf8"));

function mounted(prefixes) {
  const window = new Window();
  window.document.body.innerHTML = '<form><span id="slot"></span></form>';
  mountLookFields(window.document.getElementById("slot"), prefixes);
  return window.document.querySelector("form");
}

test("each control follows its label, named by its setting, with the page's id and test id", () => {
  const form = mounted({ id: "look", testId: "welcome" });
  assert.equal(form.querySelector("#slot"), null);
  const pairs = [...form.querySelectorAll("label")].map((label) => [label, label.nextElementSibling]);
  assert.deepEqual(pairs.map(([, control]) => control.name),
    ["signature.placement", "signature.corner", "signature.opacity", "signature.tiled_opacity", "signature.size"]);
  for (const [label, control] of pairs) {
    assert.equal(label.htmlFor, control.id);
    assert.ok(control.id.startsWith("look-") && control.dataset.testid === `welcome-${control.id.slice(5)}`, control.id);
    assert.equal(label.dataset.placementOnly, control.dataset.placementOnly);
  }
  assert.equal(form.querySelector("#look-tiled-opacity").dataset.placementOnly, "tiled");
  assert.deepEqual([...form.querySelector("#look-corner").options].map((o) => o.value),
    ["bottom-right", "bottom-left", "top-right", "top-left"]);
});

test("percent fields show the 0-1 settings scaled, within the host's bounds", () => {
  const form = mounted({ id: "signature", testId: "options-signature" });
  const opacity = form.querySelector('[data-testid="options-signature-opacity"]');
  assert.deepEqual([opacity.type, opacity.min, opacity.max, opacity.dataset.scale], ["number", "5", "100", "100"]);
  assert.equal(form.querySelector("#signature-size").step, "0.5");
});

test("every label and choice is a _locales key", () => {
  const keys = [...mounted({ id: "a", testId: "b" }).querySelectorAll("[data-i18n]")].map((el) => el.dataset.i18n);
  assert.equal(keys.length, 5 + 2 + 4);
  for (const key of keys) assert.ok(key in en, key);
});
