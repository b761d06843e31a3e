// Which field of a page a refused setting belongs to, and the sentence shown next to it: the host names the
// setting (`details.field`) and what it may be (`details.rule`, docs/protocol.md `settings.set`).

import { errorText, message } from "./i18n.js";

/** @typedef {import("./messages.js").ErrorJson} ErrorJson */

/**
 * A rule of the host (catalog `rule.<rule>`) -> the _locales sentence a page shows; $1 is the rule's limit.
 * @type {Readonly<Record<string, string>>}
 */
const RULES = Object.freeze({ text_empty: "field_rule_text_empty", text_length: "field_rule_text_length" });

/** @param {ErrorJson} error */
const detailsOf = (error) => /** @type {Record<string, unknown>} */ (error.details ?? {});

/**
 * The dotted setting ("signature.text") a failure of settings.set is about, or null when it is about none.
 * @param {ErrorJson} error as errorJson gives it
 */
export function fieldOfError(error) {
  const { field } = detailsOf(error);
  if (error.code === "bad_setting" && typeof field === "string") return field;
  if (error.code === "signature_unprintable") return "signature.text"; // the text names characters no font draws
  return null;
}

/**
 * What a page says next to the field: its own words for the rule when it has them (the host's sentence names the
 * setting as the command line writes it, which the page's label does not show), else the host's sentence.
 * @param {ErrorJson} error
 */
export function fieldErrorText(error) {
  const { rule, limit } = detailsOf(error);
  const key = error.code === "bad_setting" && typeof rule === "string" && Object.hasOwn(RULES, rule) ? RULES[rule] : null;
  return (key && message(key, [String(limit ?? "")])) || errorText(error);
}
