// The sites whose composers omamori protects, each as one small table: where its composer is for a pick, a drop
// or a paste, and how the protected files are handed back to it. The selectors themselves live in each site's
// selector table (selectors.js for X, selectors-bluesky.js for Bluesky). The ids are those of lib/messages.js SITES.

import { X_ORIGINS } from "../lib/messages.js";
import { SELECTORS, composerOf, isComposerFileInput, mediaCleared } from "./selectors.js";
import { BLUESKY_ORIGIN, composerOfDrop, composerOfPaste, composerOfPicker } from "./selectors-bluesky.js";

/**
 * @typedef {object} Site
 * @property {string} id "x" | "bluesky"
 * @property {(input: HTMLInputElement) => Element|null} pickerComposer the composer a picked file is for
 * @property {(target: EventTarget|null) => Element|null} dropComposer
 * @property {(target: EventTarget|null) => Element|null} pasteComposer
 * @property {(composer: Element) => HTMLInputElement|null} standingPicker a picker that stays in the composer, or
 *   null when the site has none (Bluesky makes one per pick)
 * @property {boolean} handsDropsToPicker drops and pastes go back through the standing picker (X) instead of as
 *   the same kind of event (Bluesky)
 * @property {(composer: Element) => boolean} mediaCleared the composer shows no attached media any more (X empties
 *   its composer in place once the post is sent): a panel that says its pictures were protected then goes
 */

/** @type {Site} */
const X = {
  id: "x",
  pickerComposer: (input) => (isComposerFileInput(input) ? composerOf(input) : null),
  dropComposer: composerOf,
  pasteComposer: composerOf,
  standingPicker: (composer) => composer.querySelector(SELECTORS.fileInput),
  handsDropsToPicker: true,
  mediaCleared,
};

/** @type {Site} */
const BLUESKY = {
  id: "bluesky",
  pickerComposer: composerOfPicker,
  dropComposer: composerOfDrop,
  pasteComposer: composerOfPaste,
  standingPicker: () => null,
  handsDropsToPicker: false,
  // Bluesky closes its composer dialog once the post is sent, and the panel goes with the composer; no selector of
  // its attached pictures is known (selectors-bluesky.js), so it is never taken for emptied.
  mediaCleared: () => false,
};

/** @type {Record<string, Site>} origin -> site (X on each of its hosts, X Pro included) */
const BY_ORIGIN = Object.fromEntries([...X_ORIGINS.map((origin) => [origin, X]), [BLUESKY_ORIGIN, BLUESKY]]);

/**
 * The site of a page's origin, or null where omamori protects no composer.
 * @param {string} origin
 */
export function siteOf(origin) {
  return Object.hasOwn(BY_ORIGIN, origin) ? BY_ORIGIN[origin] : null;
}
