// The signature's look fields (placement, corner, opacity, tiled opacity, size), which the options page and the
// first-run page both have: built from one table into the page before it is localized (their labels and choices
// carry data-i18n). Each control is named by its setting (lib/settings-fields.js).

/**
 * One field: `name` (the last part of its id and data-testid), the dotted `setting` it edits, the _locales key of its
 * `label`, and either a select's `choices` (value -> _locales key) or a number field's `range` (in percent of the
 * 0-1 setting); `only`, the placement it applies to alone (data-placement-only: a page may hide it for the other).
 * @typedef {{name: string, setting: string, label: string, only?: string}
 *   & ({choices: Record<string, string>} | {range: {min: number, max: number, step: number}})} LookField
 */

/** @type {readonly LookField[]} */
const LOOK_FIELDS = [
  { name: "placement", setting: "signature.placement", label: "options_placement",
    choices: { corner: "options_placement_corner", tiled: "options_placement_tiled" } },
  { name: "corner", setting: "signature.corner", label: "options_corner", only: "corner",
    choices: { "bottom-right": "options_corner_bottom_right", "bottom-left": "options_corner_bottom_left",
      "top-right": "options_corner_top_right", "top-left": "options_corner_top_left" } },
  { name: "opacity", setting: "signature.opacity", label: "options_opacity", only: "corner", range: { min: 5, max: 100, step: 1 } },
  { name: "tiled-opacity", setting: "signature.tiled_opacity", label: "options_tiled_opacity", only: "tiled",
    range: { min: 5, max: 100, step: 1 } },
  { name: "size", setting: "signature.size", label: "options_size", range: { min: 0.5, max: 25, step: 0.5 } },
];

/**
 * A select of `choices` (value -> _locales key).
 * @param {Document} doc
 * @param {Record<string, string>} choices
 */
function choiceControl(doc, choices) {
  const select = doc.createElement("select");
  for (const [value, key] of Object.entries(choices)) {
    const option = Object.assign(doc.createElement("option"), { value });
    option.dataset.i18n = key;
    select.append(option);
  }
  return select;
}

/**
 * A number field in percent of a 0-1 setting.
 * @param {Document} doc
 * @param {{min: number, max: number, step: number}} range
 */
function percentControl(doc, { min, max, step }) {
  const input = Object.assign(doc.createElement("input"), { type: "number", min: String(min), max: String(max), step: String(step) });
  input.dataset.scale = "100";
  return input;
}

/**
 * Puts the look fields in place of `slot`: a label and its control for each, the control's id `${id}-<name>` and
 * data-testid `${testId}-<name>`.
 * @param {Element} slot
 * @param {{id: string, testId: string}} prefixes
 */
export function mountLookFields(slot, { id, testId }) {
  const doc = slot.ownerDocument;
  slot.replaceWith(
    ...LOOK_FIELDS.flatMap((field) => {
      const label = doc.createElement("label");
      const control = "choices" in field ? choiceControl(doc, field.choices) : percentControl(doc, field.range);
      label.htmlFor = control.id = `${id}-${field.name}`;
      label.dataset.i18n = field.label;
      control.name = field.setting;
      control.dataset.testid = `${testId}-${field.name}`;
      if (field.only) label.dataset.placementOnly = control.dataset.placementOnly = field.only;
      return [label, control];
    }),
  );
}
