// The first-run page's pure parts: the artist's name in the signature text, the install command for the
// computer's system, and where and how a refused setting is said (lib/field-error.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const en = JSON.parse(readFileSync(new URL("../../extension/_locales/en/messages.json", import.meta.url), "utf8"));
/** chrome.i18n as the browser answers it in English: $1 and named placeholders filled, "" for a missing key. */
globalThis.chrome = {
  i18n: {
    getUILanguage: () => "en-US",
    getMessage: (key, substitutions = []) => {
      const entry = en[key];
      if (!entry) return "";
      const values = [substitutions].flat();
      return entry.message.replace(/\$([A-Za-z_]+)\$/g, (_, name) => {
        const content = entry.placeholders[name.toLowerCase()].content;
        return values[Number(content.slice(1)) - 1] ?? "";
      });
    },
  },
};

const { nameInSignature, signatureWithName } = await import("../../extension/welcome/signature-name.js");
const { installCommandKeys } = await import("../../extension/lib/install-command.js");
const { fieldErrorText, fieldOfError } = await import("../../extension/lib/field-error.js");

const DEFAULT = "AI学習禁止 / No AI training";

test("the name goes before the default text, and is read back from it", () => {
  assert.equal(signatureWithName("  @yuki_draws ", DEFAULT), "@yuki_draws · AI学習禁止 / No AI training");
  assert.equal(nameInSignature(signatureWithName("ゆき", DEFAULT), DEFAULT), "ゆき");
  assert.equal(nameInSignature(DEFAULT, DEFAULT), ""); // the default names no one
  assert.equal(nameInSignature("© yuki 2026", DEFAULT), null); // a text the person wrote otherwise
  assert.equal(nameInSignature(` · ${DEFAULT}`, DEFAULT), null);
});

test("the install command is the shell installer, and PowerShell's on Windows", () => {
  for (const os of ["linux", "mac", "cros", "openbsd"]) {
    assert.equal(en[installCommandKeys(os).command].message, "sh installer/install.sh", os);
    assert.match(en[installCommandKeys(os).intro].message, /terminal/, os);
  }
  const windows = installCommandKeys("win");
  assert.equal(en[windows.command].message, "powershell -ExecutionPolicy Bypass -File installer\\install.ps1");
  assert.match(en[windows.intro].message, /PowerShell/);
});

test("the install commands are the ones README.md and installer/install.ps1 give", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const ps1 = readFileSync(new URL("../../installer/install.ps1", import.meta.url), "utf8");
  assert.ok(readme.includes(en.install_command.message));
  assert.ok(ps1.includes(`#   ${en.install_command_windows.message}`));
});

test("a refused setting names its field; the page's own words for its rule, else the host's sentence", () => {
  const tooLong = { code: "bad_setting", message: { en: "omamori cannot use … for signature.text." },
    details: { field: "signature.text", value: "…", rule: "text_length", limit: 200 } };
  assert.equal(fieldOfError(tooLong), "signature.text");
  assert.equal(fieldErrorText(tooLong), "Use at most 200 characters.");
  const range = { code: "bad_setting", message: { en: "omamori cannot use 7 for signature.opacity. Use 0.05 to 1." },
    details: { field: "signature.opacity", value: "7", rule: "range", low: 0.05, high: 1 } };
  assert.equal(fieldOfError(range), "signature.opacity");
  assert.equal(fieldErrorText(range), range.message.en);
  const emoji = { code: "signature_unprintable", message: { en: "No font on this computer can draw “🌸”…" }, details: { chars: "🌸" } };
  assert.equal(fieldOfError(emoji), "signature.text");
  assert.equal(fieldErrorText(emoji), emoji.message.en);
  assert.equal(fieldOfError({ code: "host_not_installed", message: null, details: {} }), null);
});
