import { test } from "node:test";
import assert from "node:assert/strict";

import {
  State,
  BatchPhase,
  TransitionError,
  MAX_ATTEMPTS,
  afterLostPort,
  allows,
  appliedToAll,
  batchPhase,
  canRetry,
  createAttachment,
  selectFiles,
  hasProtectable,
  mustBeRead,
  transition,
} from "../../extension/content/attachment.js";

const png = (name = "art.png") => ({ name, type: "image/png", size: 1000 });
const gif = { name: "anim.gif", type: "image/gif", size: 1000 };
const mp4 = { name: "clip.mp4", type: "video/mp4", size: 1000 };

const walk = (attachment, ...events) => events.reduce((a, [event, data]) => transition(a, event, data), attachment);

test("images start queued; GIF, video and other files pass through", () => {
  assert.equal(createAttachment(png(), 0).state, State.QUEUED);
  for (const type of ["image/jpeg", "image/webp"]) assert.equal(createAttachment({ ...png(), type }, 0).state, State.QUEUED);
  for (const file of [gif, mp4, { name: "a.heic", type: "image/heic", size: 1 }]) {
    assert.equal(createAttachment(file, 0).state, State.PASSTHROUGH, file.name);
  }
});

test("the happy path: queued -> protecting (progress) -> protected", () => {
  const result = { file: "protected", report: [], mark: null };
  const a = walk(
    createAttachment(png(), 0),
    ["start"],
    ["progress", { stage: "signature", fraction: 0.4 }],
    ["progress", { stage: "mark", fraction: 0.2 }],
  );
  assert.equal(a.state, State.PROTECTING);
  assert.equal(a.stage, "mark");
  assert.equal(a.fraction, 0.4, "progress never goes backwards");
  const done = transition(a, "succeed", { result });
  assert.equal(done.state, State.PROTECTED);
  assert.equal(done.fraction, 1);
  assert.equal(done.result, result);
});

test("failure waits for the person: attach the original, or cancel", () => {
  const error = { code: "host_not_installed" };
  const failed = walk(createAttachment(png(), 0), ["start"], ["fail", { error }]);
  assert.equal(failed.state, State.FAILED);
  assert.equal(failed.error, error);
  assert.equal(transition(failed, "useOriginal").state, State.ORIGINAL);
  assert.equal(transition(failed, "cancel").state, State.CANCELLED);
  assert.equal(transition(createAttachment(png(), 0), "fail", { error: { code: "file_too_large" } }).state, State.FAILED);
});

test("transitions not in the table are refused, and values are never changed in place", () => {
  const queued = createAttachment(png(), 0);
  assert.throws(() => transition(queued, "succeed", {}), TransitionError);
  assert.throws(() => transition(queued, "useOriginal"), TransitionError);
  const protectedOne = walk(queued, ["start"], ["succeed", { result: {} }]);
  assert.throws(() => transition(protectedOne, "progress", { stage: "x", fraction: 1 }), TransitionError);
  assert.throws(() => transition(transition(protectedOne, "cancel"), "start"), TransitionError);
  assert.throws(() => transition(queued, "explode"), TransitionError);
  assert.ok(Object.isFrozen(queued));
  assert.equal(queued.state, State.QUEUED, "the earlier value is untouched");
  assert.ok(allows(queued, "start") && !allows(queued, "useOriginal"));
});

test("the batch phase follows its members", () => {
  const queued = createAttachment(png(), 0);
  const passthrough = createAttachment(gif, 1);
  const protecting = transition(queued, "start");
  const done = transition(protecting, "succeed", { result: {} });
  const failed = transition(protecting, "fail", { error: { code: "timeout" } });
  assert.equal(batchPhase([protecting, passthrough]), BatchPhase.WORKING);
  assert.equal(batchPhase([failed, protecting]), BatchPhase.WORKING, "still working: ask once all are done");
  assert.equal(batchPhase([failed, done]), BatchPhase.ASKING);
  assert.equal(batchPhase([transition(failed, "useOriginal"), done, passthrough]), BatchPhase.READY);
  assert.equal(batchPhase([transition(failed, "cancel"), transition(done, "cancel")]), BatchPhase.CANCELLED);
  assert.equal(batchPhase([passthrough]), BatchPhase.READY);
});

test("at most four images go on; GIF and video ride along", () => {
  const files = [png("1.png"), gif, png("2.png"), png("3.png"), png("4.png"), png("5.png"), mp4];
  const { kept, leftOut } = selectFiles(files);
  assert.deepEqual(kept.map((f) => f.name), ["1.png", "anim.gif", "2.png", "3.png", "4.png", "clip.mp4"]);
  assert.deepEqual(leftOut.map((f) => f.name), ["5.png"]);
  assert.ok(hasProtectable(files));
  assert.ok(!hasProtectable([gif, mp4]));
});

test("a port closed without an answer is retried up to MAX_ATTEMPTS, only while protecting", () => {
  let a = transition(createAttachment(png(), 0), "start");
  assert.equal(a.attempt, 1);
  a = transition(a, "progress", { stage: "mark", fraction: 0.7 });
  assert.ok(canRetry(a));
  const again = transition(a, "retry");
  assert.equal(again.state, State.PROTECTING);
  assert.equal(again.attempt, 2);
  assert.equal(again.fraction, 0, "progress starts over with the new try");
  assert.equal(again.stage, null);
  assert.equal(MAX_ATTEMPTS, 2);
  assert.equal(canRetry(again), false, "the last try's broken port is a failure");
  assert.equal(canRetry(createAttachment(png(), 0)), false, "nothing to retry before the start");
  const cancelled = transition(a, "cancel");
  assert.equal(canRetry(cancelled), false, "a cancelled image is never sent again");
  assert.throws(() => transition(cancelled, "retry"), TransitionError);
  assert.throws(() => transition(transition(a, "succeed", { result: {} }), "retry"), TransitionError);
});

test("a lost port is retried only when a fresh worker can answer; a gone extension says reload the page", () => {
  const protecting = transition(createAttachment(png(), 0), "start");
  assert.deepEqual(afterLostPort(protecting, { extensionGone: false }), { event: "retry" }, "the worker was stopped");
  const lastTry = transition(protecting, "retry");
  assert.deepEqual(afterLostPort(lastTry, { extensionGone: false }), {
    event: "fail",
    error: { code: "host_disconnected" },
  });
  // Updated, reloaded or switched off under the open page: no retry can reach it, whatever the attempt.
  for (const attachment of [protecting, lastTry]) {
    assert.deepEqual(afterLostPort(attachment, { extensionGone: true }), {
      event: "fail",
      error: { code: "extension_reloaded" },
    });
  }
});

/** A protected image whose host report applied `applied` of the steps, with `skipped` asked for and not applied. */
function protectedWith(applied, skipped = [], index = 0) {
  const steps = ["metadata", "signature", "cloak", "mark", "encode"];
  const report = steps.map((step) => ({ step, applied: applied.includes(step) || ["metadata", "encode"].includes(step) }));
  const result = { file: "protected", report, skipped: skipped.map((step) => ({ step, reason: "unavailable" })), mark: null };
  return walk(createAttachment(png(), index), ["start"], ["succeed", { result }]);
}

test("the folded mark names the protections every image got, and says when one asked for was skipped", () => {
  const names = (attachments) => appliedToAll(attachments)?.steps.map((step) => step.step);
  assert.deepEqual(names([protectedWith(["signature", "mark", "cloak"])]), ["signature", "cloak", "mark"]);
  assert.equal(appliedToAll([protectedWith(["signature", "mark"])]).partial, false, "cloak off is not a skip");
  // Two images, one without its cloak: the mark says only what both got, and that something was skipped.
  const mixed = [protectedWith(["signature", "mark", "cloak"]), protectedWith(["signature", "mark"], ["cloak"], 1)];
  assert.deepEqual(names(mixed), ["signature", "mark"]);
  assert.equal(appliedToAll(mixed).partial, true);
  const failed = walk(createAttachment(png(), 0), ["start"], ["fail", { error: { code: "internal_error" } }]);
  assert.equal(appliedToAll([failed, createAttachment(gif, 1)]), null, "nothing protected: no mark");
});

test("a finished panel folds by itself only when everything went as asked", () => {
  const quiet = { finished: {}, notices: [], warned: false };
  const done = [protectedWith(["signature", "mark"])];
  assert.equal(mustBeRead(done, quiet), false);
  assert.equal(mustBeRead(done, { ...quiet, finished: null }), true, "not handed over yet");
  assert.equal(mustBeRead(done, { ...quiet, finished: { error: { code: "composer_gone" } } }), true);
  assert.equal(mustBeRead(done, { ...quiet, warned: true }), true, "a warning about the post");
  assert.equal(mustBeRead(done, { ...quiet, notices: ["notice_left_out"] }), true);
  assert.equal(mustBeRead([protectedWith(["signature"], ["mark"])], quiet), true, "a protection skipped");
  const original = walk(createAttachment(png(), 0), ["start"], ["fail", { error: { code: "internal_error" } }], ["useOriginal"]);
  assert.equal(mustBeRead([...done, original], quiet), true, "an original went out");
  assert.equal(mustBeRead([...done, createAttachment(gif, 1)], quiet), true, "a GIF went as it is");
});
