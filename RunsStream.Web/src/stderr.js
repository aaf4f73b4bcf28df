// stderr that brings no colour of its own is painted red, so it stands out from stdout.
//
// Decided line by line, not per chunk: the server coalesces writes, so one stderr event may
// hold plain lines next to a line the process coloured itself. A line with an SGR sequence
// (ESC [ ... m) is the process's own and is left as written; so is every line after an SGR
// that set a colour and has not yet been reset (the process is still colouring). Anything
// else is wrapped in red and ends with "default foreground", touching no other attribute.

const SGR = /\x1b\[([0-9;:]*)m/g;
const RESETS = new Set(["", "0", "00", "39", "0;39"]);

export const STDERR_COLOUR = "\x1b[31m";
export const DEFAULT_FOREGROUND = "\x1b[39m";

export class StderrPainter {
  constructor() {
    this.processColouring = false;
  }

  paint(text) {
    if (!this.processColouring && !text.includes("\x1b[")) {
      return STDERR_COLOUR + text + DEFAULT_FOREGROUND;
    }
    let out = "";
    let start = 0;
    while (start < text.length) {
      const nl = text.indexOf("\n", start);
      const end = nl < 0 ? text.length : nl + 1;
      out += this.paintLine(text.slice(start, end));
      start = end;
    }
    return out;
  }

  paintLine(line) {
    let last = null;
    for (const match of line.matchAll(SGR)) last = match[1];
    if (last !== null) {
      this.processColouring = !RESETS.has(last);
      return line;
    }
    return this.processColouring ? line : STDERR_COLOUR + line + DEFAULT_FOREGROUND;
  }
}

/** The retention marker (a stderr event with droppedBytes) is shown in yellow, not as stderr. */
export const MARKER_COLOUR = "\x1b[0;33m";

/** The terminal text of an output run-event: stderr painted, the marker in its own colour. */
export function outputText(ev, painter) {
  const text = typeof ev.data === "string" ? ev.data : String(ev.data ?? "");
  if (ev.droppedBytes != null) return `${MARKER_COLOUR}${text}\x1b[0m`;
  return ev.type === "stderr" ? painter.paint(text) : text;
}
