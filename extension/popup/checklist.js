// The popup's checklist of measures: the host computes the list and the state of what it knows (the checklist of
// its hello, as its `status` request answers: the signature, the mark and the cloak, from its settings, key, fonts
// and model); the popup fills in what only the browser knows (X's settings as last seen on X's pages, the pause
// switch, the connection), green where done, one line on why it matters where not. `checklistItems` is pure
// (tests/extension/checklist.test.mjs); `showChecklist` fills the folded list in the popup and its one-line count.

import { t } from "../lib/i18n.js";

/** @typedef {"done"|"todo"|"optional"|"unknown"} ItemState */
/** @typedef {{id: string, state: ItemState, name: string, note: string|null}} ChecklistItem name/note: _locales keys */
/** @typedef {{id: string, state: string, reason: string|null}} HostItem an item of the host's `status` result */

const SETTINGS_UNKNOWN = "checklist_settings_unknown";
/** The folded checklist's line: $DONE$ of $TOTAL$ done. */
const COUNT = "checklist_count";

/**
 * _locales keys per item (the host's ids, in the order shown while the host cannot be asked): its name, and the
 * line shown for each reason the host gives, else for each state that is not done.
 * @type {Readonly<Record<string, Record<string, string>>>}
 */
const TEXT = Object.freeze({
  grok_training: {
    name: "checklist_grokTraining",
    todo: "checklist_grokTraining_todo",
    unknown: "checklist_grokTraining_unknown",
  },
  grok_edits: {
    name: "checklist_grokEdits",
    todo: "checklist_grokEdits_todo",
    unknown: "checklist_grokEdits_unknown",
  },
  protect_posts: {
    name: "checklist_protectPosts",
    optional: "checklist_protectPosts_optional",
    unknown: "checklist_protectPosts_unknown",
  },
  auto_protect: { name: "checklist_autoProtect", todo: "checklist_autoProtect_todo", nohost: "checklist_autoProtect_nohost" },
  signature: {
    name: "checklist_signature",
    off: "checklist_signature_todo",
    font_missing: "checklist_signature_nofont",
    unknown: SETTINGS_UNKNOWN,
  },
  mark: {
    name: "checklist_mark",
    off: "checklist_mark_todo",
    todo: "checklist_mark_nokey", // key_unreadable, key_missing, storage_unwritable: `omamori doctor` says which
    unknown: SETTINGS_UNKNOWN,
  },
  cloak: {
    name: "checklist_cloak",
    off: "checklist_cloak_optional",
    model_missing: "checklist_cloak_todo",
    unknown: SETTINGS_UNKNOWN,
  },
});

/** The _locales keys the checklist uses (for the locale tests). */
export const CHECKLIST_KEYS = Object.freeze([...new Set([COUNT, ...Object.values(TEXT).flatMap((keys) => Object.values(keys))])]);

/**
 * Where blocking Grok's edits stands: opted_out (the popup's switch is off), blocked_setting (X's settings page
 * showed "Block modifications by Grok" ticked), blocked_post (the last post with images had it turned on),
 * not_blocked (the last post's composer had no such control, or X's settings showed it unticked), unknown.
 * @param {{grokEdits: {block: boolean, lastPost: {outcome: string}|null}, xSettings: Record<string, {state: string}|null>}} status
 */
export function grokEditsState({ grokEdits, xSettings }) {
  if (!grokEdits.block) return "opted_out";
  const setting = xSettings.grokEdits?.state;
  const outcome = grokEdits.lastPost?.outcome;
  if (setting === "on" || outcome === "by_setting") return "blocked_setting";
  if (outcome === "blocked") return "blocked_post";
  if (outcome === "not_found" || setting === "off") return "not_blocked";
  return "unknown";
}

/** The checklist's state for each grokEditsState: never done unless X's control was seen on. */
const GROK_EDITS_ITEM = Object.freeze({
  opted_out: "todo",
  blocked_setting: "done",
  blocked_post: "done",
  not_blocked: "unknown",
  unknown: "unknown",
});

/** @type {(id: string, state: ItemState, note?: string|null) => ChecklistItem} */
const item = (id, state, note = TEXT[id][state] ?? null) => ({ id, state, name: TEXT[id].name, note });

/**
 * The items only the browser knows, by the host's id.
 * @param {{xSettings: Record<string, {state: string}|null>, paused: boolean, host: {connected: boolean},
 *          grokEdits: {block: boolean, lastPost: {outcome: string}|null}}} status the background's status.get result
 * @returns {Record<string, ChecklistItem>}
 */
function browserItems(status) {
  const grok = status.xSettings.grokTraining?.state;
  const posts = status.xSettings.protectPosts?.state;
  let autoProtect = item("auto_protect", "done");
  if (status.paused) autoProtect = item("auto_protect", "todo");
  else if (!status.host.connected) autoProtect = item("auto_protect", "todo", TEXT.auto_protect.nohost);
  return {
    grok_training: item("grok_training", grok === "off" ? "done" : grok === "on" ? "todo" : "unknown"),
    grok_edits: item("grok_edits", GROK_EDITS_ITEM[grokEditsState(status)]),
    protect_posts: item("protect_posts", posts === "on" ? "done" : posts === "off" ? "optional" : "unknown"),
    auto_protect: autoProtect,
  };
}

/**
 * The checklist: the host's items in the host's order, those it marks `in_browser` filled in from what the
 * popup knows; an id the popup has no words for is left out. Without the host's list (not connected, or no
 * answer), every item the browser cannot know is unknown.
 * @param {Parameters<typeof browserItems>[0]} status the background's status.get result
 * @param {HostItem[]|null} hostItems the host's `status` items, or null when the host could not be asked
 * @returns {ChecklistItem[]}
 */
export function checklistItems(status, hostItems) {
  const browser = browserItems(status);
  if (!hostItems) return Object.keys(TEXT).map((id) => browser[id] ?? item(id, "unknown"));
  return hostItems
    .filter(({ id }) => Object.hasOwn(TEXT, id))
    .map(({ id, state, reason }) => {
      if (state === "in_browser") return browser[id] ?? item(id, "unknown");
      const said = (/** @type {string|null} */ key) => (key && Object.hasOwn(TEXT[id], key) ? TEXT[id][key] : null);
      return item(id, /** @type {ItemState} */ (state), said(reason) ?? said(state));
    });
}

/**
 * Fill the checklist's <ul> from a status.get result, and the line shown while it is folded: how many are done.
 * @param {HTMLElement} list
 * @param {HTMLElement} summary
 * @param {Parameters<typeof checklistItems>[0] & {checklist: HostItem[]|null}} status
 */
export function showChecklist(list, summary, status) {
  const items = checklistItems(status, status.checklist);
  const done = items.filter((entry) => entry.state === "done").length;
  summary.textContent = t(COUNT, [String(done), String(items.length)]);
  // Folded, the count alone must still say when something is left to do.
  summary.dataset.state = items.some((entry) => entry.state === "todo") ? "todo" : "done";
  list.replaceChildren(
    ...items.map((entry) => {
      const li = list.ownerDocument.createElement("li");
      li.dataset.state = entry.state;
      li.dataset.testid = `checklist-${entry.id}`;
      const name = li.appendChild(list.ownerDocument.createElement("span"));
      name.className = "name";
      name.textContent = t(entry.name);
      if (entry.note) {
        const note = li.appendChild(list.ownerDocument.createElement("span"));
        note.className = "note";
        note.textContent = t(entry.note);
      }
      return li;
    }),
  );
}
