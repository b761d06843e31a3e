// The connection to the omamori host: requests out, replies (possibly chunked)
// and progress in. Used only by the background.
//
// The transport is a small swappable part: `nativeTransport` (native
// messaging, the default) or `webSocketTransport` (the companion server of
// `omamori serve`). Both carry the same JSON messages (docs/protocol.md).

import { ChunkAssembler, ChunkError } from "./chunks.js";
import { CodedError } from "./messages.js";
import { base64ToBytes, bytesToBase64 } from "./base64.js";
import { answerChallenge, clientHello } from "./pairing.js";

export const PROTOCOL_VERSION = 1;

/**
 * @typedef {{[field: string]: any}} HostMessage a message from the host as it arrives (a reply, progress or a
 *   chunk: docs/protocol.md); every field is checked before it is used
 * @typedef {{send: (message: {[field: string]: unknown}) => void, close: () => void}} Transport
 * @typedef {{onMessage: (message: HostMessage) => void, onClose: (code: string) => void}} TransportHandlers
 * @typedef {(handlers: TransportHandlers) => Transport} OpenTransport
 * @typedef {{stage: string, fraction: number}} Progress
 */

/**
 * Map the browser's reason for a closed native port to an error code. The
 * browsers give only English text here (no codes), so this is the one place
 * that reads it.
 * @param {string|undefined} reason runtime.lastError.message (Chromium) or port.error.message (Firefox)
 */
export function nativeDisconnectCode(reason) {
  const text = String(reason ?? "").toLowerCase();
  // Chromium: "Specified native messaging host not found."; Firefox: "No such native application jp.omamori.host"
  if (text.includes("not found") || text.includes("no such native application")) return "host_not_installed";
  // Chromium: "Access to the specified native messaging host is forbidden."; Firefox: "... not allowed ..."
  if (text.includes("forbidden") || text.includes("not allowed")) return "host_forbidden";
  return "host_disconnected";
}

/**
 * Native messaging transport.
 * @param {typeof chrome.runtime} runtime the extension's runtime API (ext.runtime)
 * @param {string} hostName
 * @returns {OpenTransport}
 */
export function nativeTransport(runtime, hostName) {
  return ({ onMessage, onClose }) => {
    const port = runtime.connectNative(hostName);
    port.onMessage.addListener(onMessage);
    port.onDisconnect.addListener((/** @type {chrome.runtime.Port & {error?: Error}} */ p) => {
      const reason = p?.error?.message ?? runtime.lastError?.message;
      onClose(nativeDisconnectCode(reason));
    });
    return {
      send: (message) => port.postMessage(message),
      close: () => port.disconnect(),
    };
  };
}

/** Bytes of the big-endian header length that starts a binary frame. */
const BINARY_HEADER = 4;

/**
 * A request carrying an image as a WebSocket binary frame (docs/protocol.md,
 * "WebSocket"): 4-byte big-endian length N, N bytes of UTF-8 JSON (the
 * request without `image`), then the image's raw bytes. No base64 on the wire.
 * @param {{image: string}} message the request, its image in base64
 * @returns {Uint8Array}
 */
export function encodeBinaryFrame(message) {
  const { image, ...header } = message;
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const imageBytes = base64ToBytes(image);
  const frame = new Uint8Array(BINARY_HEADER + headerBytes.length + imageBytes.length);
  new DataView(frame.buffer).setUint32(0, headerBytes.length, false);
  frame.set(headerBytes, BINARY_HEADER);
  frame.set(imageBytes, BINARY_HEADER + headerBytes.length);
  return frame;
}

/**
 * A reply from a binary frame, with `result.image` put back as base64 so the
 * rest of the extension sees the same reply as over native messaging.
 * @param {ArrayBuffer} buffer
 * @returns {object|null} null when the frame is malformed
 */
export function decodeBinaryFrame(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < BINARY_HEADER) return null;
  const length = new DataView(buffer).getUint32(0, false);
  if (BINARY_HEADER + length > bytes.length) return null;
  let reply;
  try {
    reply = JSON.parse(new TextDecoder().decode(bytes.subarray(BINARY_HEADER, BINARY_HEADER + length)));
  } catch {
    return null;
  }
  if (reply?.result && typeof reply.result === "object") {
    reply.result.image = bytesToBase64(bytes.subarray(BINARY_HEADER + length));
  }
  return reply;
}

/**
 * WebSocket transport to `omamori serve`: JSON messages as text frames, and
 * requests with an image as binary frames (so is their reply), each sealed with
 * its MAC once the server proved it holds the pairing key (lib/pairing.js).
 * Until then nothing but the handshake is sent: messages wait in order. A
 * server that cannot prove itself, or a frame with a wrong MAC, closes the
 * connection with server_unverified.
 * @param {typeof WebSocket} WebSocketImpl
 * @param {string} serverUrl
 * @param {CryptoKey|null} key the pairing key (lib/keystore.js); null when never paired
 * @returns {OpenTransport}
 */
export function webSocketTransport(WebSocketImpl, serverUrl, key) {
  return ({ onMessage, onClose }) => {
    const socket = new WebSocketImpl(serverUrl);
    socket.binaryType = "arraybuffer";
    /** @type {(string|Uint8Array)[]} frames waiting for the server to prove itself */
    const waiting = [];
    let opened = false;
    /** @type {ReturnType<typeof clientHello>|null} */
    let hello = null;
    /** @type {import("./pairing.js").Channel|null} */
    let channel = null;
    /** @type {string|null} */
    let failure = null;
    // MACs take a promise each; these chains keep frames numbered and handled in wire order.
    let incoming = Promise.resolve();
    let outgoing = Promise.resolve();
    const giveUp = () => {
      failure = "server_unverified";
      socket.close();
    };
    /** @param {string|Uint8Array} frame */
    const sendSealed = (frame) => {
      const sealing = /** @type {import("./pairing.js").Channel} */ (channel);
      outgoing = outgoing.then(async () => socket.send(/** @type {string|Uint8Array<ArrayBuffer>} */ (await sealing.seal(frame)))).catch(() => {});
    };
    socket.addEventListener("open", () => {
      opened = true;
      hello = clientHello();
      socket.send(hello.message);
    });
    socket.addEventListener("message", (event) => {
      incoming = incoming.then(async () => {
        if (failure) return;
        if (!channel) {
          const answer = await answerChallenge(key, /** @type {{nonce: Uint8Array}} */ (hello).nonce, event.data);
          if (!answer) return giveUp();
          socket.send(answer.proof);
          channel = answer.channel;
          for (const frame of waiting.splice(0)) sendSealed(frame);
          return;
        }
        let payload;
        try {
          payload = await channel.open(event.data);
        } catch {
          return giveUp();
        }
        let message = null;
        if (typeof payload === "string") {
          try {
            message = JSON.parse(payload);
          } catch {
            // not JSON: requests waiting for an answer will time out
          }
        } else {
          message = decodeBinaryFrame(payload);
        }
        if (message) onMessage(message);
      });
    });
    // Closed before the server proved itself (or after a forged frame): it is not known to be ours.
    socket.addEventListener("close", () =>
      onClose(failure ?? (channel ? "host_disconnected" : opened ? "server_unverified" : "server_unreachable")),
    );
    return {
      send: (message) => {
        const { image } = message;
        const frame = typeof image === "string" ? encodeBinaryFrame({ ...message, image }) : JSON.stringify(message);
        if (channel) sendSealed(frame);
        else waiting.push(frame);
      },
      close: () => socket.close(),
    };
  };
}

export class HostClient {
  #openTransport;
  /** @type {Transport|null} */
  #transport = null;
  #chunks = new ChunkAssembler();
  /**
   * @type {Map<string, {resolve: (result: any) => void, reject: (error: CodedError) => void,
   *   onProgress?: (progress: Progress) => void, touch: () => void, type: string}>}
   */
  #pending = new Map();
  #nextId = 1;
  /** @type {Promise<any>|null} the hello of the current connection */
  #hello = null;

  /** @param {OpenTransport} openTransport */
  constructor(openTransport) {
    this.#openTransport = openTransport;
  }

  /**
   * Connect if needed and say hello once per connection; resolves with the
   * hello result (version, settings, capabilities, the ledger's count). A failed hello is not
   * kept: the next call tries again (the host may have been installed since). `fresh` says it again now and keeps
   * that answer: the count, the settings and the cloak's model change while a connection lasts.
   * @param {{timeoutMs?: number, fresh?: boolean}} [options]
   * @returns {Promise<any>}
   */
  hello({ timeoutMs = 10_000, fresh = false } = {}) {
    if (!this.#hello || fresh) {
      const hello = this.request("hello", {}, { timeoutMs }).then((result) => {
        if (result.protocol !== PROTOCOL_VERSION) {
          throw new CodedError("host_bad_reply", null, { reason: "protocol", host: result.protocol });
        }
        return result;
      });
      this.#hello = hello;
      hello.catch(() => {
        if (this.#hello === hello) this.#hello = null;
      });
    }
    return this.#hello;
  }

  /**
   * Send one request and wait for its reply.
   * @param {string} type
   * @param {object} body the request's fields besides v/id/type
   * @param {{timeoutMs?: number, onProgress?: (p: Progress) => void,
   *          signal?: AbortSignal}} [options] timeoutMs: longest silence from the host
   *          about this request (progress and chunks count as news), in milliseconds.
   *          A request given up on (its silence limit, or `signal`) is cancelled at the host, which then
   *          stops working on it and serves the next request at once.
   * @returns {Promise<any>} the reply's result (its shape is the request type's, docs/protocol.md)
   */
  request(type, body, { timeoutMs = 30_000, onProgress, signal } = {}) {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const transport = this.#connect();
    const id = `r${this.#nextId++}`;
    return new Promise((resolve, reject) => {
      /** @type {ReturnType<typeof setTimeout>|undefined} */
      let timer;
      /** @template T @param {(value: T) => void} fn @param {T} value */
      const settle = (fn, value) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(id);
        this.#chunks.drop(id);
        fn(value);
      };
      /** @param {unknown} error */
      const giveUp = (error) => {
        settle(reject, error);
        this.#cancelAtHost(transport, id);
      };
      const touch = () => {
        clearTimeout(timer);
        timer = setTimeout(() => giveUp(new CodedError("host_timeout")), timeoutMs);
      };
      const onAbort = () => giveUp(signal?.reason);
      signal?.addEventListener("abort", onAbort);
      this.#pending.set(id, {
        type,
        onProgress,
        touch,
        resolve: (v) => settle(resolve, v),
        reject: (e) => settle(reject, e),
      });
      touch();
      try {
        transport.send({ ...body, v: PROTOCOL_VERSION, id, type });
      } catch {
        this.#pending.get(id)?.reject(new CodedError("host_disconnected"));
      }
    });
  }

  /**
   * Ask the host to stop request `id` (docs/protocol.md, `cancel`), if the connection it went out on is still the
   * current one. Its answer, and the request's own late reply, find no one waiting and are dropped.
   * @param {Transport} transport
   * @param {string} id
   */
  #cancelAtHost(transport, id) {
    if (this.#transport !== transport) return;
    try {
      transport.send({ v: PROTOCOL_VERSION, id: `r${this.#nextId++}`, type: "cancel", request: id });
    } catch {
      // the connection is going away: the host cancels what it had
    }
  }

  /** Close the connection; pending requests fail with host_disconnected. */
  close() {
    const transport = this.#transport;
    if (!transport) return;
    this.#dropConnection("host_disconnected");
    transport.close();
  }

  #connect() {
    if (this.#transport) return this.#transport;
    const transport = this.#openTransport({
      onMessage: (message) => this.#receive(message),
      onClose: (code) => {
        if (this.#transport !== transport) return;
        this.#dropConnection(code);
      },
    });
    this.#transport = transport;
    return transport;
  }

  /** @param {string} code */
  #dropConnection(code) {
    this.#transport = null;
    this.#hello = null;
    this.#chunks = new ChunkAssembler();
    for (const entry of [...this.#pending.values()]) entry.reject(new CodedError(code));
  }

  /** @param {HostMessage} message */
  #receive(message) {
    if (message === null || typeof message !== "object") return;
    if (message.id === null && message.ok === false) {
      // The host could not read a request far enough to know its id (e.g.
      // frame_too_large): it may be any of the pending ones, so all fail.
      for (const entry of [...this.#pending.values()]) this.#settle(entry, message);
      return;
    }
    const entry = this.#pending.get(message.id);
    if (!entry) {
      // A late reply to a request that was cancelled or timed out is dropped. An id this client never
      // sent means the host lost track of its requests: the pending ones will never be answered, so
      // they fail now rather than at their silence limit.
      if (!this.#issued(message.id)) {
        const error = new CodedError("host_bad_reply", null, { reason: "unknown id" });
        for (const pending of [...this.#pending.values()]) pending.reject(error);
      }
      return;
    }
    entry.touch();
    if (message.type === "progress") {
      entry.onProgress?.({ stage: String(message.stage ?? ""), fraction: Number(message.fraction) || 0 });
      return;
    }
    if (message.type === "chunk") {
      let reply;
      try {
        reply = this.#chunks.add(/** @type {import("./chunks.js").Chunk} */ (message));
      } catch (error) {
        if (error instanceof ChunkError) entry.reject(new CodedError("host_bad_reply", null, { reason: error.reason }));
        else throw error;
        return;
      }
      if (reply) this.#settle(entry, reply);
      return;
    }
    this.#settle(entry, message);
  }

  /**
   * Did this client send a request with this id (`r1` up to the last one)?
   * @param {unknown} id
   */
  #issued(id) {
    const match = /^r([1-9][0-9]*)$/.exec(String(id));
    return match !== null && Number(match[1]) < this.#nextId;
  }

  /**
   * @param {{resolve: (result: any) => void, reject: (error: CodedError) => void}} entry
   * @param {HostMessage} reply
   */
  #settle(entry, reply) {
    if (reply.ok === true && reply.result && typeof reply.result === "object") {
      entry.resolve(reply.result);
    } else if (reply.ok === false && reply.error && typeof reply.error.code === "string") {
      entry.reject(new CodedError(reply.error.code, reply.error.message ?? null, reply.error.details ?? {}));
    } else {
      entry.reject(new CodedError("host_bad_reply", null, { reason: "reply without ok/result/error" }));
    }
  }
}
