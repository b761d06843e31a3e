// Bytes <-> base64 for images on their way to the host and back (the
// protocol carries images as base64 strings inside JSON).

const BLOCK = 0x8000; // bytes per String.fromCharCode call: stays under engines' argument limits

/**
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function bytesToBase64(bytes) {
  const native = /** @type {any} */ (bytes).toBase64; // ES2026; Chromium 140+, Firefox 133+
  if (typeof native === "function") return native.call(bytes);
  let binary = "";
  for (let start = 0; start < bytes.length; start += BLOCK) {
    binary += String.fromCharCode(...bytes.subarray(start, start + BLOCK));
  }
  return btoa(binary);
}

/**
 * @param {string} text standard base64 (RFC 4648 §4), padding optional
 * @returns {Uint8Array<ArrayBuffer>}
 * @throws {Error} on characters outside the alphabet
 */
export function base64ToBytes(text) {
  const native = /** @type {any} */ (Uint8Array).fromBase64;
  if (typeof native === "function") return native.call(Uint8Array, text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * A file or blob the person picked, read whole, as base64 (how an image travels to the host).
 * @param {Blob} blob
 * @returns {Promise<string>}
 * @throws {DOMException} NotReadableError when the file went away or changed on disk after it was picked
 */
export async function blobToBase64(blob) {
  return bytesToBase64(new Uint8Array(await blob.arrayBuffer()));
}
