import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_FOREGROUND, MARKER_COLOUR, STDERR_COLOUR, StderrPainter, outputText } from "../src/stderr.js";

const red = (text) => STDERR_COLOUR + text + DEFAULT_FOREGROUND;

test("plain stderr is painted red and ends with the default foreground", () => {
  assert.equal(new StderrPainter().paint("oops\n"), red("oops\n"));
});

test("a line the process coloured itself is left as written, its plain neighbours are painted", () => {
  const own = "\x1b[33mwarning\x1b[0m\n";
  assert.equal(new StderrPainter().paint(`plain\n${own}after\n`), red("plain\n") + own + red("after\n"));
});

test("lines after an unreset colour are the process's, until it resets", () => {
  const painter = new StderrPainter();
  assert.equal(painter.paint("\x1b[35mstart\n"), "\x1b[35mstart\n");
  assert.equal(painter.paint("still magenta\n"), "still magenta\n", "across events too");
  assert.equal(painter.paint("end\x1b[0m\n"), "end\x1b[0m\n");
  assert.equal(painter.paint("plain again\n"), red("plain again\n"));
});

test("every reset form ends the process's colouring", () => {
  for (const reset of ["\x1b[m", "\x1b[0m", "\x1b[00m", "\x1b[39m", "\x1b[0;39m"]) {
    const painter = new StderrPainter();
    painter.paint("\x1b[31mred\n");
    painter.paint(`x${reset}\n`);
    assert.equal(painter.paint("next\n"), red("next\n"), JSON.stringify(reset));
  }
});

test("outputText: stdout as is, stderr painted, the retention marker in its own colour", () => {
  const painter = new StderrPainter();
  assert.equal(outputText({ type: "stdout", data: "out\n" }, painter), "out\n");
  assert.equal(outputText({ type: "stderr", data: "err\n" }, painter), red("err\n"));
  const marker = { type: "stderr", data: "[dropped]\n", droppedBytes: 10, droppedFromSeq: 3 };
  assert.equal(outputText(marker, painter), `${MARKER_COLOUR}[dropped]\n\x1b[0m`);
  assert.equal(outputText({ type: "stdout", data: 42 }, painter), "42");
  assert.equal(outputText({ type: "stdout" }, painter), "");
});
