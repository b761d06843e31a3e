// A refused setting shown next to the field it came from. The host's bad_setting and signature_unprintable carry
// details.field, the dotted setting ("signature.opacity"), which is the name of the page's control for it; that
// control gets aria-invalid and a sentence in the person's language, with the figures as the field shows them
// (percent where the field is in percent: data-scale).

import { errorText, t } from "./i18n.js";

/** bad_setting's details.rule -> the sentence that says what the field may hold. */
const RULE_TEXT = {
  range: "field_error_range",
  max_side: "field_error_max_side",
  choice: "field_error_choice",
  number: "field_error_number",
  int: "field_error_number",
  text_empty: "field_error_text_empty",
  text_length: "field_error_text_length",
  font_file: "field_error_font_file",
};

/**
 * A figure of the host's (0-1 for opacity) as the control shows it (data-scale: 100 shows percent).
 * @param {unknown} value
 * @param {HTMLElement} control
 */
function asShown(value, control) {
  return String(Math.round(Number(value) * Number(control.dataset.scale ?? 1) * 100) / 100);
}

/**
 * What to say next to `control` about `error`.
 * @param {{code: string, message?: {en?: string, ja?: string}|null, details?: any}} error
 * @param {HTMLElement} control
 */
export function fieldErrorText(error, control) {
  const details = error.details ?? {};
  if (error.code === "signature_unprintable") return t("field_error_unprintable", [String(details.chars)]);
  const key = error.code === "bad_setting" ? RULE_TEXT[/** @type {keyof typeof RULE_TEXT} */ (details.rule)] : undefined;
  if (!key) return errorText(error);
  return t(key, key === "field_error_text_length" ? [String(details.limit)] : [asShown(details.low, control), asShown(details.high, control)]);
}

/**
 * The control of `form` a refused setting names, if the form has one.
 * @param {HTMLFormElement} form
 * @param {{details?: any}} error
 * @returns {HTMLInputElement|HTMLSelectElement|null}
 */
function controlFor(form, error) {
  const field = error.details?.field;
  if (typeof field !== "string") return null;
  const found = form.elements.namedItem(field);
  const control = found && "length" in found && !("options" in found) ? found[0] : found; // a radio group: its first
  return /** @type {HTMLInputElement|HTMLSelectElement|null} */ (control ?? null);
}

/**
 * Show `error` next to the field of `form` it names.
 * @param {HTMLFormElement} form
 * @param {{code: string, message?: {en?: string, ja?: string}|null, details?: any}} error
 * @returns {boolean} false when the error names no field of this form (the page says it elsewhere)
 */
export function showFieldError(form, error) {
  const control = controlFor(form, error);
  if (!control) return false;
  const id = `${control.id || control.name}-error`;
  let note = form.ownerDocument.getElementById(id);
  if (!note) {
    note = form.ownerDocument.createElement("p");
    note.id = id;
    note.className = "problem field-error";
    note.dataset.testid = `field-error-${control.name}`;
    note.dataset.field = control.name;
    control.insertAdjacentElement("afterend", note);
  }
  note.textContent = fieldErrorText(error, control);
  control.setAttribute("aria-invalid", "true");
  control.setAttribute("aria-describedby", id);
  return true;
}

/**
 * Take away the errors shown next to the fields of `form` whose names pass `which` (all by default).
 * @param {HTMLFormElement} form
 * @param {(name: string) => boolean} [which]
 */
export function clearFieldErrors(form, which = () => true) {
  for (const note of form.querySelectorAll(".field-error")) {
    const name = /** @type {HTMLElement} */ (note).dataset.field ?? "";
    if (!which(name)) continue;
    for (const control of form.querySelectorAll(`[aria-describedby="${note.id}"]`)) {
      control.removeAttribute("aria-invalid");
      control.removeAttribute("aria-describedby");
    }
    note.remove();
  }
}
