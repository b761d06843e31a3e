// The options page: the host's settings (one truth, shared with the CLI),
// read and written through settings.get / settings.set, and the connection
// to the host, which the extension keeps itself (it is needed before any
// host can be reached).

import { ask } from "../lib/ask.js";
import { base64ToBytes, blobToBase64 } from "../lib/base64.js";
import { FETCH_COMMAND, cloakState, previewCanStart, previewPercent } from "../lib/cloak.js";
import { clearFieldErrors, showFieldError } from "../lib/field-errors.js";
import { hostProblem } from "../lib/host-state.js";
import { showInstallCommandHere } from "../lib/install-command.js";
import { mountLookFields } from "../lib/look-fields.js";
import { t, errorText, localizePage, stageName } from "../lib/i18n.js";
import { CodedError, MAX_IMAGE_BYTES, PREVIEW_PORT, errorJson } from "../lib/messages.js";
import { requestOverPort } from "../lib/port-request.js";
import { startMineDrop } from "../lib/mine-drop.js";
import { fillControls, settingControls, valueOf } from "../lib/settings-fields.js";
import { mountSignaturePreview } from "../lib/signature-preview.js";

/** @typedef {import("../lib/settings-fields.js").Settings} Settings */

/** An element of this page by id (the markup is ours, so it exists). @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);

mountLookFields($("look-fields-slot"), { id: "signature", testId: "options-signature" });
const settingsForm = $("settings");
const connectionForm = $("connection");
const previewForm = $("preview");

/** The settings form's controls named by a dotted setting. */
const fields = () => settingControls(settingsForm);

/** @param {Settings} settings */
const fill = (settings) => fillControls(fields(), settings);

/** @param {unknown} error what a request to the background threw, or null once one succeeded */
function showProblem(error) {
  const problem = $("host-problem");
  const json = error ? errorJson(error) : null;
  problem.hidden = !json;
  problem.dataset.code = json?.code ?? "";
  const said = json && hostProblem(json, "options_host_not_installed");
  $("host-problem-text").textContent = said ? said.text : "";
  $("host-install-command").hidden = !said?.install;
  $("settings-reset").hidden = !said?.reset;
}

/**
 * The settings form as the host allows: filled and open, or (no host to read them from) closed, without the
 * "Loading settings" line, the notice at the top saying why.
 * @param {boolean} open
 */
function openSettings(open) {
  settingsForm.setAttribute("aria-busy", "false");
  for (const fieldset of settingsForm.querySelectorAll("fieldset:not(#cloak)")) fieldset.disabled = !open;
  $("save").disabled = !open;
}

async function loadSettings() {
  /** @type {Settings & {signature: {text: string, font_path: string}}} */
  let settings;
  try {
    ({ settings } = await ask({ type: "settings.get" }));
  } catch (error) {
    showProblem(error); // it says why the form stays closed (no host, damaged settings: with the way out)
    openSettings(false);
    return;
  }
  await loadFonts(settings.signature);
  fill(settings);
  openSettings(true);
  showProblem(null);
  preview.show(signatureChanges());
}

$("settings-reset").addEventListener("click", async () => {
  if (!confirm(t("options_settings_reset_confirm"))) return;
  try {
    await ask({ type: "settings.reset" });
  } catch (error) {
    showProblem(error);
    return;
  }
  await loadSettings();
});

// ---- the signature: its fonts and its live preview ------------------------------

/**
 * The font choice: automatic (naming the font it picks now), each font that draws the saved text, and the saved
 * file when it is not one of those (set from the command line, say), so that the choice shown is the one saved.
 * Without the list (an older host) the choices are "Automatic" and the saved file: saving keeps the saved font.
 * @param {{text: string, font_path: string}} signature the saved signature settings
 */
async function loadFonts({ font_path }) {
  const select = $("signature-font");
  const automaticOption = select.options[0];
  /** @type {{path: string, family: string}[]} */
  let fonts = [];
  try {
    let automatic;
    ({ fonts, automatic } = await ask({ type: "signature.fonts" }));
    automaticOption.textContent = automatic.family ? t("options_font_automatic_named", [automatic.family]) : t("options_font_automatic");
  } catch (error) {
    console.warn("omamori: signature.fonts", errorJson(error));
  }
  const choices = [...fonts];
  if (font_path && !fonts.some((/** @type {{path: string}} */ font) => font.path === font_path)) {
    choices.push({ path: font_path, family: font_path.split(/[\\/]/).pop() ?? font_path });
  }
  select.replaceChildren(automaticOption, ...choices.map(({ path, family }) => new Option(family, path)));
}

const isSignatureField = (/** @type {string} */ name) => name.startsWith("signature.");

/** The signature fields as settings.set takes them (the preview draws with these). */
function signatureChanges() {
  return Object.fromEntries(fields().filter((control) => isSignatureField(control.name)).map((control) => [control.name, valueOf(control)]));
}

const preview = mountSignaturePreview($("signature-preview"), {
  onAnswer: ({ error }) => {
    clearFieldErrors(settingsForm, isSignatureField);
    return error !== null && isSignatureField(String(/** @type {any} */ (error.details)?.field ?? "")) && showFieldError(settingsForm, error);
  },
});

settingsForm.addEventListener("input", (/** @type {Event} */ event) => {
  const name = /** @type {HTMLInputElement} */ (event.target).name ?? "";
  if (isSignatureField(name)) preview.show(signatureChanges());
});

settingsForm.addEventListener("submit", async (/** @type {SubmitEvent} */ event) => {
  event.preventDefault();
  /** @type {Record<string, unknown>} dotted path -> value */
  const changes = {};
  for (const control of fields()) {
    if (control.type === "radio" && !control.checked) continue;
    changes[control.name] = valueOf(control);
  }
  $("saved").textContent = "";
  clearFieldErrors(settingsForm);
  try {
    const { settings } = await ask({ type: "settings.set", changes });
    await loadFonts(settings.signature);
    fill(settings);
    showProblem(null);
    $("saved").textContent = t("options_saved");
  } catch (error) {
    if (!showFieldError(settingsForm, errorJson(error))) showProblem(error);
  }
});

// ---- the cloak: offered only when the host has its model ---------------------

/** Show whether the cloak can be used; its controls stay disabled unless it can. */
async function loadCloak() {
  let state;
  try {
    state = cloakState((await ask({ type: "status.get" })).host);
  } catch {
    state = "no-host";
  }
  $("cloak").dataset.state = state;
  $("cloak-missing").hidden = state !== "missing";
  $("cloak-no-host").hidden = state !== "no-host" || !$("host-problem").hidden; // said once, at the top
  for (const id of ["cloak-enabled", "cloak-strength"]) $(id).disabled = state !== "available";
  showPreviewRun();
  if (state === "missing" && previewForm.dataset.state === "idle") {
    $("preview-status").textContent = t("options_preview_unavailable");
  }
}

// ---- "What an AI sees": the picked file goes to the host and is not kept ----

let previewUrl = "";

/**
 * The one place the preview button is enabled: the cloak state can be reloaded (the connection saved) while a
 * preview runs, and a second preview must not start on top of the first.
 */
function showPreviewRun() {
  $("preview-run").disabled = !previewCanStart($("cloak").dataset.state, previewForm.dataset.state);
}

/** @param {{image: string, mime: string, strength: number, elapsed_ms: number}} result cloak.preview's */
function showPreview(result) {
  URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(new Blob([base64ToBytes(result.image)], { type: result.mime }));
  const image = $("preview-image");
  image.src = previewUrl;
  image.hidden = false;
  $("preview-status").textContent = t("options_preview_done", [
    String(Math.round(result.strength * 100)),
    String(Math.round(result.elapsed_ms / 1000)),
  ]);
}

/** @param {string} stage @param {number} fraction */
function previewProgress(stage, fraction) {
  const percent = previewPercent(stage, fraction);
  $("preview-progress").value = percent;
  $("preview-status").textContent = t("options_preview_working", [
    stageName(stage),
    String(percent),
  ]);
}

previewForm.addEventListener("submit", async (/** @type {SubmitEvent} */ event) => {
  event.preventDefault();
  const file = $("preview-file").files[0];
  if (!file) {
    $("preview-status").textContent = t("options_preview_pick_first");
    return;
  }
  if (file.size > MAX_IMAGE_BYTES) {
    $("preview-status").textContent = errorText({ code: "file_too_large" });
    return;
  }
  const strength = Number(valueOf($("cloak-strength"))) || 1;
  previewForm.dataset.state = "working";
  showPreviewRun();
  $("preview-progress").hidden = false;
  previewProgress("decode", 0);
  try {
    const image = await blobToBase64(file);
    const start = { type: "cloak.preview.start", image, strength: Math.min(2, Math.max(0.25, strength)) };
    const onProgress = (/** @type {{stage: string, fraction: number}} */ { stage, fraction }) => previewProgress(stage, fraction);
    showPreview(await requestOverPort(PREVIEW_PORT, start, { onProgress }));
    previewForm.dataset.state = "done";
  } catch (error) {
    previewForm.dataset.state = "failed";
    // A failure that is not the background's answer is the file: it could not be read.
    $("preview-status").textContent = errorText(error instanceof CodedError ? error.toJSON() : { code: "file_unreadable" });
  } finally {
    $("preview-progress").hidden = true;
    showPreviewRun();
  }
});

// ---- the connection ----------------------------------------------------------

async function loadConnection() {
  const connection = await ask({ type: "connection.get" });
  for (const radio of connectionForm.elements.kind) radio.checked = radio.value === connection.kind;
  $("server-url").value = connection.server_url;
  $("token").value = ""; // never shown again: the extension keeps only a key made from it
  $("token").placeholder = connection.paired ? t("options_token_kept") : "";
}

connectionForm.addEventListener("submit", async (/** @type {SubmitEvent} */ event) => {
  event.preventDefault();
  $("connection-saved").textContent = "";
  try {
    await ask({
      type: "connection.set",
      kind: connectionForm.elements.kind.value || "native",
      server_url: $("server-url").value.trim(),
      token: $("token").value.trim(),
    });
    $("token").value = ""; // before "saved" is shown: the token is gone from the page once the person sees it taken
    $("connection-saved").textContent = t("options_connection_saved");
    showProblem(null);
    await loadConnection();
    await loadSettings();
    await loadCloak();
  } catch (error) {
    showProblem(error);
  }
});

localizePage(document);
showInstallCommandHere($("host-install-command"));
$("cloak-missing").querySelector("code").textContent = FETCH_COMMAND;
$("preview-image").alt = t("options_preview_alt");
loadConnection();
loadSettings().then(loadCloak);

startMineDrop({ zone: $("mine-zone"), input: $("mine-file"), answer: $("mine-answer") });
