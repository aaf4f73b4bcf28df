import assert from "node:assert/strict";
import { test } from "node:test";
import { RunsState } from "../src/run-state.js";

const run = (runId, status, extra = {}) => ({
  runId, status, command: `cmd ${runId}`, workspaceId: null, createdAt: "2026-01-01T10:00:00.000Z",
  startedAt: null, finishedAt: null, exitCode: null, reason: null, ...extra,
});
const status = (runId, s, extra = {}) => ({ runId, seq: 1, type: "status", data: s, status: s, timestamp: "2026-01-01T10:00:05.000Z", ...extra });

test("the list is the last page, in its order (newest first)", () => {
  const state = new RunsState();
  state.replaceList([run("b", "running"), run("a", "queued")]);
  assert.deepEqual(state.list().map((r) => r.runId), ["b", "a"]);
  state.replaceList([run("c", "queued"), run("b", "succeeded")]);
  assert.deepEqual(state.list().map((r) => r.runId), ["c", "b"]);
  assert.equal(state.get("b").status, "succeeded");
});

test("a run seen finished stays finished when an older poll still says running", () => {
  const state = new RunsState();
  state.replaceList([run("a", "running")]);
  assert.equal(state.applyStatus(status("a", "failed", { exitCode: 3, reason: "Process exited with code 3" })), true);
  state.replaceList([run("a", "running", { startedAt: "2026-01-01T10:00:01.000Z" })]);
  const a = state.get("a");
  assert.equal(a.status, "failed");
  assert.equal(a.exitCode, 3);
  assert.equal(a.reason, "Process exited with code 3");
  assert.equal(a.finishedAt, "2026-01-01T10:00:05.000Z");
  assert.equal(a.command, "cmd a", "the rest comes from the poll");
});

test("a poll's terminal status replaces the page's, and a poll moves a live run forward", () => {
  const state = new RunsState();
  state.merge(run("a", "queued"));
  state.merge(run("a", "running"));
  assert.equal(state.get("a").status, "running");
  state.merge(run("a", "cancelled", { reason: "Cancelled by user" }));
  assert.equal(state.get("a").status, "cancelled");
});

test("status events: running stamps the start once, a terminal one the end, exit code and reason", () => {
  const state = new RunsState();
  state.merge(run("a", "queued"));
  state.applyStatus(status("a", "running", { timestamp: "2026-01-01T10:00:01.000Z" }));
  state.applyStatus(status("a", "running", { timestamp: "2026-01-01T10:00:02.000Z" }));
  assert.equal(state.get("a").startedAt, "2026-01-01T10:00:01.000Z");
  state.applyStatus(status("a", "succeeded", { exitCode: 0, timestamp: "2026-01-01T10:00:03.000Z" }));
  const a = state.get("a");
  assert.equal(a.status, "succeeded");
  assert.equal(a.finishedAt, "2026-01-01T10:00:03.000Z");
  assert.equal(a.exitCode, 0);
  assert.equal(a.reason, null);
});

test("a replayed older status after the terminal one is ignored", () => {
  const state = new RunsState();
  state.applyStatus(status("a", "succeeded"));
  const before = state.get("a");
  assert.equal(state.applyStatus(status("a", "queued")), false);
  assert.equal(state.applyStatus(status("a", "running")), false);
  assert.equal(state.get("a"), before);
});

test("a status event of a run the page has not listed creates it, without a command", () => {
  const state = new RunsState();
  state.applyStatus(status("ext-1", "running", { timestamp: "2026-01-01T10:00:07.000Z" }));
  const r = state.get("ext-1");
  assert.equal(r.command, null);
  assert.equal(r.createdAt, "2026-01-01T10:00:07.000Z");
  assert.equal(r.status, "running");
  assert.deepEqual(state.list(), [], "the list shows it once a poll lists it");
});

test("a run started here is listed first at once, queued, even before a poll", () => {
  const state = new RunsState();
  state.replaceList([run("b", "running"), run("a", "succeeded")]);
  state.addStarted("c", { command: "make test", workspaceId: "" }, new Date("2026-01-01T11:00:00.000Z"));
  assert.deepEqual(state.list().map((r) => r.runId), ["c", "b", "a"]);
  assert.deepEqual(state.get("c"), run("c", "queued", { command: "make test", createdAt: "2026-01-01T11:00:00.000Z", executor: "process", stages: null, tty: null }));
  state.addStarted("a", { command: "again", workspaceId: "ws-1" });
  assert.deepEqual(state.list().map((r) => r.runId), ["a", "c", "b"], "no run listed twice");
  assert.equal(state.get("a").workspaceId, "ws-1");
});

test("a pipeline started here lists its stages as pending, with its executor and terminal size", () => {
  const state = new RunsState();
  state.addStarted("p", { stages: [{ name: "build", command: "make" }], executor: "sandbox", tty: true, cols: 100, rows: 30 });
  const r = state.get("p");
  assert.equal(r.command, null);
  assert.deepEqual(r.stages.map((s) => [s.name, s.command, s.status]), [["build", "make", "pending"]]);
  assert.equal(r.executor, "sandbox");
  assert.deepEqual(r.tty, { cols: 100, rows: 30 }, "in GET's shape, as the next poll will have it");
  state.addStarted("d", { command: "top", tty: true });
  assert.deepEqual(state.get("d").tty, { cols: null, rows: null }, "the server's default size, not known here");
});
