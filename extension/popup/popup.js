// The popup: one glance at what matters, and the pause switch.

import { ext } from "../lib/browser.js";
import { ask } from "../lib/ask.js";
import { showHostState } from "../lib/host-state.js";
import { showInstallCommandHere } from "../lib/install-command.js";
import { t, errorText, formatTime, localizePage } from "../lib/i18n.js";
import { grokEditsState, showChecklist } from "./checklist.js";
import { startMineDrop } from "../lib/mine-drop.js";
import { errorJson } from "../lib/messages.js";

/** An element of this page by id (the markup is ours, so it exists). @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);

/** @typedef {import("../lib/messages.js").Status} Status */

/**
 * popup text for a recorded X setting: state -> _locales key
 * @type {Record<string, string>}
 */
const GROK_TEXT = { on: "popup_grok_on", off: "popup_grok_off", unavailable: "popup_grok_unavailable" };
/**
 * popup text for blocking Grok's edits: grokEditsState -> _locales key
 * @type {Record<string, string>}
 */
const GROK_EDITS_TEXT = {
  opted_out: "popup_grok_edits_opted_out",
  blocked_setting: "popup_grok_edits_blocked_setting",
  blocked_post: "popup_grok_edits_blocked_post",
  not_blocked: "popup_grok_edits_not_blocked",
  unknown: "popup_grok_edits_unknown",
};
/** @type {Record<string, string>} */
const PROTECT_TEXT = { on: "popup_protect_on", off: "popup_protect_off", unavailable: "popup_protect_unavailable" };

/**
 * @param {HTMLElement} section
 * @param {HTMLElement} stateEl
 * @param {HTMLElement} seenEl
 * @param {import("../lib/messages.js").SeenSetting|null} record
 * @param {Record<string, string>} texts state -> _locales key
 * @param {string} unknownKey
 */
function showSetting(section, stateEl, seenEl, record, texts, unknownKey) {
  section.dataset.state = record?.state ?? "unknown";
  stateEl.textContent = t(record ? texts[record.state] : unknownKey);
  seenEl.textContent = record ? t("popup_seen", [formatTime(record.seenAt)]) : "";
}

/**
 * Blocking Grok's edits, beside the training state: where it stands and when it was last seen (the switch is in
 * the options).
 * @param {Status} status
 */
function showGrokEdits(status) {
  const state = grokEditsState(status);
  $("grok-edits").dataset.state = state;
  $("grok-edits-state").textContent = t(GROK_EDITS_TEXT[state]);
  const seenAt = state === "blocked_setting" && status.xSettings.grokEdits ? status.xSettings.grokEdits.seenAt : status.grokEdits.lastPost?.seenAt;
  $("grok-edits-seen").textContent = seenAt && state !== "opted_out" ? t("popup_seen", [formatTime(seenAt)]) : "";
}

/** @param {Status["host"]} host */
function showHost(host) {
  const keys = { connected: "popup_host_connected", notInstalled: "popup_host_not_installed" };
  const fixes = showHostState($("host"), $("host-state"), host, keys);
  $("install-command").hidden = !fixes.install;
  $("settings-reset").hidden = !fixes.reset;
  $("mine").hidden = !host.connected;
}

/** @param {boolean} paused */
function showPaused(paused) {
  $("auto-protect").checked = !paused;
  $("auto-paused").hidden = !paused;
}

/** A site's line: on, off (its switch), paused (the switch above), or no_access (the browser withholds it). */
const SITE_TEXT = { on: "popup_site_on", off: "popup_site_off", paused: "popup_site_paused", no_access: "popup_site_no_access" };

/**
 * One line per site (lib/messages.js SITES) with its own switch.
 * @param {{id: string, enabled: boolean, permitted: boolean}[]} sites
 * @param {boolean} paused
 */
function showSites(sites, paused) {
  $("sites").replaceChildren(
    ...sites.map(({ id, enabled, permitted }) => {
      const state = !permitted ? "no_access" : !enabled ? "off" : paused ? "paused" : "on";
      const item = document.createElement("li");
      item.dataset.site = id;
      item.dataset.state = state;
      item.dataset.testid = `popup-site-${id}`;
      const box = Object.assign(document.createElement("input"), { type: "checkbox", checked: enabled });
      box.dataset.testid = `popup-site-${id}-switch`;
      box.addEventListener("change", async () => {
        const { sites: now } = await ask({ type: "site.set", site: id, enabled: box.checked });
        showSites(now, !$("auto-protect").checked);
      });
      const label = document.createElement("label");
      label.append(box, " ", t(`site_name_${id}`));
      const status = document.createElement("p");
      status.dataset.testid = `popup-site-${id}-state`;
      status.textContent = t(SITE_TEXT[state]);
      // A ticked box says "on", and "paused" is said once above: only what differs gets a line.
      status.hidden = state === "on" || state === "paused";
      item.append(label, status);
      return item;
    }),
  );
}

async function refresh() {
  const status = await ask({ type: "status.get" });
  showSetting($("grok"), $("grok-state"), $("grok-seen"), status.xSettings.grokTraining, GROK_TEXT, "popup_grok_unknown");
  showSetting(
    $("protect-posts"),
    $("protect-posts-state"),
    $("protect-posts-seen"),
    status.xSettings.protectPosts,
    PROTECT_TEXT,
    "popup_protect_unknown",
  );
  showGrokEdits(status);
  showHost(status.host);
  showPaused(status.paused);
  showSites(status.sites, status.paused);
  $("protected-count").hidden = status.protectedCount === null;
  $("protected-count").textContent = t("popup_count", [String(status.protectedCount)]);
  showChecklist($("checklist-items"), $("checklist-count"), status);
}

localizePage(document);
showInstallCommandHere($("install-command"));

$("auto-protect").addEventListener("change", async () => {
  const { paused } = await ask({ type: "pause.set", paused: !$("auto-protect").checked });
  showPaused(paused);
  await refresh(); // the checklist's automatic-protection line follows the switch
});

$("check-now").addEventListener("click", async () => {
  const button = $("check-now");
  const result = $("check-result");
  button.disabled = true;
  result.hidden = false;
  result.className = "";
  result.textContent = t("popup_checking");
  try {
    await ask({ type: "xsettings.check" });
    result.hidden = true;
  } catch (error) {
    result.className = "problem";
    result.textContent = errorText(errorJson(error));
  } finally {
    button.disabled = false;
    await refresh();
  }
});

$("open-setting").addEventListener("click", async () => {
  await ask({ type: "grok.open" });
  window.close();
});

function openOptions() {
  ext.runtime.openOptionsPage();
  window.close();
}

$("open-options").addEventListener("click", (/** @type {MouseEvent} */ event) => {
  event.preventDefault();
  openOptions();
});

// A damaged settings file: the options page holds the reset and the question asked before it, first thing on the
// page; the popup leads there rather than asking in a panel that closes as soon as it loses the focus.
$("settings-reset").addEventListener("click", openOptions);

refresh();

startMineDrop({ zone: $("mine-zone"), answer: $("mine-answer") });
