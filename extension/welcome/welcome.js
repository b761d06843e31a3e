// The first-run page, opened once when the extension is installed (background.js) and linked from the options
// page: is the program there (with the command that installs it when it is not), the artist's name in the
// signature, the signature as it will look (drawn by the program on its sample picture: lib/signature-preview.js),
// and X's Grok setting. Everything goes through the background's
// messages, as on the other pages.

import { ask } from "../lib/ask.js";
import { clearFieldErrors, showFieldError } from "../lib/field-errors.js";
import { errorText, localizePage, t } from "../lib/i18n.js";
import { showHostState } from "../lib/host-state.js";
import { installCommandKeysHere } from "../lib/install-command.js";
import { mountLookFields } from "../lib/look-fields.js";
import { errorJson } from "../lib/messages.js";
import { fillControls, settingControls, valueOf } from "../lib/settings-fields.js";
import { mountSignaturePreview } from "../lib/signature-preview.js";
import { Stored, followStored } from "../lib/storage.js";
import { nameInSignature, signatureWithName } from "./signature-name.js";

/** An element of this page by id (the markup is ours, so it exists). @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);

mountLookFields($("look-fields-slot"), { id: "look", testId: "welcome" });

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
  const keys = { connected: "welcome_host_connected", notInstalled: "welcome_host_missing" };
  $("host-install").hidden = !showHostState(section, $("host-state"), host, keys).install;
  $("host-check").hidden = host.connected;
  $("host-check").disabled = false;
  $("name-fields").disabled = !host.connected;
  if (host.connected) await loadSignature();
  $("welcome").setAttribute("aria-busy", "false");
}

$("host-check").addEventListener("click", checkHost);

// ---- steps 2 and 3: the artist's name in the signature, and how the signature looks --------

const nameForm = $("name-form");
const lookForm = $("look-form");

/** The default signature text (settings.get `defaults`) and the saved one, known once the program answered. */
let defaultText = "";
let savedText = "";

/** The signature text the name field makes: the name before the default text, or the saved text without a name. */
function signatureText() {
  const name = $("name-input").value.trim();
  return name ? signatureWithName(name, defaultText) : savedText;
}

/** The look fields as settings.set takes them. */
const lookChanges = () => Object.fromEntries(settingControls(lookForm).map((control) => [control.name, valueOf(control)]));

/**
 * A refusal of the host shown next to the field it names, in either form; false when it names none of them.
 * @param {import("../lib/messages.js").ErrorJson} error
 */
const showAtField = (error) => showFieldError(nameForm, error) || showFieldError(lookForm, error);

function clearErrors() {
  clearFieldErrors(nameForm);
  clearFieldErrors(lookForm);
}

const preview = mountSignaturePreview($("preview"), {
  onAnswer: ({ error }) => {
    clearErrors();
    return error !== null && showAtField(error);
  },
});

/** Draw the signature as the fields say now (nothing is saved). */
function showPreview() {
  $("look").dataset.placement = $("look-placement").value;
  preview.show({ ...lookChanges(), "signature.text": signatureText() });
}

async function loadSignature() {
  try {
    const { settings, defaults } = await ask({ type: "settings.get" });
    defaultText = defaults.signature.text;
    showSaved(settings.signature.text);
    fillControls(settingControls(lookForm), settings);
    if (!$("name-input").value) $("name-input").value = nameInSignature(savedText, defaultText) ?? "";
    $("look-fields").disabled = false;
    showPreview();
  } catch (error) {
    $("name-saved").textContent = errorText(errorJson(error));
  }
}

/** @param {string} text the signature text the program has now */
function showSaved(text) {
  savedText = text;
  $("name-now").textContent = t("welcome_name_now", [text]);
}

/**
 * Save `changes`; a refusal goes next to its field (or to `status` when it names none).
 * @param {Record<string, unknown>} changes
 * @param {HTMLElement} status
 */
async function save(changes, status) {
  status.textContent = "";
  clearErrors();
  try {
    const { settings } = await ask({ type: "settings.set", changes });
    showSaved(settings.signature.text);
    status.textContent = t("welcome_saved");
  } catch (error) {
    if (!showAtField(errorJson(error))) status.textContent = errorText(errorJson(error));
  }
}

nameForm.addEventListener("input", showPreview);
lookForm.addEventListener("input", showPreview);

nameForm.addEventListener("submit", async (/** @type {SubmitEvent} */ event) => {
  event.preventDefault();
  if (!$("name-input").value.trim()) {
    // Said as the host says an empty signature text (the page's words for rule text_empty), before asking it.
    showFieldError(nameForm, { code: "bad_setting", message: null, details: { field: "signature.text", rule: "text_empty" } });
  } else {
    await save({ "signature.text": signatureText() }, $("name-saved"));
  }
  if ($("name-input").getAttribute("aria-invalid") === "true") $("name-input").focus();
});

lookForm.addEventListener("submit", async (/** @type {SubmitEvent} */ event) => {
  event.preventDefault();
  await save(lookChanges(), $("look-saved"));
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
