// On X's Grok settings page: whether X may train Grok on the person's posts, personalise Grok and keep its
// history (and "Block modifications by Grok" when X puts it here), outlined and explained (content/setting-outline.js).

import { SETTINGS_PAGES, settingsPageOf } from "../../lib/x-pages.js";
import { outlineSettings } from "../setting-outline.js";

export const id = "outline-grok-settings";
export const runsOn = (/** @type {string} */ url) => settingsPageOf(url) === SETTINGS_PAGES.grok;
/** Each visit gets a fresh start: X swaps the whole column when navigating. */
export const restartOnNavigation = true;

/** @param {AbortSignal} signal */
export function init(signal) {
  outlineSettings(SETTINGS_PAGES.grok.settings, id, signal);
}
