// The command that installs omamori's program on this computer, as README.md and installer/ give it: the shell
// installer on Linux and macOS, the PowerShell one on Windows. Said by the pages that find the program missing.

import { ext } from "./browser.js";
import { t } from "./i18n.js";

/**
 * The _locales keys of the command and of the sentence that leads to it, for an operating system.
 * @param {string} os runtime.getPlatformInfo's `os` ("win", "mac", "linux", "cros", ...)
 * @returns {{intro: string, command: string}}
 */
export function installCommandKeys(os) {
  return os === "win"
    ? { intro: "install_intro_windows", command: "install_command_windows" }
    : { intro: "install_intro_shell", command: "install_command" };
}

/** installCommandKeys for the computer the browser runs on. */
export async function installCommandKeysHere() {
  return installCommandKeys((await ext.runtime.getPlatformInfo()).os);
}

/**
 * Puts this computer's install command in `element` (pages start with the shell one, from _locales).
 * @param {HTMLElement} element
 */
export async function showInstallCommandHere(element) {
  element.textContent = t((await installCommandKeysHere()).command);
}
