// GitLab-style collapsible-section markers in a run's output, found in the stream of output
// chunks. Pure (no DOM), unit-tested in node (test/section-markers.test.js).
//
//   \e[0Ksection_start:<unix ts>:<name>[collapsed=true]\r\e[0K<header text>\n
//   \e[0Ksection_end:<unix ts>:<name>\r\e[0K\n
//
// (the leading \e[0K and the [options] are optional). A marker is taken out of the text and
// becomes a token; everything else passes through untouched, so the raw log (GET /log) still
// has every byte while the terminal never shows the markers themselves.
//
// Output arrives in chunks cut anywhere, so a marker may be split across events: a chunk's end
// that could still become a marker is held back until the next chunk decides (or flush()).
// Only a plausible beginning is held: one at a line start, or one that already spells
// "section_", so ordinary text ending in "s" mid-line is not delayed. A held candidate longer
// than MAX_MARKER_CHARS is given up on and shown as text.

export const MAX_MARKER_CHARS = 4096;

const ERASE = "\x1b[0K";
const WORD = "section_";
const KEYWORDS = ["section_start:", "section_end:"];
// Sticky: matched exactly at lastIndex.
const MARKER = /section_(start|end):(\d{1,15}):([A-Za-z0-9_.-]{1,100})(?:\[([^\]\r\n]{0,200})\])?\r\x1b\[0K/y;
// A marker that the end of the text has cut short (anchored at lastIndex and at the end).
const PARTIAL = /section_(?:start|end):\d*(?::[A-Za-z0-9_.-]*(?:\[[^\]\r\n]*\]?)?(?:\r(?:\x1b(?:\[0?)?)?)?)?$/y;

/**
 * @typedef {{type: "text", text: string, stream: string}
 *   | {type: "start", name: string, at: number, collapsed: boolean, header: string, stream: string}
 *   | {type: "end", name: string, at: number, stream: string}} MarkerToken
 * `at` is milliseconds since the epoch (the marker's unix seconds times 1000).
 */

export class SectionMarkerParser {
  constructor() {
    this.held = "";
    this.heldStream = "stdout";
    // After a section_end the rest of its line (normally just the newline) is not shown.
    this.swallowNewline = false;
    // Whether the last character handed out ended a line: a marker candidate there is held.
    this.atLineStart = true;
  }

  /**
   * @param {string} text an output chunk
   * @param {string} stream "stdout" or "stderr"; a change of stream ends a held candidate
   * @returns {MarkerToken[]}
   */
  push(text, stream = "stdout") {
    const tokens = [];
    if (this.held && stream !== this.heldStream) tokens.push(...this.flush());
    const buf = this.held + text;
    this.held = "";
    this.heldStream = stream;
    let pos = 0;
    let textFrom = 0;
    while (pos < buf.length) {
      const i = buf.indexOf(WORD, pos);
      if (i < 0) break;
      const from = i >= textFrom + ERASE.length && buf.startsWith(ERASE, i - ERASE.length) ? i - ERASE.length : i;
      MARKER.lastIndex = i;
      const m = MARKER.exec(buf);
      if (m) {
        let end = MARKER.lastIndex;
        let header = "";
        if (m[1] === "start") {
          const nl = buf.indexOf("\n", end);
          if (nl < 0 && buf.length - from <= MAX_MARKER_CHARS) {
            // The header line is not complete yet: wait for its newline.
            this.emitText(tokens, buf.slice(textFrom, from), stream);
            this.held = buf.slice(from);
            return tokens;
          }
          const stop = nl < 0 ? buf.length : nl;
          header = buf.slice(end, stop).replace(/\r$/, "");
          end = nl < 0 ? buf.length : nl + 1;
        }
        this.emitText(tokens, buf.slice(textFrom, from), stream);
        const at = Number(m[2]) * 1000;
        if (m[1] === "start") {
          const collapsed = /(?:^|,)\s*collapsed\s*=\s*true\s*(?:,|$)/.test(m[4] ?? "");
          tokens.push({ type: "start", name: m[3], at, collapsed, header: header.trim(), stream });
          this.swallowNewline = false;
        } else {
          tokens.push({ type: "end", name: m[3], at, stream });
          this.swallowNewline = true;
        }
        this.atLineStart = true;
        pos = textFrom = end;
        continue;
      }
      PARTIAL.lastIndex = i;
      const rest = buf.slice(i, i + KEYWORDS[0].length);
      const cut = rest.length === buf.length - i && KEYWORDS.some((k) => k.startsWith(rest));
      if ((cut || PARTIAL.test(buf)) && buf.length - from <= MAX_MARKER_CHARS) {
        this.emitText(tokens, buf.slice(textFrom, from), stream);
        this.held = buf.slice(from);
        return tokens;
      }
      pos = i + WORD.length;
    }
    const keep = this.heldSuffix(buf, textFrom);
    this.emitText(tokens, buf.slice(textFrom, buf.length - keep), stream);
    this.held = buf.slice(buf.length - keep);
    return tokens;
  }

  /** The end of the output (or of a stream's turn): whatever is held is plain text after all. */
  flush() {
    const tokens = [];
    const held = this.held;
    this.held = "";
    this.emitText(tokens, held, this.heldStream);
    return tokens;
  }

  /** How many characters at the end of buf (after `from`) may still begin a marker. */
  heldSuffix(buf, from) {
    const longest = Math.min(buf.length - from, ERASE.length + WORD.length - 1);
    // (Once "section_" is complete the loop in push() has judged the candidate already.)
    for (let k = longest; k > 0; k--) {
      const suffix = buf.slice(buf.length - k);
      const start = buf.length - k;
      const lineStart = start === 0 ? this.atLineStart && from === 0 : buf[start - 1] === "\n" || buf[start - 1] === "\r";
      if (!lineStart) continue;
      if ((ERASE + WORD).startsWith(suffix) || WORD.startsWith(suffix)) return k;
    }
    return 0;
  }

  emitText(tokens, text, stream) {
    if (this.swallowNewline && text) {
      this.swallowNewline = false;
      if (text.startsWith("\r\n")) text = text.slice(2);
      else if (text.startsWith("\n")) text = text.slice(1);
    }
    if (!text) return;
    this.atLineStart = text.endsWith("\n") || text.endsWith("\r");
    const last = tokens[tokens.length - 1];
    if (last?.type === "text" && last.stream === stream) last.text += text;
    else tokens.push({ type: "text", text, stream });
  }
}
