// One name for the WebExtension API in every browser: Firefox has `browser`
// (promises), Chromium has `chrome` (promises too since MV3). Everything that
// both expose with the same shape is used through `ext`.
export const ext = globalThis.browser ?? globalThis.chrome;
