// Where omamori's program stands, as the pages say it: connected (with its version), missing (installing it, again,
// fixes it, so the page shows the install command: lib/install-command.js), or another failure in its own words
// (a damaged settings file among them, which the options page's reset fixes).

import { errorText, t } from "./i18n.js";

/** Failures that installing the program (again) fixes. */
const INSTALL_FIXES = Object.freeze(["host_not_installed", "host_forbidden"]);

/**
 * @typedef {object} Fixes what a person can do about a failure to reach the program
 * @property {boolean} install installing the program (again) fixes it: the page shows the install command
 * @property {boolean} reset the settings file is damaged: the options page's reset (settings.reset, which only
 *   extension pages may ask for, after a question) saves the defaults over it
 */

/**
 * What a page says about a failure to reach the program, and what fixes it.
 * @param {import("./messages.js").ErrorJson} error
 * @param {string} notInstalledKey the page's _locales key for "not installed" (it leads to the command)
 * @returns {Fixes & {text: string}}
 */
export function hostProblem(error, notInstalledKey) {
  return {
    install: INSTALL_FIXES.includes(error.code),
    reset: error.code === "settings_damaged",
    text: error.code === "host_not_installed" ? t(notInstalledKey) : errorText(error),
  };
}

/**
 * Shows the program's state on `section` (data-state: connected, missing or error) and its sentence in `line`.
 * @param {HTMLElement} section
 * @param {HTMLElement} line
 * @param {import("./messages.js").HostStatus} host
 * @param {{connected: string, notInstalled: string}} keys the page's _locales keys (connected takes the version)
 * @returns {Fixes} what fixes what is wrong (nothing when connected)
 */
export function showHostState(section, line, host, keys) {
  if (host.connected) {
    section.dataset.state = "connected";
    line.textContent = t(keys.connected, [host.version]);
    return { install: false, reset: false };
  }
  const { install, reset, text } = hostProblem(host.error, keys.notInstalled);
  section.dataset.state = install ? "missing" : "error";
  line.textContent = text;
  return { install, reset };
}
