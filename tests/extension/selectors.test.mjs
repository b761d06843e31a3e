import { test } from "node:test";
import assert from "node:assert/strict";

import {
  SETTING_LABELS,
  matchSetting,
  normalizeLabel,
  findSettingControls,
  controlState,
  composerOf,
  isComposerFileInput,
  SELECTORS,
  GROK_EDIT_OPENERS,
  grokEditOpeners,
  dialogSaveButton,
} from "../../extension/content/selectors.js";
import { X_SETTINGS } from "../../extension/lib/messages.js";
import { SETTINGS_PAGES, isLoginUrl, settingsPageOf } from "../../extension/lib/x-pages.js";
import { loadFixture } from "./dom.mjs";

const states = (found) => Object.fromEntries(found.map((f) => [f.setting, controlState(f.control)]));

test("every label row names a known setting, says where its wording comes from and matches its own text", () => {
  for (const [setting, language, text, source] of SETTING_LABELS) {
    assert.ok(X_SETTINGS.includes(setting), setting);
    assert.ok(["en", "ja"].includes(language));
    assert.ok(source?.length > 5, `${text}: no source`);
    assert.equal(matchSetting(text), setting, text);
  }
});

test("every Grok box has a wording in English and in Japanese", () => {
  for (const setting of SETTINGS_PAGES.grok.settings) {
    for (const language of ["en", "ja"]) {
      assert.ok(SETTING_LABELS.some((row) => row[0] === setting && row[1] === language), `${setting} ${language}`);
    }
  }
});

test("labels match with X's punctuation, spacing and full-width variants", () => {
  assert.equal(
    matchSetting(
      "  Allow your public data as well as your interactions,\n inputs, and results with Grok and xAI to be used for training and fine-tuning.  Learn more",
    ),
    "grokTraining",
  );
  assert.equal(
    matchSetting("公開データに加えて、GrokおよびxAIでのやり取り、インプット、結果をトレーニングと調整に利用することを許可します。"),
    "grokTraining",
  );
  assert.equal(matchSetting("ポストを非公開にする"), "protectPosts");
  assert.equal(matchSetting("PROTECT YOUR POSTS"), "protectPosts");
  assert.equal(normalizeLabel("Ｇｒｏｋ　ok。"), "grok ok");
});

test("unrelated texts match nothing", () => {
  for (const text of ["Photo tagging", "Delete conversation history", "Allow your posts", "データ共有", ""]) {
    assert.equal(matchSetting(text), null, text);
  }
});

test("settings pages are recognised by path on x.com only", () => {
  assert.equal(settingsPageOf("https://x.com/settings/grok_settings"), SETTINGS_PAGES.grok);
  assert.equal(settingsPageOf("https://x.com/settings/grok_settings/"), SETTINGS_PAGES.grok);
  assert.equal(settingsPageOf("https://x.com/settings/audience_and_tagging?lang=ja"), SETTINGS_PAGES.audience);
  assert.equal(settingsPageOf("https://x.com/settings/privacy_and_safety"), null);
  assert.equal(settingsPageOf("https://example.com/settings/grok_settings"), null);
  assert.ok(isLoginUrl("https://x.com/i/flow/login?redirect_after_login=%2Fsettings%2Fgrok_settings"));
  assert.ok(!isLoginUrl("https://x.com/settings/grok_settings"));
});

const GROK = SETTINGS_PAGES.grok.settings;
const AUDIENCE = SETTINGS_PAGES.audience.settings;

test("Grok settings in English: all three boxes found, all on", async () => {
  const page = loadFixture("grok_settings.en.html", "https://x.com/settings/grok_settings");
  const found = findSettingControls(page.document, GROK);
  assert.deepEqual(states(found), { grokTraining: "on", grokPersonalization: "on", grokHistory: "on" });
  const training = found.find((f) => f.setting === "grokTraining");
  assert.equal(training.container.tagName, "LABEL", "the outline goes on the row X renders");
  assert.ok(training.container.contains(training.control));
  await page.close();
});

test("Grok settings in Japanese as X writes them now: all three boxes found (〜します, 会話履歴をGrokに保存する)", async () => {
  const page = loadFixture("grok_settings.ja.html", "https://x.com/settings/grok_settings");
  assert.deepEqual(states(findSettingControls(page.document, GROK)), {
    grokTraining: "off",
    grokPersonalization: "on",
    grokHistory: "off",
  });
  await page.close();
});

test("an account without a birth date: greyed-out boxes read as unavailable, not off", async () => {
  const page = loadFixture("grok_settings.no_birthdate.en.html", "https://x.com/settings/grok_settings");
  assert.deepEqual(states(findSettingControls(page.document, GROK)), {
    grokTraining: "unavailable",
    grokPersonalization: "unavailable",
    grokHistory: "unavailable",
  });
  await page.close();
});

test("the 2024 wordings are still recognised", async () => {
  for (const [name, expected] of [
    ["grok_settings.2024.en.html", { grokTraining: "on", grokPersonalization: "on" }],
    ["grok_settings.2024.ja.html", { grokTraining: "on", grokPersonalization: "on" }],
  ]) {
    const page = loadFixture(name, "https://x.com/settings/grok_settings");
    assert.deepEqual(states(findSettingControls(page.document, GROK)), expected, name);
    await page.close();
  }
});

test("Protect your posts in both languages; the tagging row is not a setting", async () => {
  for (const [name, state] of [
    ["audience_and_tagging.en.html", "on"],
    ["audience_and_tagging.ja.html", "off"],
  ]) {
    const page = loadFixture(name, "https://x.com/settings/audience_and_tagging");
    assert.deepEqual(states(findSettingControls(page.document, AUDIENCE)), { protectPosts: state }, name);
    assert.deepEqual(findSettingControls(page.document, GROK), [], "Grok settings are not on this page");
    await page.close();
  }
});

test("a state change on the page is read as it is now", async () => {
  const page = loadFixture("grok_settings.en.html", "https://x.com/settings/grok_settings");
  const [training] = findSettingControls(page.document, ["grokTraining"]);
  training.control.checked = false;
  assert.equal(controlState(training.control), "off");
  await page.close();
});

test("ARIA checkboxes are read from aria-checked / aria-disabled", async () => {
  const page = loadFixture("audience_and_tagging.en.html", "https://x.com/settings/audience_and_tagging");
  const input = page.document.querySelector('input[type="checkbox"]');
  const aria = page.document.createElement("div");
  aria.setAttribute("role", "switch");
  aria.setAttribute("aria-checked", "true");
  input.replaceWith(aria);
  assert.deepEqual(states(findSettingControls(page.document, AUDIENCE)), { protectPosts: "on" });
  aria.setAttribute("aria-disabled", "true");
  assert.equal(controlState(aria), "unavailable");
  await page.close();
});

test("the home composer's picker and editor belong to a post composer; profile and DM pickers do not", async () => {
  const page = loadFixture("compose.home.html");
  const byId = (id) => page.document.getElementById(id);
  assert.ok(isComposerFileInput(byId("home-file-input")));
  assert.equal(composerOf(byId("home-file-input")), byId("home-composer"));
  assert.ok(byId("home-file-input").matches(SELECTORS.fileInput));
  for (const id of ["banner-input", "avatar-input", "avatar-input-2", "dm-file-input"]) {
    assert.ok(byId(id).matches(SELECTORS.fileInput), `${id} is one of X's pickers`);
    assert.ok(!isComposerFileInput(byId(id)), `${id} is not a post composer's`);
  }
  assert.equal(composerOf(byId("dm-editor")), null);
  assert.equal(composerOf(byId("home-editor").querySelector("br")), byId("home-composer"), "a drop on the editor's inner nodes counts");
  assert.equal(composerOf(byId("home-editor")), byId("home-composer"));
  await page.close();
});

test("in the Post dialog the picker and drops belong to the dialog, not the timeline behind it", async () => {
  const page = loadFixture("compose.modal.html");
  const byId = (id) => page.document.getElementById(id);
  assert.equal(composerOf(byId("modal-file-input")), byId("compose-dialog"));
  assert.equal(composerOf(byId("modal-attachments")), byId("compose-dialog"));
  assert.equal(composerOf(byId("modal-editor-1")), byId("compose-dialog"));
  assert.equal(composerOf(byId("home-editor")), byId("home-composer"), "the timeline's composer is still its own");
  assert.ok(byId("modal-editor-1").matches(SELECTORS.editor));
  assert.ok(byId("modal-attachments").matches(SELECTORS.attachments));
  await page.close();
});

test("X's Grok-edit control in a composer: a switch labelled by a nearby text, a native checkbox (ja)", async () => {
  const page = loadFixture("compose.grok_edits.html");
  const byId = (id) => page.document.getElementById(id);
  const [inSwitch] = findSettingControls(byId("switch-composer"), ["grokEdits"]);
  assert.equal(inSwitch.control, byId("grok-switch"));
  assert.equal(controlState(inSwitch.control), "off");
  const [inCheckbox] = findSettingControls(byId("checkbox-composer"), ["grokEdits"]);
  assert.equal(inCheckbox.control, byId("grok-checkbox"));
  assert.equal(controlState(inCheckbox.control), "on");
  assert.deepEqual(findSettingControls(byId("menu-composer"), ["grokEdits"]), [], "nothing in the composer itself");
  await page.close();
});

test("behind the composer's buttons: openers by name in the table's order, the menu item by its own text", async () => {
  const page = loadFixture("compose.grok_edits.html");
  const byId = (id) => page.document.getElementById(id);
  assert.deepEqual(grokEditOpeners(byId("menu-composer")), [byId("edit-media"), byId("post-settings")]);
  assert.deepEqual(grokEditOpeners(byId("switch-composer")), [], "a content-warning button is not an opener");
  const [item] = findSettingControls(byId("post-settings-menu"), ["grokEdits"]);
  assert.equal(item.control, byId("grok-menu-item"));
  assert.equal(item.container, byId("grok-menu-item"), "a menu item is its own label");
  assert.equal(controlState(item.control), "off");
  assert.deepEqual(findSettingControls(byId("media-dialog"), ["grokEdits"]), [], "another checkable item is not it");
  assert.equal(dialogSaveButton(byId("media-dialog")), byId("media-save"));
  assert.ok(byId("post-settings-menu").matches(SELECTORS.layer) && byId("media-dialog").matches(SELECTORS.layer));
  for (const [language, name, source] of GROK_EDIT_OPENERS) {
    assert.ok(["en", "ja"].includes(language) && name && source?.length > 5, name);
  }
  await page.close();
});

test("the Grok-edit box on a settings page is found like the training box", async () => {
  const page = loadFixture("grok_settings.en.html", "https://x.com/settings/grok_settings");
  const training = findSettingControls(page.document, ["grokTraining"])[0];
  training.container.querySelector("span").textContent = "Block modifications by Grok";
  assert.deepEqual(states(findSettingControls(page.document, GROK)).grokEdits, "on");
  await page.close();
});

test("X's other hosts: settings pages on twitter.com and mobile.x.com, none on X Pro", () => {
  assert.equal(settingsPageOf("https://twitter.com/settings/grok_settings"), SETTINGS_PAGES.grok);
  assert.equal(settingsPageOf("https://mobile.x.com/settings/audience_and_tagging"), SETTINGS_PAGES.audience);
  assert.equal(settingsPageOf("https://pro.x.com/settings/grok_settings"), null);
  assert.ok(isLoginUrl("https://twitter.com/i/flow/login"));
});
