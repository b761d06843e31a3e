// The artist's name in the signature: put before omamori's default text, "@yuki_draws · AI学習禁止 / No AI training",
// as `omamori install` does when it asks for the name (native_host/omamori/commands/install.py).

/** Between the name and the default text. */
const SEPARATOR = " · ";

/**
 * The name a signature text carries before the default text: "" while it is the default text itself (it names no
 * one), null when the text is one the person wrote otherwise.
 * @param {string} text the signature text now
 * @param {string} defaultText the default signature text (settings.get `defaults`)
 * @returns {string|null}
 */
export function nameInSignature(text, defaultText) {
  if (text === defaultText) return "";
  const suffix = SEPARATOR + defaultText;
  return text.endsWith(suffix) && text.length > suffix.length ? text.slice(0, -suffix.length) : null;
}

/**
 * The signature text that carries `name`.
 * @param {string} name as typed (trimmed here)
 * @param {string} defaultText
 */
export function signatureWithName(name, defaultText) {
  return name.trim() + SEPARATOR + defaultText;
}
