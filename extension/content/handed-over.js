// The protected pictures omamori handed to X's composers on this page, kept small and few, so that a feature
// can recognise them later (crop-check.js: a crop made in X's editor).

/** How many are kept: X takes 4 per post; a few posts back is plenty. */
const KEPT = 12;

/** @type {{width: number, height: number, bitmap: ImageBitmap, signatureBox: number[]|null}[]} newest first */
const pictures = [];

/**
 * Remember a protected file as it was handed over.
 * @param {File} file the protected picture
 * @param {import("./attachment.js").ReportStep[]} report the host's protect report: the signature step's
 *   details.box is where the text is (left, top, right, bottom, fractions)
 */
export async function rememberHandedOver(file, report) {
  const signature = report.find((step) => step.step === "signature" && step.applied);
  // A tiled signature covers the whole picture: any crop keeps some of it.
  const signatureBox = signature?.details?.placement === "corner" ? (signature.details.box ?? null) : null;
  const bitmap = await createImageBitmap(file);
  pictures.unshift({ width: bitmap.width, height: bitmap.height, bitmap, signatureBox });
  for (const dropped of pictures.splice(KEPT)) dropped.bitmap.close();
}

/** The remembered pictures, newest first. */
export const handedOver = () => pictures;
