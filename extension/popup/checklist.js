// The popup's checklist of measures: each with its state where the extension
// can know it (X settings as last seen on X's pages, the pause switch, the
// host's settings), green where done, one line on why it matters where not.
// `checklistItems` is pure (tests/extension/checklist.test.mjs); `showChecklist`
// fills the list in the popup.

import { ask } from "../lib/ask.js";
import { t } from "../lib/i18n.js";

/** @typedef {"done"|"todo"|"optional"|"unknown"} ItemState */
/** @typedef {{id: string, state: ItemState, name: string, note: string|null}} ChecklistItem name/note: _locales keys */

const SETTINGS_UNKNOWN = "checklist_settings_unknown";

/** _locales keys per item: its name, and the line shown in each state that is not done. */
const TEXT = Object.freeze({
  grokTraining: {
    name: "checklist_grokTraining",
    todo: "checklist_grokTraining_todo",
    unknown: "checklist_grokTraining_unknown",
  },
  grokEdits: {
    name: "checklist_grokEdits",
    todo: "checklist_grokEdits_todo",
    unknown: "checklist_grokEdits_unknown",
  },
  protectPosts: {
    name: "checklist_protectPosts",
    optional: "checklist_protectPosts_optional",
    unknown: "checklist_protectPosts_unknown",
  },
  autoProtect: { name: "checklist_autoProtect", todo: "checklist_autoProtect_todo" },
  signature: { name: "checklist_signature", todo: "checklist_signature_todo", unknown: SETTINGS_UNKNOWN },
  mark: { name: "checklist_mark", todo: "checklist_mark_todo", unknown: SETTINGS_UNKNOWN },
  cloak: {
    name: "checklist_cloak",
    todo: "checklist_cloak_todo",
    optional: "checklist_cloak_optional",
    unknown: SETTINGS_UNKNOWN,
  },
});

/** The _locales keys the checklist uses (for the locale tests). */
export const CHECKLIST_KEYS = Object.freeze([
  ...new Set(Object.values(TEXT).flatMap((keys) => Object.values(keys))),
  "checklist_autoProtect_nohost",
]);

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
 * The checklist from what the popup knows.
 * @param {{xSettings: Record<string, {state: string}|null>, paused: boolean,
 *          host: {connected: boolean, cloak?: boolean},
 *          grokEdits: {block: boolean, lastPost: {outcome: string}|null}}} status the background's status.get result
 * @param {{signature: {enabled: boolean}, mark: {enabled: boolean}, cloak: {enabled: boolean}}|null} settings
 *        the host's settings, or null when the host could not be asked
 * @returns {ChecklistItem[]}
 */
export function checklistItems(status, settings) {
  const grok = status.xSettings.grokTraining?.state;
  const posts = status.xSettings.protectPosts?.state;
  const fromSettings = (id, enabled) => item(id, settings ? (enabled ? "done" : "todo") : "unknown");
  let cloak = item("cloak", "unknown");
  if (settings) {
    cloak = item("cloak", !settings.cloak.enabled ? "optional" : status.host.cloak ? "done" : "todo");
  }
  return [
    item("grokTraining", grok === "off" ? "done" : grok === "on" ? "todo" : "unknown"),
    item("grokEdits", GROK_EDITS_ITEM[grokEditsState(status)]),
    item("protectPosts", posts === "on" ? "done" : posts === "off" ? "optional" : "unknown"),
    status.paused
      ? item("autoProtect", "todo")
      : status.host.connected
        ? item("autoProtect", "done")
        : item("autoProtect", "todo", "checklist_autoProtect_nohost"),
    fromSettings("signature", settings?.signature.enabled),
    fromSettings("mark", settings?.mark.enabled),
    cloak,
  ];
}

/** The host's settings, or null when it is not connected or does not answer. */
async function hostSettings(status) {
  if (!status.host.connected) return null;
  try {
    return (await ask({ type: "settings.get" })).settings;
  } catch {
    return null;
  }
}

/**
 * Fill the checklist's <ul> from a status.get result.
 * @param {HTMLElement} list
 * @param {Parameters<typeof checklistItems>[0]} status
 */
export async function showChecklist(list, status) {
  const items = checklistItems(status, await hostSettings(status));
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
