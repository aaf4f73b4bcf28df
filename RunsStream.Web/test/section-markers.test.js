// SectionMarkerParser: GitLab section markers taken out of output chunks cut anywhere.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_MARKER_CHARS, SectionMarkerParser } from "../src/section-markers.js";

const START = "\x1b[0Ksection_start:1700000000:build[collapsed=true]\r\x1b[0KBuilding the thing\n";
const END = "\x1b[0Ksection_end:1700000012:build\r\x1b[0K\n";
const LOG = `before\n${START}compiling\n${END}after\n`;

/** The tokens of `chunks` pushed one after the other and flushed, neighbouring texts joined. */
function parse(chunks, stream = "stdout") {
  const parser = new SectionMarkerParser();
  const tokens = [];
  for (const chunk of chunks) tokens.push(...parser.push(chunk, stream));
  tokens.push(...parser.flush());
  const joined = [];
  for (const t of tokens) {
    const last = joined[joined.length - 1];
    if (t.type === "text" && last?.type === "text" && last.stream === t.stream) last.text += t.text;
    else joined.push({ ...t });
  }
  return joined;
}

const EXPECTED = [
  { type: "text", text: "before\n", stream: "stdout" },
  { type: "start", name: "build", at: 1700000000000, collapsed: true, header: "Building the thing", stream: "stdout" },
  { type: "text", text: "compiling\n", stream: "stdout" },
  { type: "end", name: "build", at: 1700000012000, stream: "stdout" },
  { type: "text", text: "after\n", stream: "stdout" },
];

test("markers in one chunk become tokens and are not left in the text", () => {
  assert.deepEqual(parse([LOG]), EXPECTED);
});

test("a marker split at every possible position is still found, and no text is lost or doubled", () => {
  for (let cut = 1; cut < LOG.length; cut++) {
    assert.deepEqual(parse([LOG.slice(0, cut), LOG.slice(cut)]), EXPECTED, `cut at ${cut}`);
  }
});

test("a log fed one character at a time gives the same tokens", () => {
  assert.deepEqual(parse([...LOG]), EXPECTED);
});

test("the marker form without the leading erase and without options is read; collapsed defaults to false", () => {
  const tokens = parse(["section_start:5:s1\r\x1b[0KHeader\r\nbody\nsection_end:7:s1\r\x1b[0K\r\nrest"]);
  assert.deepEqual(tokens.map((t) => t.type), ["start", "text", "end", "text"]);
  assert.equal(tokens[0].collapsed, false);
  assert.equal(tokens[0].header, "Header", "the \\r before the newline is not part of the header");
  assert.equal(tokens[3].text, "rest", "the newline after an end marker is not shown");
});

test("text that only resembles a marker passes through unchanged", () => {
  const text = "see section_start in the docs\nsection_end:abc:x\nsections\n";
  assert.deepEqual(parse([text]), [{ type: "text", text, stream: "stdout" }]);
});

test("a chunk ending in an ordinary 's' mid-line is not held back", () => {
  const parser = new SectionMarkerParser();
  assert.deepEqual(parser.push("Downloading files"), [{ type: "text", text: "Downloading files", stream: "stdout" }]);
});

test("a possible marker at a line start is held until the next chunk decides", () => {
  const parser = new SectionMarkerParser();
  assert.deepEqual(parser.push("done\nsec"), [{ type: "text", text: "done\n", stream: "stdout" }]);
  assert.deepEqual(parser.push("ond line\n"), [{ type: "text", text: "second line\n", stream: "stdout" }]);
});

test("a start marker whose header line never ends is given up after MAX_MARKER_CHARS", () => {
  const parser = new SectionMarkerParser();
  assert.deepEqual(parser.push("section_start:1:a\r\x1b[0Kheader"), []);
  const tokens = parser.push("x".repeat(MAX_MARKER_CHARS));
  assert.equal(tokens[0].type, "start");
  assert.equal(tokens[0].header.length > 0, true);
});

test("a change of stream ends a held candidate as text of its own stream", () => {
  const parser = new SectionMarkerParser();
  parser.push("line\nsection_", "stdout");
  const tokens = parser.push("oops\n", "stderr");
  assert.deepEqual(tokens, [
    { type: "text", text: "section_", stream: "stdout" },
    { type: "text", text: "oops\n", stream: "stderr" },
  ]);
});

test("carriage returns of progress lines pass through untouched", () => {
  assert.deepEqual(parse(["10%\r", "50%\r", "100%\r\n"]), [{ type: "text", text: "10%\r50%\r100%\r\n", stream: "stdout" }]);
});
