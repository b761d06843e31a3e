// chrome.i18n as the browser answers it from _locales/en, for tests of code that reads its sentences.
import { readFileSync } from "node:fs";

export const en = JSON.parse(readFileSync(new URL("../../extension/_locales/en/messages.json", import.meta.url), "utf8"));

/** chrome.i18n from _locales/en ($1.. substitutions into named placeholders); set it before importing the code. */
export const i18n = {
  getUILanguage: () => "en",
  getMessage(key, substitutions = []) {
    const entry = en[key];
    if (!entry) return "";
    const values = [substitutions].flat();
    return entry.message.replace(/\$([A-Za-z_]+)\$/g, (_, name) => {
      const content = entry.placeholders[name.toLowerCase()].content;
      return values[Number(content.slice(1)) - 1];
    });
  },
};
