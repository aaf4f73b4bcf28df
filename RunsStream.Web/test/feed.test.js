// TerminalFeed against a terminal double whose write callbacks the test completes by hand, so
// every step of the flow control is deterministic (no timers, no xterm).
import assert from "node:assert/strict";
import { test } from "node:test";
import { HIGH_WATERMARK, LOW_WATERMARK, RESET_SCREEN, TAIL_CHARS, TerminalFeed, WRITE_CHUNK } from "../src/feed.js";

/** Records writes; `finish()` completes the oldest write in flight, as xterm's parser would. */
function fakeTerminal() {
  const callbacks = [];
  return {
    writes: [],
    write(chunk, callback) {
      this.writes.push(chunk);
      callbacks.push(callback);
    },
    get inFlight() {
      return callbacks.length;
    },
    finish() {
      callbacks.shift()();
    },
    finishAll() {
      while (callbacks.length > 0) callbacks.shift()();
    },
  };
}

test("hands xterm one chunk at a time, the next only after the write callback", () => {
  const term = fakeTerminal();
  const feed = new TerminalFeed(term);
  feed.push("one ");
  feed.push("two ");
  feed.push("three");
  assert.deepEqual(term.writes, ["one "]);
  assert.equal(term.inFlight, 1);
  term.finish();
  assert.deepEqual(term.writes, ["one ", "two three"], "what queued meanwhile goes as one write");
  term.finish();
  assert.equal(term.inFlight, 0);
  assert.equal(feed.stats.written, "one two three".length);
  assert.equal(feed.pending, 0);
});

test("writes at most WRITE_CHUNK characters at once and never splits a surrogate pair", () => {
  const term = fakeTerminal();
  const feed = new TerminalFeed(term);
  feed.push("x"); // in flight, so the next push queues whole
  feed.push("a".repeat(WRITE_CHUNK - 1) + "\u{1F600}" + "b");
  term.finish();
  assert.equal(term.writes[1], "a".repeat(WRITE_CHUNK - 1), "the pair moves to the next chunk");
  term.finish();
  assert.equal(term.writes[2], "\u{1F600}b");
  assert.ok(term.writes.every((w) => w.length <= WRITE_CHUNK));
});

test("asks to pause above HIGH_WATERMARK and to resume once drained below LOW_WATERMARK", () => {
  const term = fakeTerminal();
  const calls = [];
  const feed = new TerminalFeed(term, { onPause: () => calls.push("pause"), onResume: () => calls.push("resume") });
  const piece = "p".repeat(64 * 1024);
  while (feed.queued <= HIGH_WATERMARK) feed.push(piece);
  assert.deepEqual(calls, ["pause"]);
  assert.equal(feed.paused, true);
  feed.push(piece);
  assert.deepEqual(calls, ["pause"], "one pause, however much more arrives");
  while (feed.queued >= LOW_WATERMARK) {
    assert.deepEqual(calls, ["pause"], "no resume while the queue is above LOW_WATERMARK");
    term.finish();
  }
  term.finish();
  assert.deepEqual(calls, ["pause", "resume"]);
  assert.equal(feed.paused, false);
  assert.equal(feed.stats.pauses, 1);
});

test("a tail keeps only the last lines and says how much it left out", () => {
  const term = fakeTerminal();
  let omittedReported = 0;
  const feed = new TerminalFeed(term, { tailLines: 3, onOmitted: (n) => (omittedReported = n) });
  feed.beginTail();
  assert.equal(feed.inTail, true);
  const lines = Array.from({ length: 10 }, (_, i) => `line-${i + 1}\n`);
  for (const line of lines) feed.push(line);
  assert.deepEqual(term.writes, [], "nothing is written while the tail collects");
  feed.endTail();
  term.finishAll();
  const written = term.writes.join("");
  assert.match(written, /earlier output not shown/);
  assert.ok(written.endsWith("line-8\nline-9\nline-10\n"), written);
  assert.ok(!written.includes("line-7\n"));
  const omitted = lines.slice(0, 7).join("").length;
  assert.equal(omittedReported, omitted);
  assert.equal(feed.stats.omitted, omitted);
  assert.equal(feed.inTail, false);
});

test("a tail holds at most about TAIL_CHARS while it collects", () => {
  const term = fakeTerminal();
  const feed = new TerminalFeed(term);
  feed.beginTail();
  const piece = "t".repeat(256 * 1024);
  for (let i = 0; i < 40; i++) feed.push(piece); // 10 MiB
  assert.ok(feed.pending <= TAIL_CHARS + piece.length, `pending ${feed.pending}`);
  assert.ok(feed.pending >= TAIL_CHARS - piece.length);
});

test("a short finished run's tail is written whole, without a notice", () => {
  const term = fakeTerminal();
  let omitted = null;
  const feed = new TerminalFeed(term, { onOmitted: (n) => (omitted = n) });
  feed.beginTail();
  feed.push("only\n");
  feed.endTail();
  assert.deepEqual(term.writes, ["only\n"]);
  assert.equal(omitted, null);
});

test("after dispose nothing more is written", () => {
  const term = fakeTerminal();
  const feed = new TerminalFeed(term);
  feed.push("first");
  feed.push("second");
  feed.dispose();
  term.finish();
  feed.push("third");
  assert.deepEqual(term.writes, ["first"]);
  assert.equal(feed.pending, 0);
});

test("replace() drops what is queued and writes a reset and the new text after the write in flight", () => {
  const term = fakeTerminal();
  const feed = new TerminalFeed(term);
  feed.push("old one ");
  feed.push("old two");
  feed.replace("fresh\r\n");
  assert.deepEqual(term.writes, ["old one "], "the chunk xterm is parsing stays");
  term.finishAll();
  term.finishAll();
  assert.deepEqual(term.writes, ["old one ", `${RESET_SCREEN}fresh\r\n`], "old two is never written");
  assert.equal(feed.pending, 0);
});

test("replace() while a finished run's tail is collected keeps only the new text", () => {
  const term = fakeTerminal();
  const feed = new TerminalFeed(term);
  feed.beginTail();
  feed.push("first rendering\n");
  feed.replace("second rendering\n");
  feed.endTail();
  assert.deepEqual(term.writes, ["second rendering\n"]);
});

test("a progress line's carriage returns reach xterm as written, also across chunks and with CRLF", () => {
  const term = fakeTerminal();
  const feed = new TerminalFeed(term);
  const parts = ["10%\r", "20%\r", "\n", "30%\r\n", "done\r"];
  for (const p of parts) {
    feed.push(p);
    term.finishAll();
  }
  assert.equal(term.writes.join(""), parts.join(""), "no \\r dropped, doubled or moved");
});
