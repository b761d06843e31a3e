// On X's "Audience and tagging" page: whether the person's posts are protected (seen only by their followers), and
// "Block modifications by Grok" when X puts it here, outlined and explained (content/setting-outline.js).

import { SETTINGS_PAGES, settingsPageOf } from "../../lib/x-pages.js";
import { outlineSettings } from "../setting-outline.js";

export const id = "outline-protect-posts";
export const runsOn = (/** @type {string} */ url) => settingsPageOf(url) === SETTINGS_PAGES.audience;
/** Each visit gets a fresh start: X swaps the whole column when navigating. */
export const restartOnNavigation = true;

/** @param {AbortSignal} signal */
export function init(signal) {
  outlineSettings(SETTINGS_PAGES.audience.settings, id, signal);
}
