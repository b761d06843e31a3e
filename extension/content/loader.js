// Content scripts listed in the manifest are classic scripts; this one loads
// the ES module tree (content/main.js and what it imports, listed in
// web_accessible_resources) and starts it.
(async () => {
  const api = globalThis.browser ?? globalThis.chrome;
  const { start } = await import(api.runtime.getURL("content/main.js"));
  start();
})();
