// ResizeReporter: debounced terminal size reports for tty runs, on hand-driven timers, and the
// rules around it (which runs take a size, what an answer means).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ResizeReporter, resizeAnswer, takesSize } from "../src/resize.js";

function timers() {
  const pending = new Map();
  let next = 1;
  return {
    setTimer: (fn) => (pending.set(next, fn), next++),
    clearTimer: (id) => pending.delete(id),
    runAll() {
      for (const [id, fn] of [...pending]) {
        pending.delete(id);
        fn();
      }
    },
    get count() {
      return pending.size;
    },
  };
}

/** A reporter on hand-driven timers whose reports are kept with their `done`, unanswered. */
function reporter(options = {}) {
  const t = timers();
  const sent = [];
  const r = new ResizeReporter((size, done) => sent.push({ ...size, done }), { ...t, ...options });
  const sizes = () => sent.map(({ cols, rows }) => ({ cols, rows }));
  return { t, r, sent, sizes };
}

test("a burst of resizes sends only the size the terminal settles on", () => {
  const { t, r, sizes } = reporter();
  r.setLive(true);
  t.runAll();
  r.resized(100, 30);
  r.resized(110, 31);
  r.resized(120, 32);
  assert.equal(t.count, 1, "one timer for the whole burst");
  assert.deepEqual(sizes(), []);
  t.runAll();
  assert.deepEqual(sizes(), [{ cols: 120, rows: 32 }]);
});

test("the size last sent (or the run's own) is not sent again", () => {
  const { t, r, sent, sizes } = reporter({ initial: { cols: 80, rows: 24 } });
  r.setLive(true);
  r.resized(80, 24);
  t.runAll();
  assert.deepEqual(sizes(), []);
  r.resized(81, 24);
  t.runAll();
  sent[0].done(true);
  r.resized(81, 24);
  t.runAll();
  assert.deepEqual(sizes(), [{ cols: 81, rows: 24 }]);
});

test("the run's own size learnt later counts only while nothing was sent", () => {
  const { t, r, sizes } = reporter();
  r.knowRunSize({ cols: 90, rows: 20 });
  r.resized(90, 20);
  r.setLive(true);
  t.runAll();
  assert.deepEqual(sizes(), [], "the run already has the terminal's size");
  r.resized(91, 20);
  t.runAll();
  r.knowRunSize({ cols: 70, rows: 10 });
  r.resized(91, 20);
  t.runAll();
  assert.deepEqual(sizes(), [{ cols: 91, rows: 20 }]);
});

test("nothing is sent before the run is live; going live sends the size the terminal has then", () => {
  const { t, r, sizes } = reporter({ initial: { cols: 80, rows: 24 } });
  r.resized(100, 30);
  r.resized(120, 40);
  assert.equal(t.count, 0, "a queued run (or a finished one) gets no report");
  r.setLive(true);
  t.runAll();
  assert.deepEqual(sizes(), [{ cols: 120, rows: 40 }]);
});

test("a run that stops being live gets nothing more, not even a report already waiting", () => {
  const { t, r, sizes } = reporter();
  r.setLive(true);
  t.runAll();
  r.resized(100, 30);
  r.setLive(false);
  t.runAll();
  r.resized(110, 30);
  t.runAll();
  assert.deepEqual(sizes(), []);
});

test("a refused or unanswered report is forgotten: the same size is sent again on the next chance", () => {
  const { t, r, sent, sizes } = reporter({ initial: { cols: 80, rows: 24 } });
  r.setLive(true);
  r.resized(100, 30);
  t.runAll();
  sent[0].done(false);
  r.resized(100, 30);
  t.runAll();
  assert.deepEqual(sizes(), [{ cols: 100, rows: 30 }, { cols: 100, rows: 30 }], "sent again after the refusal");
  sent[1].done(false);
  r.retry(); // e.g. resubscribed after a reconnect
  t.runAll();
  assert.equal(sent.length, 3);
  sent[2].done(true);
  r.retry();
  t.runAll();
  assert.equal(sent.length, 3, "taken: not sent again");
});

test("a late refusal of an older report does not undo a newer one", () => {
  const { t, r, sent, sizes } = reporter();
  r.setLive(true);
  r.resized(100, 30);
  t.runAll();
  r.resized(110, 35);
  t.runAll();
  sent[1].done(true);
  sent[0].done(false);
  r.resized(110, 35);
  t.runAll();
  assert.deepEqual(sizes(), [{ cols: 100, rows: 30 }, { cols: 110, rows: 35 }]);
});

test("nothing is sent after dispose, nor for a size that is not positive", () => {
  const { t, r, sizes } = reporter();
  r.setLive(true);
  t.runAll();
  r.resized(0, 10);
  assert.equal(t.count, 0);
  r.resized(90, 20);
  r.dispose();
  t.runAll();
  assert.deepEqual(sizes(), []);
});

test("the default timers work where setTimeout must be called bare, as in a browser", async () => {
  // A browser's setTimeout throws "Illegal invocation" when its `this` is not the window; node's
  // does not care, so for this test the global timers behave as a browser's do.
  const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  const strict = (name) =>
    function (...args) {
      if (this !== undefined && this !== globalThis) throw new TypeError(`Illegal invocation of ${name}`);
      return real[name](...args);
    };
  globalThis.setTimeout = strict("setTimeout");
  globalThis.clearTimeout = strict("clearTimeout");
  try {
    const sent = [];
    const r = new ResizeReporter((size) => sent.push(size), { delayMs: 0 });
    r.setLive(true);
    r.resized(100, 30);
    r.resized(90, 20); // clears the first timer
    await new Promise((resolve) => real.setTimeout(resolve, 20));
    assert.deepEqual(sent, [{ cols: 90, rows: 20 }]);
    r.dispose();
  } finally {
    Object.assign(globalThis, real);
  }
});

test("only a tty run that is running takes a size", () => {
  assert.equal(takesSize({ tty: { cols: 80, rows: 24 }, status: "running" }), true);
  assert.equal(takesSize({ tty: { cols: 80, rows: 24 }, status: "queued" }), false);
  assert.equal(takesSize({ tty: { cols: 80, rows: 24 }, status: "succeeded" }), false);
  assert.equal(takesSize({ tty: null, status: "running" }), false);
  assert.equal(takesSize(undefined), false);
});

test("an answer is taken, refused with the server's reason, or not sent at all", () => {
  assert.deepEqual(resizeAnswer({ ok: true }), { ok: true, error: null });
  assert.deepEqual(resizeAnswer({ ok: false, error: "Run 'r' has finished" }), { ok: false, error: "Run 'r' has finished" });
  assert.deepEqual(resizeAnswer({ ok: false }), { ok: false, error: "refused" }, "a refusal without a reason is still one");
  assert.deepEqual(resizeAnswer({}), { ok: false, error: "refused" });
  assert.deepEqual(resizeAnswer(null), { ok: false, error: null }, "offline: the connection line says so");
});
