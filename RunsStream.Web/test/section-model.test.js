// SectionModel: stage events and marker tokens reduced into sections, and the terminal text
// that folding them gives.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SectionModel } from "../src/section-model.js";

const plain = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
const stage = (name, index, status, extra = {}) => ({ name, index, status, at: "2026-01-01T00:00:00.000Z", exitCode: null, durationMs: null, ...extra });

/** A pipeline: build succeeds, test fails, deploy is skipped; returns the model and what was appended live. */
function pipeline() {
  const m = new SectionModel();
  let live = "";
  live += m.stage(stage("build", 0, "running"));
  live += m.text("compiling\n");
  live += m.stage(stage("build", 0, "succeeded", { exitCode: 0, durationMs: 1200 }));
  live += m.stage(stage("test", 1, "running"));
  live += m.text("1 failed");
  live += m.stage(stage("test", 1, "failed", { exitCode: 2, durationMs: 15000 }));
  live += m.stage(stage("deploy", 2, "skipped"));
  return { m, live };
}

test("stage events become top-level sections with their status, exit code and duration", () => {
  const { m } = pipeline();
  assert.deepEqual(
    m.sections.map((s) => [s.name, s.source, s.status, s.exitCode, s.durationMs, s.depth, s.open]),
    [
      ["build", "stage", "succeeded", 0, 1200, 0, false],
      ["test", "stage", "failed", 2, 15000, 0, false],
      ["deploy", "stage", "skipped", null, null, 0, false],
    ],
  );
});

test("live, each stage start appends a header line (on a line of its own) and output follows it", () => {
  const { live } = pipeline();
  assert.equal(plain(live), "▾ build\r\ncompiling\n▾ test\r\n1 failed\r\n▾ deploy (skipped)\r\n");
});

test("folding a finished stage re-renders without its body; its header shows status and duration", () => {
  const { m } = pipeline();
  assert.equal(m.toggle(0), true);
  assert.equal(plain(m.render()), "▸ build (succeeded, 1.2 s)\r\n▾ test (failed, 15 s, exit 2)\r\n1 failed\r\n▾ deploy (skipped)\r\n");
  assert.equal(m.toggle(0, false), true);
  assert.match(plain(m.render()), /▾ build \(succeeded, 1\.2 s\)\r\ncompiling\n/);
  assert.equal(m.toggle(0, false), false, "already unfolded");
  assert.equal(m.toggle(99), false, "unknown section");
});

test("marker sections nest inside the running stage, with the duration of their timestamps", () => {
  const m = new SectionModel();
  m.stage(stage("build", 0, "running"));
  m.marker({ type: "start", name: "deps", at: 1000, collapsed: false, header: "Installing dependencies" });
  m.text("npm ci\n");
  m.marker({ type: "start", name: "inner", at: 1500, collapsed: false, header: "" });
  m.text("deep\n");
  m.marker({ type: "end", name: "deps", at: 4000 }); // closes inner too
  m.text("after deps\n");
  const [build, deps, inner] = m.sections;
  assert.deepEqual([deps.parent, deps.depth, deps.title, deps.durationMs, deps.open], [build, 1, "Installing dependencies", 3000, false]);
  assert.deepEqual([inner.parent, inner.depth, inner.title, inner.open], [deps, 2, "inner", false]);
  assert.equal(m.top, build, "output after the end marker belongs to the stage again");
  m.toggle(deps.id);
  assert.equal(plain(m.render()), "▾ build\r\n  ▸ Installing dependencies (3.0 s)\r\nafter deps\n");
});

test("a section started collapsed hides its output live and shows it once unfolded", () => {
  const m = new SectionModel();
  let live = m.text("top\n");
  live += m.marker({ type: "start", name: "noisy", at: 0, collapsed: true, header: "Noisy part" });
  live += m.text("hidden line\n");
  live += m.marker({ type: "end", name: "noisy", at: 2000 });
  live += m.text("visible again\n");
  assert.equal(plain(live), "top\n▸ Noisy part\r\nvisible again\n");
  m.toggle(0);
  assert.equal(plain(m.render()), "top\n▾ Noisy part (2.0 s)\r\nhidden line\nvisible again\n");
});

test("an end marker without its start is dropped, and a stage end closes its open markers", () => {
  const m = new SectionModel();
  assert.equal(m.marker({ type: "end", name: "nope", at: 0 }), "");
  m.stage(stage("s", 0, "running"));
  m.marker({ type: "start", name: "open", at: 0, collapsed: false, header: "" });
  m.stage(stage("s", 0, "succeeded", { exitCode: 0, durationMs: 5 }));
  assert.deepEqual(m.sections.map((s) => s.open), [false, false]);
  assert.equal(m.top, m.root);
});

test("finish() closes what is still open; a running stage left open ends as unknown", () => {
  const m = new SectionModel();
  m.stage({ name: "s", index: 0, status: "running", at: "2026-01-01T00:00:00.000Z" });
  m.finish(Date.parse("2026-01-01T00:00:03.000Z"));
  assert.deepEqual([m.sections[0].open, m.sections[0].status, m.sections[0].durationMs], [false, "unknown", 3000]);
});

test("past RETAIN_CHARS the text is forgotten, everything unfolds and folding stops", () => {
  const m = new SectionModel({ retainChars: 10 });
  m.marker({ type: "start", name: "a", at: 0, collapsed: true, header: "" });
  assert.equal(m.text("12345"), "");
  assert.equal(m.text("678901"), "678901", "once forgotten, the folded section unfolds for new output");
  assert.equal(m.foldable, false);
  assert.equal(m.toggle(0), false);
});
