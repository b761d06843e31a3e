// The first-run page, opened once when the extension is installed (background.js) and linked from the options
// page: is the program there (with the command that installs it when it is not), the artist's name in the
// signature, the signature as it will look, and X's Grok setting. Everything goes through the background's
// messages, as on the other pages.

import { ask } from "../lib/ask.js";
import { fieldErrorText, fieldOfError } from "../lib/field-error.js";
import { errorText, localizePage, t } from "../lib/i18n.js";
import { installCommandKeysHere } from "../lib/install-command.js";
import { errorJson } from "../lib/messages.js";
import { Stored, followStored } from "../lib/storage.js";
import { nameInSignature, signatureWithName } from "./signature-name.js";

/** An element of this page by id (the markup is ours, so it exists). @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);

/** Failures that installing the program (again) fixes: the page shows the command. */
const INSTALL_FIXES = Object.freeze(["host_not_installed", "host_forbidden"]);

/** The default signature text (settings.get `defaults`), known once the program answered. */
let defaultText = "";

// ---- step 1: the program on this computer ---------------------------------------

/**
 * Ask the program how it is (status.get says hello afresh); the next steps open once it answers. The page is busy
 * (aria-busy) until it has its answer and, from a program that answered, the signature text.
 */
async function checkHost() {
  const section = $("host");
  $("welcome").setAttribute("aria-busy", "true");
  section.dataset.state = "checking";
  $("host-check").disabled = true;
  $("host-state").textContent = t("welcome_host_checking");
  /** @type {import("../lib/messages.js").HostStatus} */
  let host;
  try {
    host = (await ask({ type: "status.get" })).host;
  } catch (error) {
    host = { connected: false, error: errorJson(error) };
  }
  const install = !host.connected && INSTALL_FIXES.includes(host.error.code);
  section.dataset.state = host.connected ? "connected" : install ? "missing" : "error";
  $("host-state").textContent = host.connected
    ? t("welcome_host_connected", [host.version])
    : install
      ? t("welcome_host_missing")
      : errorText(host.error);
  $("host-install").hidden = !install;
  $("host-check").hidden = host.connected;
  $("host-check").disabled = false;
  $("name-fields").disabled = !host.connected;
  $("look").dataset.host = section.dataset.state;
  if (host.connected) await loadName();
  $("welcome").setAttribute("aria-busy", "false");
}

$("host-check").addEventListener("click", checkHost);

// ---- step 2: the artist's name in the signature ----------------------------------

async function loadName() {
  try {
    const { settings, defaults } = await ask({ type: "settings.get" });
    defaultText = defaults.signature.text;
    showSignature(settings.signature.text);
    if (!$("name-input").value) $("name-input").value = nameInSignature(settings.signature.text, defaultText) ?? "";
  } catch (error) {
    showNameError(errorText(errorJson(error)));
  }
}

/** @param {string} text the signature text the program has now */
function showSignature(text) {
  $("name-now").textContent = t("welcome_name_now", [text]);
}

/** @param {string} text what is wrong, next to the field; "" clears it */
function showNameError(text) {
  $("name-error").textContent = text;
  $("name-error").hidden = !text;
  $("name-input").setAttribute("aria-invalid", String(Boolean(text)));
  if (text) $("name-input").focus();
}

$("name-form").addEventListener("submit", async (/** @type {SubmitEvent} */ event) => {
  event.preventDefault();
  const name = $("name-input").value.trim();
  $("name-saved").textContent = "";
  if (!name) {
    showNameError(t("welcome_name_empty"));
    return;
  }
  showNameError("");
  try {
    const changes = { "signature.text": signatureWithName(name, defaultText) };
    const { settings } = await ask({ type: "settings.set", changes });
    showSignature(settings.signature.text);
    $("name-saved").textContent = t("welcome_name_saved");
  } catch (error) {
    const refused = errorJson(error);
    // The host names the setting it refused: this form has one, the signature's text.
    showNameError(fieldOfError(refused) === "signature.text" ? fieldErrorText(refused) : errorText(refused));
  }
});

// ---- step 4: X's Grok setting, as X's settings page last showed it ---------------

/** X's Grok training checkbox as last seen -> _locales key (the popup's words). @type {Record<string, string>} */
const GROK_TEXT = { on: "popup_grok_on", off: "popup_grok_off", unavailable: "popup_grok_unavailable" };
const GROK_SEEN = Stored.xSetting("grokTraining");

followStored(
  [GROK_SEEN],
  (stored) => {
    const record = /** @type {import("../lib/messages.js").SeenSetting|undefined} */ (stored[GROK_SEEN]);
    $("grok").dataset.state = record?.state ?? "unknown";
    $("grok-state").textContent = t(record ? GROK_TEXT[record.state] : "welcome_grok_unknown");
  },
  new AbortController().signal, // for as long as the page is open
);

$("grok-open").addEventListener("click", () => ask({ type: "grok.open" }));

// ---- start ------------------------------------------------------------------

localizePage(document);
installCommandKeysHere().then(({ intro, command }) => {
  $("install-intro").textContent = t(intro);
  $("install-command").textContent = t(command);
});
checkHost();
