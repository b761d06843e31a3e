// The first-run page's pure parts: the artist's name in the signature text and the install command for the
// computer's system.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { nameInSignature, signatureWithName } from "../../extension/welcome/signature-name.js";
import { installCommandKeys } from "../../extension/lib/install-command.js";

const en = JSON.parse(readFileSync(new URL("../../extension/_locales/en/messages.json", import.meta.url), "utf8"));

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
