// A crop made with X's own editor (free, 16:9, 1:1) after omamori handed a protected picture over may cut the
// visible signature off, and X posts the crop. Each picture X previews in a composer is compared with the protected
// files omamori handed over (content/handed-over.js): a smaller picture found inside one of them is a crop of it,
// and when much of the signature's box lies outside the crop the panel says so. Pictures are compared small
// (about COMPARE_WIDTH px wide) and in grey, so the search is quick and X's re-encode of the crop does not matter.

import { X_ORIGINS } from "../../lib/messages.js";
import { noteInComposer } from "../overlay.js";
import { SELECTORS, composerOf } from "../selectors.js";
import { handedOver } from "../handed-over.js";

export const id = "crop-check";
export const runsOn = (/** @type {string} */ url) => X_ORIGINS.includes(new URL(url).origin);
export const restartOnNavigation = false;

/** Width of the small grey copies compared, in px. */
const COMPARE_WIDTH = 160;
/** Largest mean difference (0-1 grey) at which a picture counts as found inside another. */
const MATCH_DIFFERENCE = 0.06;
/** Share of the signature's box that must stay inside the crop for the signature to count as kept. */
const SIGNATURE_KEPT = 0.75;
const SETTLE_MS = 200;

const NOTE = Object.freeze({ key: "crop_cut_signature", tone: "warning" });

/** @param {AbortSignal} signal */
export function init(signal) {
  /** @type {WeakMap<HTMLImageElement, string>} preview images looked at, with their address then (X swaps it after a crop) */
  const seen = new WeakMap();
  let timer = 0;
  const look = () => {
    timer = 0;
    for (const img of document.querySelectorAll(`${SELECTORS.attachments} img`)) {
      if (!(img instanceof HTMLImageElement)) continue;
      if (seen.get(img) === img.src) continue;
      seen.set(img, img.src);
      const composer = composerOf(img);
      if (composer && handedOver().length) check(img, composer).catch(() => {}); // an image X removed meanwhile
    }
  };
  const observer = new MutationObserver(() => {
    timer ||= setTimeout(look, SETTLE_MS);
  });
  observer.observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["src"] });
  signal.addEventListener("abort", () => {
    observer.disconnect();
    clearTimeout(timer);
  });
}

/**
 * Is the picture `img` shows a crop of a protected picture that lost its signature? Then say so.
 * @param {HTMLImageElement} img
 * @param {Element} composer
 */
async function check(img, composer) {
  await img.decode();
  const width = img.naturalWidth;
  const height = img.naturalHeight;
  const pictures = handedOver();
  if (pictures.some((picture) => picture.width === width && picture.height === height)) return; // as handed over
  for (const picture of pictures) {
    if (!picture.signatureBox || width > picture.width || height > picture.height) continue;
    const at = await locate(picture, img);
    if (!at) continue;
    const crop = [at.left / picture.width, at.top / picture.height, (at.left + width) / picture.width, (at.top + height) / picture.height];
    if (keptShare(picture.signatureBox, crop) < SIGNATURE_KEPT) noteInComposer(composer, NOTE);
    return;
  }
}

/**
 * Share of `box` (left, top, right, bottom, fractions) inside `crop`.
 * @param {number[]} box
 * @param {number[]} crop
 */
function keptShare(box, crop) {
  const area = (/** @type {number[]} */ [left, top, right, bottom]) => Math.max(0, right - left) * Math.max(0, bottom - top);
  const inside = [Math.max(box[0], crop[0]), Math.max(box[1], crop[1]), Math.min(box[2], crop[2]), Math.min(box[3], crop[3])];
  return area(box) > 0 ? area(inside) / area(box) : 1;
}

/**
 * Where the picture `img` shows sits inside the protected `picture` (pixels of the picture), or null.
 * @param {{width: number, height: number, bitmap: ImageBitmap}} picture
 * @param {HTMLImageElement} img
 */
async function locate(picture, img) {
  const scale = Math.max(1, picture.width / COMPARE_WIDTH);
  const big = grey(picture.bitmap, Math.round(picture.width / scale), Math.round(picture.height / scale));
  const small = grey(img, Math.round(img.naturalWidth / scale), Math.round(img.naturalHeight / scale));
  let best = { difference: Infinity, left: 0, top: 0 };
  for (let top = 0; top + small.height <= big.height; top += 1) {
    for (let left = 0; left + small.width <= big.width; left += 1) {
      let sum = 0;
      for (let y = 0; y < small.height; y += 2) {
        const bigRow = (top + y) * big.width + left;
        const smallRow = y * small.width;
        for (let x = 0; x < small.width; x += 2) sum += Math.abs(big.values[bigRow + x] - small.values[smallRow + x]);
      }
      const difference = sum / (Math.ceil(small.height / 2) * Math.ceil(small.width / 2));
      if (difference < best.difference) best = { difference, left, top };
    }
  }
  if (best.difference > MATCH_DIFFERENCE) return null;
  return { left: Math.round(best.left * scale), top: Math.round(best.top * scale) };
}

/**
 * A grey copy (0-1) of an image source at width x height.
 * @param {CanvasImageSource} source
 * @param {number} width
 * @param {number} height
 */
function grey(source, width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { willReadFrequently: true }));
  context.imageSmoothingQuality = "high";
  context.drawImage(source, 0, 0, width, height);
  const { data } = context.getImageData(0, 0, width, height);
  const values = new Float32Array(width * height);
  for (let i = 0; i < values.length; i += 1) {
    values[i] = (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
  }
  return { width, height, values };
}
