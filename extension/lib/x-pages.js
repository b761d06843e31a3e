// X's own pages that omamori reads or sends a person to: its settings pages and where it asks a visitor to log in.
// Shared by the background ("Check now", "Open X's setting") and the content features that read those pages; the
// selectors and label texts found on them stay in content/selectors.js. Sources: shared/research/x-web.md.

import { X_ORIGINS } from "./messages.js";

export const X_ORIGIN = "https://x.com";
/** X Pro (formerly TweetDeck): a deck of columns, one of them a composer; its settings are x.com's (x-web.md §10). */
const X_PRO_ORIGINS = Object.freeze(["https://pro.x.com", "https://pro.twitter.com"]);
/** The hosts that serve X's own settings pages: every X origin but X Pro's. */
const SETTINGS_ORIGINS = Object.freeze(X_ORIGINS.filter((origin) => !X_PRO_ORIGINS.includes(origin)));

/**
 * @typedef {{path: string, settings: string[]}} SettingsPage
 *   settings: the X_SETTINGS (lib/messages.js) a person finds on the page
 */

/** Settings pages omamori reads, and the settings each carries (x-web.md §6, §7). */
export const SETTINGS_PAGES = Object.freeze({
  // grokEdits: X may put "Block modifications by Grok" on either page (x-web.md §10: Privacy and safety, unconfirmed).
  grok: { path: "/settings/grok_settings", settings: ["grokTraining", "grokPersonalization", "grokHistory", "grokEdits"] },
  audience: { path: "/settings/audience_and_tagging", settings: ["protectPosts", "grokEdits"] },
});

export const GROK_SETTINGS_URL = X_ORIGIN + SETTINGS_PAGES.grok.path;
export const AUDIENCE_SETTINGS_URL = X_ORIGIN + SETTINGS_PAGES.audience.path;

/** Where X sends a visitor who is not logged in. */
const LOGIN_PATHS = ["/login", "/i/flow/login", "/i/flow/signup"];

/**
 * The SETTINGS_PAGES entry for a URL, or null.
 * @param {string} url
 * @returns {SettingsPage|null}
 */
export function settingsPageOf(url) {
  const { origin, pathname } = new URL(url);
  if (!SETTINGS_ORIGINS.includes(origin)) return null;
  const path = pathname.replace(/\/+$/, "");
  return Object.values(SETTINGS_PAGES).find((page) => page.path === path) ?? null;
}

/** @param {string} url */
export function isLoginUrl(url) {
  const { origin, pathname } = new URL(url);
  return X_ORIGINS.includes(origin) && LOGIN_PATHS.some((path) => pathname === path || pathname.startsWith(path + "/"));
}
