// Every string a person reads comes from _locales (the browser picks the
// language); the host's own sentences arrive as {en, ja} and are picked here
// the same way.

import { ext } from "./browser.js";

/**
 * Messages already read, by key and substitutions. A content script whose extension was updated, reloaded or
 * switched off under the open page can no longer read _locales (Chromium throws "Extension context invalidated"),
 * yet it must still say what happened and what to do: what it may need then is read beforehand (`remember`), and
 * what it has shown can be shown again.
 * @type {Map<string, string>}
 */
const read = new Map();
/** @typedef {{en?: string, ja?: string}} HostText a sentence of the host in both languages */
/** @type {"en"|"ja"|null} */
let language = null;

/**
 * The message `key` from _locales, with $1..$9 substitutions; "" when there is none (or it can no longer be read).
 * @param {string} key
 * @param {string|string[]} [substitutions]
 */
export function message(key, substitutions) {
  const id = JSON.stringify([key, substitutions ?? null]);
  if (read.has(id)) return read.get(id);
  let text;
  try {
    text = ext.i18n.getMessage(key, substitutions);
  } catch {
    return ""; // the extension is gone from under this page
  }
  read.set(id, text);
  return text;
}

/**
 * Read these messages (and the UI language) now, while the extension is there to answer.
 * @param {string[]} keys
 */
export function remember(keys) {
  for (const key of keys) message(key);
  uiLanguage();
}

/**
 * The message `key` from _locales, with $1..$9 substitutions.
 * @param {string} key
 * @param {string|string[]} [substitutions]
 */
export function t(key, substitutions) {
  // An empty string means the key is missing: show the key so the gap is seen
  // (tests/extension/locales.test.mjs keeps this from shipping).
  return message(key, substitutions) || key;
}

/**
 * A progress stage of the host (decode, cloak, mark, ...) as a person reads it; the raw name when we have no word.
 * @param {string} stage
 */
export function stageName(stage) {
  return message(`stage_${stage}`) || stage;
}

/** "ja" when the browser's UI language is Japanese, else "en" (our default_locale); read once. */
export function uiLanguage() {
  if (language === null) {
    try {
      language = languageOf(ext.i18n.getUILanguage());
    } catch {
      return "en"; // the extension is gone and the language was never read: our default_locale
    }
  }
  return language;
}

/**
 * @param {string} browserLanguage as i18n.getUILanguage gives it ("ja", "en-US")
 * @returns {"en"|"ja"}
 */
export function languageOf(browserLanguage) {
  return String(browserLanguage).toLowerCase().startsWith("ja") ? "ja" : "en";
}

/**
 * One sentence of the host ({en, ja}) in the given language, or "" when absent.
 * @param {HostText|null|undefined} message
 * @param {"en"|"ja"} language
 */
export function pickHostText(message, language) {
  if (!message || typeof message !== "object") return "";
  return message[language] || message.en || "";
}

/**
 * What to tell a person about a failure: the host's own sentence for host
 * codes (it says what to do next), our _locales sentence for the extension's
 * codes, and a generic one naming the code otherwise.
 * @param {{code: string, message?: {en?: string, ja?: string}|null}} error
 */
export function errorText(error) {
  const own = message(`error_${error.code}`);
  if (own) return own;
  return pickHostText(error.message, uiLanguage()) || t("error_unknown", [String(error.code)]);
}

/**
 * A time as the person's locale writes it ("2026/11/21 10:42").
 * @param {number} epochMs
 */
export function formatTime(epochMs) {
  return new Intl.DateTimeFormat(ext.i18n.getUILanguage(), { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(epochMs),
  );
}

const LOCALIZED_ATTRIBUTES = [
  ["title", "data-i18n-title"],
  ["placeholder", "data-i18n-placeholder"],
  ["aria-label", "data-i18n-aria-label"],
];

/**
 * Fill an extension page from its markup: data-i18n sets textContent,
 * data-i18n-title / -placeholder / -aria-label set those attributes.
 */
/** @param {Document} root */
export function localizePage(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(/** @type {HTMLElement} */ (el).dataset.i18n ?? "");
  for (const [attribute, marker] of LOCALIZED_ATTRIBUTES) {
    for (const el of root.querySelectorAll(`[${marker}]`)) el.setAttribute(attribute, t(el.getAttribute(marker) ?? ""));
  }
  root.documentElement.lang = uiLanguage();
}
