// The pairing key (lib/pairing.js), kept in the IndexedDB of the extension's own origin: only the extension's pages
// and background reach it. storage.local is shared with content scripts (Firefox gives it no access level; Chromium
// only lately), and a content script lives beside the page it runs in. The key is stored as a non-extractable
// CryptoKey, so its bytes cannot be read back, not even by the extension.

const DATABASE = "omamori";
const STORE = "keys";
const PAIRING = "pairing";

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * One request in one transaction; its result once the transaction has committed.
 * @template T
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest<T>} makeRequest
 * @returns {Promise<T>}
 */
async function inStore(mode, makeRequest) {
  const database = await openDatabase();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const request = makeRequest(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    database.close();
  }
}

/** @returns {Promise<CryptoKey|null>} */
export async function loadPairingKey() {
  return (await inStore("readonly", (store) => store.get(PAIRING))) ?? null;
}

/** @param {CryptoKey} key */
export async function savePairingKey(key) {
  await inStore("readwrite", (store) => store.put(key, PAIRING));
}
