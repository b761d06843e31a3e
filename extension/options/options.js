// The options page: the host's settings (one truth, shared with the CLI),
// read and written through settings.get / settings.set, and the connection
// to the host, which the extension keeps itself (it is needed before any
// host can be reached).

import { ask } from "../lib/ask.js";
import { t, errorText, localizePage } from "../lib/i18n.js";

/** An element of this page by id (the markup is ours, so it exists). @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);
const settingsForm = $("settings");
const connectionForm = $("connection");

/** Form controls named by dotted settings paths ("signature.text"). */
const fields = () => [...settingsForm.elements].filter((el) => el.name && el.name.includes("."));

const lookup = (settings, path) => path.split(".").reduce((node, key) => node?.[key], settings);

/** A control's value as the host's settings type it (bool, number, string); data-scale shows 0-1 as percent. */
function valueOf(control) {
  if (control.type === "checkbox") return control.checked;
  if (control.type === "number") return Number(control.value) / Number(control.dataset.scale ?? 1);
  return control.value;
}

function fill(settings) {
  for (const control of fields()) {
    const value = lookup(settings, control.name);
    if (control.type === "checkbox") control.checked = value === true;
    else if (control.type === "radio") control.checked = control.value === value;
    else if (control.type === "number") control.value = String(Math.round(value * Number(control.dataset.scale ?? 1)));
    else control.value = value ?? "";
  }
}

function showProblem(error) {
  const problem = $("host-problem");
  problem.hidden = !error;
  problem.textContent = error ? errorText(error.toJSON()) : "";
}

async function loadSettings() {
  try {
    const { settings } = await ask({ type: "settings.get" });
    fill(settings);
    settingsForm.setAttribute("aria-busy", "false");
    $("save").disabled = false;
    showProblem(null);
  } catch (error) {
    showProblem(error);
  }
}

settingsForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const changes = {};
  for (const control of fields()) {
    if (control.type === "radio" && !control.checked) continue;
    changes[control.name] = valueOf(control);
  }
  $("saved").textContent = "";
  try {
    const { settings } = await ask({ type: "settings.set", changes });
    fill(settings);
    showProblem(null);
    $("saved").textContent = t("options_saved");
  } catch (error) {
    showProblem(error);
  }
});

async function loadConnection() {
  const connection = await ask({ type: "connection.get" });
  for (const radio of connectionForm.elements.kind) radio.checked = radio.value === connection.kind;
  $("server-url").value = connection.server_url;
  $("token").value = connection.token;
}

connectionForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  $("connection-saved").textContent = "";
  try {
    await ask({
      type: "connection.set",
      kind: connectionForm.elements.kind.value || "native",
      server_url: $("server-url").value.trim(),
      token: $("token").value.trim(),
    });
    $("connection-saved").textContent = t("options_connection_saved");
    showProblem(null);
    await loadSettings();
  } catch (error) {
    showProblem(error);
  }
});

localizePage(document);
loadConnection();
loadSettings();
