// What the pages say when omamori's program cannot be reached, and what they offer to fix it (lib/host-state.js).
import { test } from "node:test";
import assert from "node:assert/strict";

import { en, i18n } from "./i18n-stand-in.mjs";

globalThis.chrome = { i18n };
const { hostProblem } = await import("../../extension/lib/host-state.js");

const damaged = {
  code: "settings_damaged",
  message: { en: "Your settings file /home/yuki/.config/omamori/settings.json is damaged.", ja: "設定ファイルが壊れています。" },
};

test("a damaged settings file is said in the program's words and leads to the reset, not to installing again", () => {
  assert.deepEqual(hostProblem(damaged, "popup_host_not_installed"), { install: false, reset: true, text: damaged.message.en });
});

test("a missing program leads to the install command, in the page's own words", () => {
  const said = hostProblem({ code: "host_not_installed" }, "popup_host_not_installed");
  assert.deepEqual(said, { install: true, reset: false, text: en.popup_host_not_installed.message });
  assert.equal(hostProblem({ code: "host_forbidden" }, "popup_host_not_installed").install, true);
});

test("any other failure offers neither, and is said in the extension's words", () => {
  const said = hostProblem({ code: "host_disconnected" }, "popup_host_not_installed");
  assert.deepEqual(said, { install: false, reset: false, text: en.error_host_disconnected.message });
});
