// The extension's side of the pairing with the companion server (`omamori serve`); the server's side is
// native_host/omamori/pairing.py, and docs/protocol.md ("Mutual authentication") describes both.
//
// The token the person pasted never crosses the socket: both sides hold K = SHA-256(token) and prove it with HMACs
// over two fresh nonces, the server first; until its proof checks out the extension sends nothing else, so a program
// that took the port learns nothing and cannot pass for the server. Then every frame carries a MAC under a key of
// this connection only, numbered per direction.

export const AUTH_VERSION = 1;
const NONCE_BYTES = 32;
const MAC_BYTES = 32;
const LABELS = Object.freeze({
  server: "omamori-pairing-v1 server proof",
  client: "omamori-pairing-v1 client proof",
  session: "omamori-pairing-v1 session key",
});
const TO_SERVER = "to-server";
const TO_CLIENT = "to-client";

const HMAC = { name: "HMAC", hash: "SHA-256" };
/** @param {string} text */
const utf8 = (text) => new TextEncoder().encode(text);

/** @param {Uint8Array} bytes */
export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Bytes from hex digits, or null when `text` is not `length` bytes of them.
 * @param {unknown} text
 * @param {number} length
 */
export function fromHex(text, length) {
  if (typeof text !== "string" || text.length !== 2 * length || !/^[0-9a-f]*$/.test(text)) return null;
  return Uint8Array.from({ length }, (_, i) => parseInt(text.slice(2 * i, 2 * i + 2), 16));
}

/** @param {Uint8Array[]} parts */
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** @type {(key: CryptoKey, data: Uint8Array<ArrayBuffer>) => Promise<Uint8Array<ArrayBuffer>>} */
const sign = async (key, data) => new Uint8Array(await crypto.subtle.sign(HMAC, key, data));

/**
 * K for a pasted token, as a non-extractable key: what the extension keeps instead of the token (not even the
 * extension can read its bytes back).
 * @param {string} token
 * @returns {Promise<CryptoKey>}
 */
export async function pairingKey(token) {
  const digest = await crypto.subtle.digest("SHA-256", utf8(token));
  return crypto.subtle.importKey("raw", digest, HMAC, false, ["sign"]);
}

/** The first message on a new connection and the nonce it carries. */
export function clientHello() {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  return { nonce, message: JSON.stringify({ type: "auth.hello", auth: AUTH_VERSION, nonce: toHex(nonce) }) };
}

/**
 * The answer to the server's first frame: our proof and the connection's Channel when the server proved it holds
 * `key` for this connection's nonces, else null.
 * @param {CryptoKey|null} key
 * @param {Uint8Array} clientNonce
 * @param {unknown} frame the server's first frame (event.data)
 * @returns {Promise<{proof: string, channel: Channel}|null>}
 */
export async function answerChallenge(key, clientNonce, frame) {
  if (!key || typeof frame !== "string" || frame.length > 1024) return null;
  let challenge;
  try {
    challenge = JSON.parse(frame);
  } catch {
    return null;
  }
  const serverNonce = fromHex(challenge?.nonce, NONCE_BYTES);
  const presented = fromHex(challenge?.proof, MAC_BYTES);
  if (challenge?.type !== "auth.challenge" || challenge.auth !== AUTH_VERSION || !serverNonce || !presented) return null;
  const nonces = concat(clientNonce, serverNonce);
  const expected = await sign(key, concat(utf8(LABELS.server), nonces));
  if (!sameBytes(expected, presented)) return null;
  const proof = await sign(key, concat(utf8(LABELS.client), nonces));
  const session = await sign(key, concat(utf8(LABELS.session), nonces));
  const channel = new Channel(await crypto.subtle.importKey("raw", session, HMAC, false, ["sign"]));
  return { proof: JSON.stringify({ type: "auth.proof", proof: toHex(proof) }), channel };
}

/**
 * Equal bytes, compared in full whatever differs first.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
function sameBytes(a, b) {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export class ChannelError extends Error {}

/**
 * The MACs of one authenticated connection (the client's side). A frame's number is taken when seal/open is
 * called, so both must be called in wire order (the transport queues them).
 */
export class Channel {
  #session;
  #sent = 0;
  #received = 0;

  /** @param {CryptoKey} session */
  constructor(session) {
    this.#session = session;
  }

  /**
   * The frame to send: 64 hex digits of MAC then the text, or 32 bytes of MAC then the bytes.
   * @param {string|Uint8Array} payload
   * @returns {Promise<string|Uint8Array>}
   */
  async seal(payload) {
    const mac = await this.#mac(TO_SERVER, this.#sent++, payload);
    return typeof payload === "string" ? toHex(mac) + payload : concat(mac, payload);
  }

  /**
   * The payload of a received frame (text, or the bytes as an ArrayBuffer); throws ChannelError when its MAC is
   * wrong: forged, replayed, reordered or sent back to us.
   * @param {string|ArrayBuffer} frame
   */
  async open(frame) {
    const number = this.#received++;
    let presented;
    let payload;
    if (typeof frame === "string") {
      presented = fromHex(frame.slice(0, 2 * MAC_BYTES), MAC_BYTES);
      payload = frame.slice(2 * MAC_BYTES);
    } else {
      const bytes = new Uint8Array(frame);
      presented = bytes.slice(0, MAC_BYTES);
      payload = bytes.slice(MAC_BYTES);
    }
    if (!presented || presented.length !== MAC_BYTES || !sameBytes(await this.#mac(TO_CLIENT, number, payload), presented)) {
      throw new ChannelError("a frame without a valid MAC");
    }
    return typeof payload === "string" ? payload : payload.buffer;
  }

  /**
   * @param {string} direction TO_SERVER or TO_CLIENT
   * @param {number} number the frame's number in that direction
   * @param {string|Uint8Array} payload
   */
  #mac(direction, number, payload) {
    const counter = new Uint8Array(8);
    new DataView(counter.buffer).setBigUint64(0, BigInt(number), false);
    const [kind, data] = typeof payload === "string" ? ["T", utf8(payload)] : ["B", payload];
    return sign(this.#session, concat(utf8(direction), counter, utf8(kind), data));
  }
}
