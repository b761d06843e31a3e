// The sites whose composers omamori protects, each as one small table: where its composer is for a pick, a drop
// or a paste, and how the protected files are handed back to it. The selectors themselves live in each site's
// selector table (selectors.js for X, selectors-bluesky.js for Bluesky). The ids are those of lib/messages.js SITES.

import { X_ORIGINS } from "../lib/messages.js";
import { SELECTORS, composerOf, isComposerFileInput } from "./selectors.js";
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
 */

/** @type {Site} */
const X = {
  id: "x",
  pickerComposer: (input) => (isComposerFileInput(input) ? composerOf(input) : null),
  dropComposer: composerOf,
  pasteComposer: composerOf,
  standingPicker: (composer) => composer.querySelector(SELECTORS.fileInput),
  handsDropsToPicker: true,
};

/** @type {Site} */
const BLUESKY = {
  id: "bluesky",
  pickerComposer: composerOfPicker,
  dropComposer: composerOfDrop,
  pasteComposer: composerOfPaste,
  standingPicker: () => null,
  handsDropsToPicker: false,
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
