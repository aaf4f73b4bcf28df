// startRequest: the start form's fields to the body of POST /runs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startRequest } from "../src/start-request.js";

const form = (fields) => ({
  mode: "command", command: "", stagesText: "", workspaceId: "", executor: "process",
  tty: false, cols: "", rows: "", terminalSize: null, ...fields,
});

test("one command with its workspace and executor", () => {
  assert.deepEqual(startRequest(form({ command: "make", workspaceId: " team-a ", executor: "sandbox" })), {
    body: { command: "make", workspaceId: "team-a", executor: "sandbox" },
  });
  assert.deepEqual(startRequest(form({ command: "  " })), { error: "Enter a command." });
});

test("a pipeline sends stages instead of command; a mistake in them is the form's error", () => {
  assert.deepEqual(startRequest(form({ mode: "stages", command: "ignored", stagesText: "build: make\ntest: make test" })), {
    body: { stages: [{ name: "build", command: "make" }, { name: "test", command: "make test" }], workspaceId: null, executor: "process" },
  });
  assert.match(startRequest(form({ mode: "stages", stagesText: "nonsense" })).error, /^Line 1/);
});

test("tty sends the typed size, or else the size of the terminal on screen", () => {
  assert.deepEqual(startRequest(form({ command: "top", tty: true, cols: "120", rows: "40", terminalSize: { cols: 90, rows: 20 } })).body,
    { command: "top", workspaceId: null, executor: "process", tty: true, cols: 120, rows: 40 });
  assert.deepEqual(startRequest(form({ command: "top", tty: true, terminalSize: { cols: 90, rows: 20 } })).body,
    { command: "top", workspaceId: null, executor: "process", tty: true, cols: 90, rows: 20 });
  assert.deepEqual(startRequest(form({ command: "top", tty: true })).body,
    { command: "top", workspaceId: null, executor: "process", tty: true }, "no terminal on screen: the server's default");
  assert.equal(startRequest(form({ command: "top", tty: false, cols: "120" })).body.cols, undefined, "no size without tty");
});

test("a size that is not a whole number in range is refused with a message", () => {
  for (const bad of ["0", "-1", "1001", "12.5", "abc"]) {
    assert.match(startRequest(form({ command: "x", tty: true, cols: bad })).error, /^Columns must be a whole number/, bad);
  }
  assert.match(startRequest(form({ command: "x", tty: true, rows: "0" })).error, /^Rows must/);
});
