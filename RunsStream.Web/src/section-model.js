// The sections of one run's output: a pipeline's stages (from `stage` events, docs/api.md 7.1)
// and GitLab-style marker sections (section-markers.js) nested in them. Pure (no DOM), unit-
// tested in node (test/section-model.test.js).
//
// How sections are shown: xterm.js is one linear terminal, so the model keeps the output as a
// tree (text and sections) and the terminal always shows one rendering of that tree: a header
// line per section, and the body only while the section (and every section around it) is
// expanded. New output only ever goes at the end of the tree, so while streaming the model
// hands out just the text to append (nothing while it lands in a collapsed section). Folding
// or unfolding a section re-renders the whole tree into the terminal (the feed resets it and
// writes the rendering, at its tail for a long one). One terminal keeps follow, copy, the
// scrollback limit and the feed's flow control as they are; one xterm per section would
// multiply xterm's memory and its parsing work by the number of sections. The outline beside
// the terminal (sections-view.js) shows status and duration live and is where folding is done.
//
// The text is kept up to RETAIN_CHARS; past that the model forgets it, unfolds everything and
// stops folding (the outline says so): the raw log has every byte anyway.

export const RETAIN_CHARS = 8 * 1024 * 1024;

const HEADER_STYLE = "\x1b[0;1;36m";
const DIM = "\x1b[0;2m";
const RESET = "\x1b[0m";
const FINISHED = new Set(["succeeded", "failed", "cancelled", "skipped"]);

/**
 * @typedef {{id: number, kind: "section", source: "stage" | "marker", name: string, title: string,
 *   index: number | null, status: string | null, startedAt: number | null, endedAt: number | null,
 *   durationMs: number | null, exitCode: number | null, collapsed: boolean, open: boolean,
 *   parent: object, depth: number, children: object[]}} Section
 */

export class SectionModel {
  constructor({ retainChars = RETAIN_CHARS } = {}) {
    this.retainChars = retainChars;
    this.root = { kind: "root", depth: -1, children: [], collapsed: false, parent: null };
    /** @type {object[]} open sections, innermost last; the root at the bottom */
    this.stack = [this.root];
    /** @type {Section[]} every section in order of appearance; id = index */
    this.sections = [];
    this.retained = 0;
    this.overflow = false;
    // Whether what the terminal shows so far ends at a line start (a header needs one).
    this.atLineStart = true;
  }

  get top() {
    return this.stack[this.stack.length - 1];
  }

  get foldable() {
    return !this.overflow;
  }

  /** Output text (already coloured) at the end of the run; returns what to append to the terminal. */
  text(text) {
    if (!text) return "";
    const top = this.top;
    if (!this.overflow) {
      const last = top.children[top.children.length - 1];
      if (last?.kind === "text") last.text += text;
      else top.children.push({ kind: "text", text });
      this.retained += text.length;
      if (this.retained > this.retainChars) this.forget();
    }
    if (this.hidden(top)) return "";
    this.atLineStart = text.endsWith("\n");
    return text;
  }

  /** A `stage` event (docs/api.md 7.1); returns what to append to the terminal. */
  stage(ev) {
    const at = Date.parse(ev.at ?? ev.timestamp ?? "") || null;
    if (ev.status === "running") {
      this.closeStages(at);
      return this.open({ source: "stage", name: ev.name, index: ev.index ?? null, status: "running", startedAt: at });
    }
    const found = this.stack.find((s) => s.kind === "section" && s.source === "stage" && s.name === ev.name);
    if (found) {
      this.closeUpTo(found, at);
      Object.assign(found, { status: ev.status, exitCode: ev.exitCode ?? null, durationMs: ev.durationMs ?? found.durationMs });
      return "";
    }
    // A stage that ends without a start (skipped): a header with no body.
    this.closeStages(at);
    const out = this.open({ source: "stage", name: ev.name, index: ev.index ?? null, status: ev.status, startedAt: null });
    this.closeUpTo(this.top, at);
    Object.assign(this.sections[this.sections.length - 1], { exitCode: ev.exitCode ?? null, durationMs: ev.durationMs ?? null });
    return out;
  }

  /** A marker token from SectionMarkerParser; returns what to append to the terminal. */
  marker(token) {
    if (token.type === "start") {
      return this.open({
        source: "marker", name: token.name, title: token.header || token.name, status: "running",
        startedAt: token.at, collapsed: token.collapsed && !this.overflow,
      });
    }
    // The innermost open marker section of that name, not past the stage it is in.
    for (let i = this.stack.length - 1; i > 0; i--) {
      const s = this.stack[i];
      if (s.source === "stage") break;
      if (s.name === token.name) {
        this.closeUpTo(s, token.at);
        s.status = null;
        s.durationMs = s.startedAt != null && token.at != null ? Math.max(0, token.at - s.startedAt) : null;
        break;
      }
    }
    return ""; // an end without its start is dropped, as GitLab does
  }

  /** The run ended: every section still open ends with it. */
  finish(at = null) {
    this.closeUpTo(this.stack[1] ?? this.root, at);
  }

  /** Folds or unfolds a section; false when nothing changed (unknown, or too much output). */
  toggle(id, collapsed = undefined) {
    const s = this.sections[id];
    if (!s || this.overflow) return false;
    const next = collapsed ?? !s.collapsed;
    if (next === s.collapsed) return false;
    s.collapsed = next;
    return true;
  }

  /** The terminal text of the whole tree as it is folded now. */
  render() {
    const out = [];
    this.atLineStart = true;
    const walk = (node) => {
      for (const child of node.children) {
        if (child.kind === "text") {
          out.push(child.text);
          this.atLineStart = child.text.endsWith("\n");
        } else {
          out.push(this.header(child));
          if (!child.collapsed) walk(child);
        }
      }
    };
    walk(this.root);
    return out.join("");
  }

  /** @param {number} now for the duration of sections still open */
  durationOf(s, now = Date.now()) {
    if (s.durationMs != null) return s.durationMs;
    if (s.open && s.startedAt != null) return Math.max(0, now - s.startedAt);
    return null;
  }

  // ---- internals ----------------------------------------------------------------------------

  open(fields) {
    const parent = this.top;
    const section = {
      id: this.sections.length, kind: "section", title: fields.name, index: null, collapsed: false,
      endedAt: null, durationMs: null, exitCode: null, ...fields, open: true, parent,
      depth: parent.depth + 1, children: [],
    };
    parent.children.push(section);
    this.sections.push(section);
    this.stack.push(section);
    return this.hidden(parent) ? "" : this.header(section);
  }

  /** Closes `section` and every section opened inside it. */
  closeUpTo(section, at) {
    const i = this.stack.indexOf(section);
    if (i <= 0) return;
    for (const s of this.stack.splice(i)) {
      s.open = false;
      s.endedAt = at;
      if (s.status === "running") s.status = s.source === "stage" ? "unknown" : null;
      if (s.durationMs == null && s.startedAt != null && at != null) s.durationMs = Math.max(0, at - s.startedAt);
    }
  }

  closeStages(at) {
    const stage = this.stack.find((s) => s.kind === "section" && s.source === "stage");
    if (stage) this.closeUpTo(stage, at);
  }

  /** Whether text added inside `node` is hidden (it or a section around it is folded). */
  hidden(node) {
    for (let n = node; n; n = n.parent) if (n.collapsed) return true;
    return false;
  }

  header(s) {
    const lead = this.atLineStart ? "" : "\r\n";
    this.atLineStart = true;
    const facts = [];
    if (s.source === "stage" && s.status && FINISHED.has(s.status)) facts.push(s.status);
    if (!s.open && s.durationMs != null) facts.push(formatSeconds(s.durationMs));
    if (s.exitCode != null && s.exitCode !== 0) facts.push(`exit ${s.exitCode}`);
    const suffix = facts.length > 0 ? `${DIM} (${facts.join(", ")})` : "";
    const arrow = s.collapsed ? "▸" : "▾";
    return `${lead}${RESET}${"  ".repeat(s.depth)}${HEADER_STYLE}${arrow} ${s.title}${suffix}${RESET}\r\n`;
  }

  forget() {
    this.overflow = true;
    this.retained = 0;
    const drop = (node) => {
      node.children = node.children.filter((c) => c.kind !== "text");
      node.collapsed = false;
      for (const c of node.children) drop(c);
    };
    drop(this.root);
  }
}

export const isFinishedStage = (status) => FINISHED.has(status);

function formatSeconds(ms) {
  return ms < 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
