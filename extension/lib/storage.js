// What the extension keeps in extension storage, by key: one list for the background, which writes it, and the
// content scripts, which read the few keys that say how they should behave. Everything else goes through messages.

import { ext } from "./browser.js";

/** storage.local keys. */
export const Stored = Object.freeze({
  paused: "paused", // boolean: automatic protection switched off in the popup (read by content scripts)
  sitesOff: "sitesOff", // site ids (lib/messages.js SITES) switched off in the popup (read by content scripts)
  onFailure: "onFailure", // the host's settings.extension.on_failure, cached for content scripts
  blockGrokEdits: "blockGrokEdits", // the host's settings.extension.block_grok_edits, cached for content scripts
  connection: "connection", // {kind: "native"|"websocket", server_url}; the pairing key is in lib/keystore.js
  /** @type {(setting: string) => string} */
  xSetting: (setting) => `xsetting.${setting}`, // {state, seenAt (epoch ms)}
  grokEditsPost: "grokedits.post", // {outcome (blocked, by_setting, not_found), seenAt}: the last post with images
  welcomeShown: "welcomeShown", // boolean: the first-run page was opened once (it opens by itself only then)
});

/** storage.session keys (this browser session only). */
export const StoredForSession = Object.freeze({
  grokEditsNotFoundTold: "grokedits.notFoundTold", // "not found" was said once already
});

/**
 * Keep `apply` told of the stored values of `keys` (storage.local): once they are read, then at every change,
 * until `signal` aborts. It always gets every key, absent ones as undefined.
 * @param {string[]} keys
 * @param {(stored: Record<string, unknown>) => void} apply
 * @param {AbortSignal} signal
 */
export function followStored(keys, apply, signal) {
  /** @type {Record<string, unknown>} */
  let current = Object.fromEntries(keys.map((key) => [key, undefined]));
  /** @type {Record<string, unknown>} changes seen before the first read came back: they are newer */
  const early = {};
  let read = false;
  ext.storage.local.get(keys).then((stored) => {
    read = true;
    if (signal.aborted) return;
    current = { ...current, ...stored, ...early };
    apply(current);
  });
  /** @param {Record<string, chrome.storage.StorageChange>} changes @param {string} area */
  const onChanged = (changes, area) => {
    if (area !== "local" || !keys.some((key) => Object.hasOwn(changes, key))) return;
    const changed = Object.fromEntries(keys.filter((key) => Object.hasOwn(changes, key)).map((key) => [key, changes[key].newValue]));
    if (!read) Object.assign(early, changed);
    current = { ...current, ...changed };
    apply(current);
  };
  ext.storage.onChanged.addListener(onChanged);
  signal.addEventListener("abort", () => ext.storage.onChanged.removeListener(onChanged));
}
