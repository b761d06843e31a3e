// How the protected files go back to the site: the way its media button gives them (a picker's change event), or,
// on Bluesky, which keeps no picker in the page, as the same drop or paste the person made.

import { CodedError } from "../../../lib/messages.js";

/**
 * Give the site the final files the way its media button does: on a picker,
 * with a bubbling change event (X and Bluesky accept untrusted ones). On X
 * drops and pastes are handed over this way too: Firefox hides files that an
 * extension put in a DataTransfer from the page, so a re-dispatched drop or
 * paste would arrive empty there, while a picker's FileList is the page's to
 * read.
 * @param {(HTMLInputElement|null)[]} pickers the picker the person used (if still in the page), then the
 *   composer's standing one
 * @param {File[]} files
 * @throws {CodedError} composer_gone when the composer was closed meanwhile
 */
export function attachThroughPicker(pickers, files) {
  const picker = pickers.find((node) => node?.isConnected);
  if (!(picker instanceof HTMLInputElement)) throw new CodedError("composer_gone");
  const transfer = new DataTransfer();
  for (const file of files) transfer.items.add(file);
  picker.files = transfer.files;
  picker.dispatchEvent(new Event("change", { bubbles: true }));
}

/**
 * The page's own globals in Firefox (`wrappedJSObject`), where events and DataTransfers made in the content script
 * hide their files from the page; undefined elsewhere.
 * @returns {any}
 */
const pageWindow = () => /** @type {any} */ (window).wrappedJSObject;

/**
 * A DataTransfer holding `files` that the page may read.
 * @param {File[]} files
 * @returns {DataTransfer}
 */
function pageTransfer(files) {
  const page = pageWindow();
  const transfer = page ? new page.DataTransfer() : new DataTransfer();
  for (const file of files) transfer.items.add(file);
  return transfer;
}

/**
 * Give Bluesky the final files of a drop or a paste as the same kind of event, where it reads them (a drop on
 * the page's body, a paste on the editor): it has no picker that stays in the page.
 * @param {"drop"|"paste"} kind
 * @param {Element} target where the person dropped or pasted
 * @param {Element} composer
 * @param {File[]} files
 * @throws {CodedError} composer_gone when the composer was closed meanwhile
 */
export function attachByEvent(kind, target, composer, files) {
  if (!composer.isConnected) throw new CodedError("composer_gone");
  const transfer = pageTransfer(files);
  const page = pageWindow();
  const init = { bubbles: true, cancelable: true, composed: true };
  const Kind = kind === "drop" ? (page?.DragEvent ?? DragEvent) : (page?.ClipboardEvent ?? ClipboardEvent);
  const fields = kind === "drop" ? { ...init, dataTransfer: transfer } : { ...init, clipboardData: transfer };
  // In Firefox the event's fields must be the page's too (cloneInto keeps the DataTransfer itself).
  const options = page ? /** @type {any} */ (globalThis).cloneInto(fields, window, { wrapReflectors: true }) : fields;
  const at = target.isConnected ? target : kind === "drop" ? document.body : composer;
  at.dispatchEvent(new Kind(kind, options));
}
