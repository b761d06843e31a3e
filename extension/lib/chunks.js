// Reassembly of replies the host splits into chunk messages.
//
// The host sends at most 1 MiB per native-messaging frame, so a larger reply
// (a protected image) arrives as {type: "chunk", id, index, count, data}
// messages whose `data` strings, joined in index order, are the reply's JSON
// text (docs/protocol.md). Chunks of different requests may interleave, so
// each id is assembled on its own.

/** @typedef {{id: string, index: number, count: number, data: string}} Chunk a chunk message's fields */

export class ChunkError extends Error {
  /** @param {string} id @param {string} reason */
  constructor(id, reason) {
    super(`chunked reply ${id}: ${reason}`);
    this.name = "ChunkError";
    this.id = id;
    this.reason = reason;
  }
}

export class ChunkAssembler {
  /** @type {Map<string, {count: number, parts: (string|undefined)[], received: number, chars: number}>} */
  #pending = new Map();
  #maxChars;

  /**
   * @param {{maxChars?: number}} [limits] maxChars: the longest reply text
   *   accepted, in UTF-16 code units (a protected image is at most a few MB
   *   of base64; the default leaves room for 48 MiB).
   */
  constructor({ maxChars = 64 * 1024 * 1024 } = {}) {
    this.#maxChars = maxChars;
  }

  /**
   * Take one chunk message.
   * @param {Chunk} chunk as the host sent it (checked here)
   * @returns {object|null} the parsed reply once its last chunk arrived, else null.
   * @throws {ChunkError} when the chunk contradicts the earlier ones; that
   *   request's partial reply is dropped.
   */
  add(chunk) {
    const { id, index, count, data } = chunk;
    if (typeof id !== "string" || !id) throw new ChunkError(String(id), "missing id");
    if (!Number.isInteger(count) || count < 1) return this.#fail(id, "bad count");
    if (!Number.isInteger(index) || index < 0 || index >= count) return this.#fail(id, "index out of range");
    if (typeof data !== "string") return this.#fail(id, "data is not a string");

    let entry = this.#pending.get(id);
    if (!entry) {
      entry = { count, parts: new Array(count), received: 0, chars: 0 };
      this.#pending.set(id, entry);
    }
    if (entry.count !== count) return this.#fail(id, "count changed");
    if (entry.parts[index] !== undefined) return this.#fail(id, "duplicate index");
    entry.chars += data.length;
    if (entry.chars > this.#maxChars) return this.#fail(id, "reply too large");
    entry.parts[index] = data;
    entry.received += 1;
    if (entry.received < entry.count) return null;

    this.#pending.delete(id);
    try {
      return JSON.parse(entry.parts.join(""));
    } catch {
      throw new ChunkError(id, "joined chunks are not JSON");
    }
  }

  /**
   * Forget a partial reply (its request was cancelled or timed out).
   * @param {string} id
   */
  drop(id) {
    this.#pending.delete(id);
  }

  /** @param {string} id @param {string} reason @returns {never} */
  #fail(id, reason) {
    this.#pending.delete(id);
    throw new ChunkError(id, reason);
  }
}
