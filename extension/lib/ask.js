// How content scripts and extension pages ask the background for something:
// one runtime message, answered {ok: true, result} or {ok: false, error}.

import { ext } from "./browser.js";
import { CodedError } from "./messages.js";

/**
 * @param {{type: string, [field: string]: any}} message one of MESSAGE_TYPES
 * @returns {Promise<any>} the handler's result
 * @throws {CodedError} the handler's failure
 */
export async function ask(message) {
  const reply = await ext.runtime.sendMessage(message);
  if (reply?.ok === true) return reply.result;
  const error = reply?.error ?? { code: "internal_error" };
  throw new CodedError(error.code, error.message ?? null, error.details ?? {});
}
