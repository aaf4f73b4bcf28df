import assert from "node:assert/strict";
import { test } from "node:test";
import { describeExecution, describeRun, durationMs, formatBytes, formatDuration, formatTime, isCancellable, isFinished, runTitle, setBadge, terminalSize } from "../src/format.js";

test("terminal and cancellable statuses", () => {
  for (const s of ["succeeded", "failed", "cancelled"]) assert.equal(isFinished(s), true, s);
  for (const s of ["queued", "running", null, undefined, "other"]) assert.equal(isFinished(s), false, String(s));
  assert.equal(isCancellable("queued"), true);
  assert.equal(isCancellable("running"), true);
  assert.equal(isCancellable("succeeded"), false);
  assert.equal(isCancellable(null), false);
});

test("duration: none before the start, to the finish when finished, to now while running", () => {
  const startedAt = "2026-01-01T10:00:00.000Z";
  assert.equal(durationMs({ startedAt: null }), null);
  assert.equal(durationMs(null), null);
  assert.equal(durationMs({ startedAt, finishedAt: "2026-01-01T10:00:02.500Z" }), 2500);
  assert.equal(durationMs({ startedAt, finishedAt: null }, Date.parse("2026-01-01T10:01:00.000Z")), 60000);
  assert.equal(durationMs({ startedAt }, Date.parse("2026-01-01T09:59:00.000Z")), 0, "a clock behind the server's is not negative");
});

test("formatDuration at each unit's boundaries", () => {
  assert.equal(formatDuration(null), "");
  assert.equal(formatDuration(0), "0 ms");
  assert.equal(formatDuration(999), "999 ms");
  assert.equal(formatDuration(1000), "1.0 s");
  assert.equal(formatDuration(9940), "9.9 s");
  assert.equal(formatDuration(12400), "12 s");
  assert.equal(formatDuration(61_000), "1 min 1 s");
  assert.equal(formatDuration(3_599_000), "59 min 59 s");
  assert.equal(formatDuration(3_660_000), "1 h 1 min");
});

test("formatBytes in B, KiB and MiB", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1024), "1.0 KiB");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(1024 * 1024), "1.0 MiB");
  assert.equal(formatBytes(20_000_000), "19.1 MiB");
});

test("formatTime: the time alone today, with the date on another day", () => {
  assert.equal(formatTime(null), "");
  const now = new Date();
  assert.ok(!formatTime(now.toISOString()).includes(now.toLocaleDateString()));
  const long = new Date(now.getTime() - 3 * 24 * 3600 * 1000);
  assert.ok(formatTime(long.toISOString()).startsWith(long.toLocaleDateString()));
});

test("describeRun: exit code, duration and a reason that says more than the exit code", () => {
  const base = { startedAt: "2026-01-01T10:00:00.000Z", finishedAt: "2026-01-01T10:00:01.200Z" };
  assert.equal(describeRun({ ...base, status: "succeeded", exitCode: 0, reason: null }), "exit 0 · 1.2 s");
  assert.equal(describeRun({ ...base, status: "failed", exitCode: 3, reason: "Process exited with code 3" }), "exit 3 · 1.2 s");
  assert.equal(describeRun({ ...base, status: "failed", exitCode: 137, reason: "timed out" }), "exit 137 · 1.2 s · timed out");
  assert.equal(describeRun({ status: "cancelled", exitCode: null, startedAt: null, reason: "Cancelled by user" }), "Cancelled by user");
  assert.equal(describeRun({ status: "queued", exitCode: null, startedAt: null, reason: null }), "");
});

test("setBadge names the status in text and class, and shows the badge", () => {
  const badge = { hidden: true };
  setBadge(badge, "running");
  assert.deepEqual(badge, { hidden: false, textContent: "running", className: "badge badge-running" });
  setBadge(badge, null);
  assert.equal(badge.textContent, "unknown");
  assert.equal(badge.className, "badge badge-unknown");
});

test("a run is titled by its command, a pipeline by its stages, an external run as such", () => {
  assert.equal(runTitle({ command: "make", stages: null }), "make");
  assert.equal(runTitle({ command: null, stages: [{ name: "build" }, { name: "test" }] }), "pipeline: build → test");
  assert.equal(runTitle({ command: null, stages: null }), "(published by an external executor)");
});

test("the execution is described only when it is not the default local process", () => {
  assert.equal(describeExecution({ executor: "process" }), "");
  assert.equal(describeExecution({ executor: "docker", tty: { cols: 120, rows: 40 } }), "executor docker · tty 120x40");
  assert.equal(describeExecution({ executor: null, tty: { cols: null, rows: null } }), "tty");
  assert.equal(describeExecution({ executor: "process", tty: null }), "", "a run on pipes");
});

test("a terminal run's size is read from GET's tty object", () => {
  assert.deepEqual(terminalSize({ tty: { cols: 132, rows: 50 } }), { cols: 132, rows: 50 });
  assert.equal(terminalSize({ tty: null }), null);
  assert.equal(terminalSize({ tty: { cols: null, rows: null } }), null, "a size the page does not know yet");
  assert.equal(terminalSize(undefined), null);
});
