// The popup's checklist: the host's items (its `status` request) with the popup's own filled in, and their texts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { CHECKLIST_KEYS, checklistItems, grokEditsState } from "../../extension/popup/checklist.js";

const locale = (language) =>
  JSON.parse(readFileSync(new URL(`../../extension/_locales/${language}/messages.json`, import.meta.url), "utf8"));

/** A status.get result as the background builds it. */
function status({
  grok = null,
  posts = null,
  paused = false,
  connected = true,
  grokEditsSetting = null,
  lastPost = null,
  block = true,
} = {}) {
  const seen = (state) => (state ? { state, seenAt: 1_763_700_000_000 } : null);
  return {
    host: connected ? { connected, version: "0.1.0", cloak: false } : { connected, error: { code: "host_not_installed" } },
    paused,
    protectedCount: 3,
    xSettings: {
      grokTraining: seen(grok),
      grokPersonalization: null,
      grokHistory: null,
      grokEdits: seen(grokEditsSetting),
      protectPosts: seen(posts),
    },
    grokEdits: { block, lastPost: lastPost ? { outcome: lastPost, seenAt: 1_763_700_000_000 } : null },
  };
}

/**
 * The host's `status` items (docs/protocol.md), as a fresh install answers them unless told otherwise:
 * overrides are id -> [state, reason].
 */
function hostItems(overrides = {}) {
  const items = {
    grok_training: ["in_browser", null],
    grok_edits: ["in_browser", null],
    protect_posts: ["in_browser", null],
    auto_protect: ["in_browser", null],
    signature: ["done", null],
    mark: ["done", null],
    cloak: ["optional", "off"],
    ...overrides,
  };
  return Object.entries(items).map(([id, [state, reason]]) => ({ id, state, reason }));
}

const byId = (items, id) => items.find((item) => item.id === id);
const states = (items) => Object.fromEntries(items.map((item) => [item.id, item.state]));

test("everything in place is all done, and done items carry no reason line", () => {
  const items = checklistItems(
    status({ grok: "off", posts: "on", lastPost: "blocked" }),
    hostItems({ cloak: ["done", null] }),
  );
  assert.deepEqual(states(items), {
    grok_training: "done",
    grok_edits: "done",
    protect_posts: "done",
    auto_protect: "done",
    signature: "done",
    mark: "done",
    cloak: "done",
  });
  assert.ok(items.every((item) => item.note === null));
});

test("a fresh install: X settings not seen yet are unknown, not guessed; the host's cloak off is optional", () => {
  const items = checklistItems(status(), hostItems());
  assert.deepEqual(states(items), {
    grok_training: "unknown",
    grok_edits: "unknown",
    protect_posts: "unknown",
    auto_protect: "done",
    signature: "done",
    mark: "done",
    cloak: "optional",
  });
  assert.equal(byId(items, "grok_training").note, "checklist_grokTraining_unknown");
  assert.equal(byId(items, "cloak").note, "checklist_cloak_optional");
});

test("the host's states and reasons are shown as the host computed them, each with its own line", () => {
  const cases = [
    [{ signature: ["todo", "off"] }, "signature", "checklist_signature_todo"],
    [{ signature: ["todo", "font_missing"] }, "signature", "checklist_signature_nofont"],
    [{ mark: ["todo", "off"] }, "mark", "checklist_mark_todo"],
    [{ mark: ["todo", "key_unreadable"] }, "mark", "checklist_mark_nokey"],
    [{ mark: ["todo", "key_missing"] }, "mark", "checklist_mark_nokey"],
    [{ cloak: ["todo", "model_missing"] }, "cloak", "checklist_cloak_todo"],
  ];
  for (const [overrides, id, note] of cases) {
    const shown = byId(checklistItems(status(), hostItems(overrides)), id);
    assert.deepEqual([shown.state, shown.note], ["todo", note], JSON.stringify(overrides));
  }
});

test("the host's order is kept, and an item the popup has no words for is left out", () => {
  const items = hostItems();
  const reordered = [items[6], items[4], { id: "newer_measure", state: "todo", reason: "off" }, ...items.slice(0, 4)];
  assert.deepEqual(
    checklistItems(status(), reordered).map((item) => item.id),
    ["cloak", "signature", "grok_training", "grok_edits", "protect_posts", "auto_protect"],
  );
});

test("the items the host marks in_browser show what the browser saw", () => {
  const shown = checklistItems(status({ grok: "on", paused: true }), hostItems());
  assert.deepEqual(
    [byId(shown, "grok_training").state, byId(shown, "auto_protect").state, byId(shown, "auto_protect").note],
    ["todo", "todo", "checklist_autoProtect_todo"],
  );
});

test("Grok training on is to do; public posts are only optional, with their trade-off", () => {
  const items = checklistItems(status({ grok: "on", posts: "off" }), hostItems());
  const training = byId(items, "grok_training");
  const posts = byId(items, "protect_posts");
  assert.deepEqual([training.state, training.note], ["todo", "checklist_grokTraining_todo"]);
  assert.deepEqual([posts.state, posts.note], ["optional", "checklist_protectPosts_optional"]);
  assert.equal(byId(checklistItems(status({ grok: "unavailable" }), hostItems()), "grok_training").state, "unknown");
});

test("Grok edits: done only when X's control was seen on; not found is 'not blocked / unknown', never done", () => {
  const grokEdits = (options) => byId(checklistItems(status(options), hostItems()), "grok_edits");
  assert.equal(grokEditsState(status({ lastPost: "blocked" })), "blocked_post");
  assert.equal(grokEditsState(status({ lastPost: "by_setting" })), "blocked_setting");
  assert.equal(grokEditsState(status({ grokEditsSetting: "on" })), "blocked_setting");
  assert.equal(grokEditsState(status({ lastPost: "not_found" })), "not_blocked");
  assert.equal(grokEditsState(status({ grokEditsSetting: "off" })), "not_blocked");
  assert.equal(grokEditsState(status()), "unknown");
  assert.equal(grokEditsState(status({ block: false, lastPost: "blocked" })), "opted_out");
  for (const options of [{ lastPost: "not_found" }, {}, { grokEditsSetting: "off" }, { grokEditsSetting: "unavailable" }]) {
    const item = grokEdits(options);
    assert.deepEqual([item.state, item.note], ["unknown", "checklist_grokEdits_unknown"], JSON.stringify(options));
    assert.match(locale("en")[item.note].message, /^Grok edits: not blocked \/ unknown/);
  }
  assert.deepEqual(
    [grokEdits({ block: false }).state, grokEdits({ block: false }).note],
    ["todo", "checklist_grokEdits_todo"],
  );
  assert.equal(grokEdits({ grokEditsSetting: "on" }).state, "done");
});

test("without the host: automatic protection on is to do, and the host's measures are unknown", () => {
  const items = checklistItems(status({ connected: false }), null);
  assert.deepEqual(items.map((item) => item.id), hostItems().map((item) => item.id));
  const noHost = byId(items, "auto_protect");
  assert.deepEqual([noHost.state, noHost.note], ["todo", "checklist_autoProtect_nohost"]);
  for (const id of ["signature", "mark", "cloak"]) {
    const item = byId(items, id);
    assert.deepEqual([item.state, item.note], ["unknown", "checklist_settings_unknown"]);
  }
  const paused = byId(checklistItems(status({ paused: true, connected: false }), null), "auto_protect");
  assert.deepEqual([paused.state, paused.note], ["todo", "checklist_autoProtect_todo"]);
});

test("every checklist text exists in English and Japanese", () => {
  const en = locale("en");
  const ja = locale("ja");
  for (const key of CHECKLIST_KEYS) {
    assert.ok(en[key]?.message && ja[key]?.message, key);
  }
  const shown = [checklistItems(status(), hostItems()), checklistItems(status({ connected: false }), null)].flat();
  assert.ok(shown.every((item) => CHECKLIST_KEYS.includes(item.name) && (item.note === null || CHECKLIST_KEYS.includes(item.note))));
});
