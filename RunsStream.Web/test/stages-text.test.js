// parseStages: the start form's pipeline field, one "name: command" per line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeStages, parseStages } from "../src/stages-text.js";

test("one stage per line, split at the first colon", () => {
  assert.deepEqual(parseStages("build: make\ntest: make test ARGS=a:b\n"), {
    stages: [{ name: "build", command: "make" }, { name: "test", command: "make test ARGS=a:b" }],
  });
});

test("blank lines, comments and CRLF are fine; indented lines continue the stage above", () => {
  assert.deepEqual(parseStages("# ci\r\n\r\nprep: cd src\r\n  ./configure\r\nbuild: make"), {
    stages: [{ name: "prep", command: "cd src\n./configure" }, { name: "build", command: "make" }],
  });
});

test("mistakes are named by their line", () => {
  assert.match(parseStages("build make").error, /^Line 1: .*name: command/);
  assert.match(parseStages("a: x\n: y").error, /^Line 2: .*no name/);
  assert.match(parseStages("a: x\nb:").error, /^Line 2: .*"b" has no command/);
  assert.match(parseStages("a: x\na: y").error, /^Line 2: .*"a" is used twice/);
  assert.match(parseStages("  orphan").error, /^Line 1: .*continuation/);
  assert.match(parseStages("\n# only a comment\n").error, /at least one stage/);
});

test("a pipeline is described by its stage names", () => {
  assert.equal(describeStages([{ name: "build" }, { name: "test" }]), "build → test");
});
