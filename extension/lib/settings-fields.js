// Form controls named by the dotted setting they edit ("signature.opacity"), as the options page and the first-run
// page have them: their value as the host's settings type it, and filled from the host's settings. data-scale on a
// number field shows a 0-1 setting as percent.

/** @typedef {{[key: string]: unknown}} Settings the host's settings (docs/protocol.md, settings.get), nested */

/**
 * The controls of `form` named by a dotted setting: inputs and selects.
 * @param {HTMLFormElement} form
 * @returns {HTMLInputElement[]}
 */
export const settingControls = (form) =>
  /** @type {HTMLInputElement[]} */ ([...form.elements].filter((el) => /** @type {HTMLInputElement} */ (el).name?.includes(".")));

/**
 * The value at a dotted path ("signature.text") of the host's settings.
 * @param {Settings} settings
 * @param {string} path
 * @returns {unknown}
 */
const lookup = (settings, path) => path.split(".").reduce((/** @type {any} */ node, key) => node?.[key], settings);

/**
 * A control's value as the host's settings type it (bool, number, string).
 * @param {HTMLInputElement} control
 */
export function valueOf(control) {
  if (control.type === "checkbox") return control.checked;
  if (control.type === "number") return Number(control.value) / Number(control.dataset.scale ?? 1);
  return control.value;
}

/**
 * Show the host's settings in `controls`.
 * @param {HTMLInputElement[]} controls
 * @param {Settings} settings
 */
export function fillControls(controls, settings) {
  for (const control of controls) {
    const value = lookup(settings, control.name);
    if (control.type === "checkbox") control.checked = value === true;
    else if (control.type === "radio") control.checked = control.value === value;
    else if (control.type === "number") control.value = String(Math.round(Number(value) * Number(control.dataset.scale ?? 1) * 100) / 100);
    else control.value = String(value ?? "");
  }
}
