// The popup's checklist: which state each measure shows for what the popup knows, and its texts.
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
  cloak = false,
  grokEditsSetting = null,
  lastPost = null,
  block = true,
} = {}) {
  const seen = (state) => (state ? { state, seenAt: 1_763_700_000_000 } : null);
  return {
    host: connected ? { connected, version: "0.1.0", cloak } : { connected, error: { code: "host_not_installed" } },
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

const byId = (items, id) => items.find((item) => item.id === id);

function settings({ signature = true, mark = true, cloak = false } = {}) {
  return { signature: { enabled: signature }, mark: { enabled: mark }, cloak: { enabled: cloak } };
}

const states = (items) => Object.fromEntries(items.map((item) => [item.id, item.state]));

test("everything in place is all done, and done items carry no reason line", () => {
  const items = checklistItems(status({ grok: "off", posts: "on", cloak: true, lastPost: "blocked" }), settings({ cloak: true }));
  assert.deepEqual(states(items), {
    grokTraining: "done",
    grokEdits: "done",
    protectPosts: "done",
    autoProtect: "done",
    signature: "done",
    mark: "done",
    cloak: "done",
  });
  assert.ok(items.every((item) => item.note === null));
});

test("a fresh install: X settings not seen yet are unknown, not guessed; cloak off is optional", () => {
  const items = checklistItems(status(), settings());
  assert.deepEqual(states(items), {
    grokTraining: "unknown",
    grokEdits: "unknown",
    protectPosts: "unknown",
    autoProtect: "done",
    signature: "done",
    mark: "done",
    cloak: "optional",
  });
  assert.equal(items.find((item) => item.id === "grokTraining").note, "checklist_grokTraining_unknown");
});

test("Grok training on is to do; public posts are only optional, with their trade-off", () => {
  const items = checklistItems(status({ grok: "on", posts: "off" }), settings());
  const training = byId(items, "grokTraining");
  const posts = byId(items, "protectPosts");
  assert.deepEqual([training.state, training.note], ["todo", "checklist_grokTraining_todo"]);
  assert.deepEqual([posts.state, posts.note], ["optional", "checklist_protectPosts_optional"]);
  assert.equal(byId(checklistItems(status({ grok: "unavailable" }), settings()), "grokTraining").state, "unknown");
});

test("Grok edits: done only when X's control was seen on; not found is 'not blocked / unknown', never done", () => {
  const grokEdits = (options) => byId(checklistItems(status(options), settings()), "grokEdits");
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

test("paused, or on without a host, is to do with the right reason", () => {
  const paused = byId(checklistItems(status({ paused: true }), settings()), "autoProtect");
  assert.deepEqual([paused.state, paused.note], ["todo", "checklist_autoProtect_todo"]);
  const noHost = byId(checklistItems(status({ connected: false }), null), "autoProtect");
  assert.deepEqual([noHost.state, noHost.note], ["todo", "checklist_autoProtect_nohost"]);
});

test("without the host's settings, signature, mark and cloak are unknown", () => {
  const items = checklistItems(status({ connected: false }), null);
  for (const id of ["signature", "mark", "cloak"]) {
    const item = items.find((entry) => entry.id === id);
    assert.deepEqual([item.state, item.note], ["unknown", "checklist_settings_unknown"]);
  }
});

test("signature or mark off is to do; cloak on but not installed is to do", () => {
  const items = checklistItems(status(), settings({ signature: false, mark: false, cloak: true }));
  assert.deepEqual(
    items.filter((item) => item.state === "todo").map((item) => [item.id, item.note]),
    [
      ["signature", "checklist_signature_todo"],
      ["mark", "checklist_mark_todo"],
      ["cloak", "checklist_cloak_todo"],
    ],
  );
});

test("every checklist text exists in English and Japanese", () => {
  const en = locale("en");
  const ja = locale("ja");
  for (const key of CHECKLIST_KEYS) {
    assert.ok(en[key]?.message && ja[key]?.message, key);
  }
  const names = checklistItems(status(), settings()).map((item) => item.name);
  assert.ok(names.every((key) => CHECKLIST_KEYS.includes(key)));
});
