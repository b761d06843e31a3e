// The live signature preview (lib/signature-preview.js) and refused values shown next to their field
// (lib/field-errors.js), in a happy-dom page with a stand-in for the background.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Window } from "happy-dom";

import { en, i18n } from "./i18n-stand-in.mjs";

globalThis.chrome = { i18n };
const { mountSignaturePreview } = await import("../../extension/lib/signature-preview.js");
const { clearFieldErrors, fieldErrorText, showFieldError } = await import("../../extension/lib/field-errors.js");
const { CodedError } = await import("../../extension/lib/messages.js");

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0]).toString("base64");
const DRAWN = { en: "Drew your signature “@yuki” in the bottom-right corner.", ja: "署名「@yuki」を右下に入れました。" };

function page(html = "<div id=preview></div>") {
  const window = new Window({ url: "chrome-extension://omamori/options/options.html" });
  window.document.body.innerHTML = html;
  return { document: window.document, close: () => window.happyDOM.close() };
}

/** A background that answers each signature.preview when `release(n)` is called, in any order. */
function heldBackground() {
  const asked = [];
  return {
    asked,
    ask: (message) =>
      new Promise((resolve, reject) => asked.push({ message, resolve, reject })),
  };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const result = (text) => ({ image: JPEG, mime: "image/jpeg", signature: { applied: true, message: { en: text, ja: text } }, skipped: null, font: null });

test("changes in quick succession ask the host once, with the last values", async () => {
  const { document, close } = page();
  const background = heldBackground();
  const preview = mountSignaturePreview(document.getElementById("preview"), { ask: background.ask, debounceMs: 20 });
  for (const opacity of [0.1, 0.2, 0.3]) preview.show({ "signature.opacity": opacity });
  const container = document.getElementById("preview");
  assert.equal(container.dataset.state, "drawing");
  assert.equal(container.querySelector("[role=status]").textContent, en.signature_preview_drawing.message);
  await pause(60);
  assert.deepEqual(background.asked.map(({ message }) => message), [{ type: "signature.preview", options: { "signature.opacity": 0.3 } }]);
  background.asked[0].resolve({ ...result(DRAWN.en), signature: { applied: true, message: DRAWN } });
  await pause(0);
  assert.equal(container.dataset.state, "drawn");
  assert.equal(container.querySelector("[role=status]").textContent, DRAWN.en);
  const picture = container.querySelector("img");
  assert.equal(picture.hidden, false);
  assert.match(picture.src, /^blob:/);
  await close();
});

test("the latest request wins: an older answer that arrives last is not shown", async () => {
  const { document, close } = page();
  const background = heldBackground();
  const answers = [];
  const preview = mountSignaturePreview(document.getElementById("preview"), {
    ask: background.ask, debounceMs: 0, onAnswer: (answer) => { answers.push(answer); },
  });
  preview.show({ "signature.text": "@old" });
  await pause(5);
  preview.show({ "signature.text": "@new" });
  await pause(5);
  assert.equal(background.asked.length, 2);
  background.asked[1].resolve(result("new"));
  await pause(0);
  background.asked[0].resolve(result("old"));
  await pause(0);
  const status = document.querySelector("[role=status]");
  assert.equal(status.textContent, "new");
  assert.deepEqual(answers.map((answer) => answer.result.signature.message.en), ["new"]);
  await close();
});

test("a refusal is said in the preview, or pointed to when the page shows it at its field", async () => {
  const { document, close } = page();
  const refusal = new CodedError("bad_setting", { en: "A setting has a value omamori cannot use.", ja: "設定の値が使えません。" },
    { field: "signature.opacity", value: "1.5", rule: "range", low: 0.05, high: 1 });
  for (const [shownAtField, said] of [[false, "A setting has a value omamori cannot use."], [true, en.signature_preview_see_field.message]]) {
    const preview = mountSignaturePreview(document.getElementById("preview"), {
      ask: async () => { throw refusal; }, debounceMs: 0, onAnswer: ({ error }) => error?.code === "bad_setting" && shownAtField,
    });
    preview.show({ "signature.opacity": 1.5 });
    await pause(5);
    assert.equal(document.getElementById("preview").dataset.state, "failed");
    assert.equal(document.querySelector("[role=status]").textContent, said);
  }
  await close();
});

test("a skipped signature says why, under the picture", async () => {
  const { document, close } = page();
  const skipped = { reason: "font_missing", message: { en: "no signature: no font draws “🌸”", ja: "署名なし" } };
  const preview = mountSignaturePreview(document.getElementById("preview"), {
    ask: async () => ({ ...result("unused"), signature: { applied: false, message: { en: "x", ja: "x" } }, skipped }), debounceMs: 0,
  });
  preview.show({});
  await pause(5);
  assert.equal(document.getElementById("preview").dataset.state, "skipped");
  assert.equal(document.querySelector("[role=status]").textContent, skipped.message.en);
  await close();
});

const FORM = `<form id=f>
  <input type=number id=signature-opacity name=signature.opacity data-scale=100>
  <input type=text id=signature-text name=signature.text>
  <input type=number id=output-max-side name=output.max_side>
</form>`;

test("a refused value is shown next to its field, in the field's own units, and taken away", async () => {
  const { document, close } = page(FORM);
  const form = document.getElementById("f");
  const opacity = { code: "bad_setting", details: { field: "signature.opacity", value: "1.5", rule: "range", low: 0.05, high: 1 } };
  assert.equal(showFieldError(form, opacity), true);
  const control = document.getElementById("signature-opacity");
  const note = control.nextElementSibling;
  assert.equal(note.textContent, "Enter a number from 5 to 100.");
  assert.equal(control.getAttribute("aria-invalid"), "true");
  assert.equal(control.getAttribute("aria-describedby"), note.id);
  const side = { code: "bad_setting", details: { field: "output.max_side", value: "100", rule: "max_side", low: 256, high: 4096 } };
  showFieldError(form, side);
  clearFieldErrors(form, (name) => name.startsWith("signature."));
  assert.equal(control.hasAttribute("aria-invalid"), false);
  assert.equal(form.querySelectorAll(".field-error").length, 1, "the longest side's error stays");
  clearFieldErrors(form);
  assert.equal(form.querySelectorAll(".field-error, [aria-invalid]").length, 0);
  assert.equal(showFieldError(form, { code: "host_disconnected", details: {} }), false, "an error of no field");
  assert.equal(showFieldError(form, { code: "bad_setting", details: { field: "cloak.strength" } }), false, "a field not on this form");
  await close();
});

test("each rule has its own sentence; others fall back to the host's", () => {
  const { document } = page(FORM);
  const text = document.getElementById("signature-text");
  assert.equal(fieldErrorText({ code: "bad_setting", details: { rule: "text_empty" } }, text), en.field_error_text_empty.message);
  assert.equal(fieldErrorText({ code: "bad_setting", details: { rule: "text_length", limit: 200 } }, text), "Use at most 200 characters.");
  assert.equal(fieldErrorText({ code: "signature_unprintable", details: { chars: "🌸" } }, text),
    "No font on this computer can draw these characters: 🌸. Remove them or choose another font.");
  assert.equal(fieldErrorText({ code: "bad_setting", message: { en: "Host says.", ja: "ホスト" }, details: { rule: "conflicting" } }, text), "Host says.");
});
