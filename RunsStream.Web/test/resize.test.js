// ResizeReporter: debounced terminal size reports for tty runs, on hand-driven timers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ResizeReporter } from "../src/resize.js";

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

test("a burst of resizes sends only the size the terminal settles on", () => {
  const t = timers();
  const sent = [];
  const reporter = new ResizeReporter((s) => sent.push(s), t);
  reporter.resized(100, 30);
  reporter.resized(110, 31);
  reporter.resized(120, 32);
  assert.equal(t.count, 1, "one timer for the whole burst");
  assert.deepEqual(sent, []);
  t.runAll();
  assert.deepEqual(sent, [{ cols: 120, rows: 32 }]);
});

test("the size last sent (or the run's own) is not sent again", () => {
  const t = timers();
  const sent = [];
  const reporter = new ResizeReporter((s) => sent.push(s), { ...t, initial: { cols: 80, rows: 24 } });
  reporter.resized(80, 24);
  t.runAll();
  assert.deepEqual(sent, []);
  reporter.resized(81, 24);
  t.runAll();
  reporter.resized(81, 24);
  t.runAll();
  assert.deepEqual(sent, [{ cols: 81, rows: 24 }]);
});

test("nothing is sent after dispose, nor for a size that is not positive", () => {
  const t = timers();
  const sent = [];
  const reporter = new ResizeReporter((s) => sent.push(s), t);
  reporter.resized(0, 10);
  assert.equal(t.count, 0);
  reporter.resized(90, 20);
  reporter.dispose();
  t.runAll();
  assert.deepEqual(sent, []);
});
