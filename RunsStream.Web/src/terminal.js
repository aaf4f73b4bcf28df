// One xterm.js terminal showing one run's output: fitted to its pane, read-only, with a
// scrollback limit, "follow" (keep the newest output in view), copy and the text for tests.
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";

export const SCROLLBACK_LINES = 10000;

// GitHub's dark palette: every colour but black reads at 4.5:1 or better on the background;
// minimumContrastRatio lifts the rest (e.g. black text) without changing which colour it is.
const THEME = {
  background: "#0d1117",
  foreground: "#e6edf3",
  cursor: "#e6edf3",
  selectionBackground: "#264f78",
  black: "#484f58",
  red: "#ff7b72",
  green: "#3fb950",
  yellow: "#d29922",
  blue: "#58a6ff",
  magenta: "#bc8cff",
  cyan: "#39c5cf",
  white: "#b1bac4",
  brightBlack: "#6e7681",
  brightRed: "#ffa198",
  brightGreen: "#56d364",
  brightYellow: "#e3b341",
  brightBlue: "#79c0ff",
  brightMagenta: "#d2a8ff",
  brightCyan: "#56d4dd",
  brightWhite: "#ffffff",
};

export class RunTerminal {
  /**
   * @param {HTMLElement} container
   * @param {{follow: boolean, onFollowChange: (follow: boolean) => void, label: string}} options
   */
  constructor(container, { follow, onFollowChange, label }) {
    this.container = container;
    this.follow = follow;
    this.onFollowChange = onFollowChange;
    this.disposed = false;
    // xterm takes over the element it opens in (classes, size): give it a bare one, so the
    // pane's border and padding stay outside what the fit addon measures.
    this.host = document.createElement("div");
    this.host.className = "terminal-host";
    container.replaceChildren(this.host);
    container.setAttribute("aria-label", label);

    this.term = new Terminal({
      scrollback: SCROLLBACK_LINES,
      convertEol: true, // processes write "\n"; a terminal needs "\r\n"
      disableStdin: true, // stdin of a run is closed
      cursorBlink: false,
      cursorInactiveStyle: "none",
      fontFamily: '"DejaVu Sans Mono", "Liberation Mono", ui-monospace, Menlo, Consolas, monospace',
      fontSize: 13,
      lineHeight: 1.15,
      minimumContrastRatio: 4.5,
      theme: THEME,
    });
    this.fitAddon = new FitAddon();
    this.term.loadAddon(this.fitAddon);
    this.term.open(this.host);
    this.term.write("\x1b[?25l"); // output only: hide the cursor
    // Nothing is typed into a run, so Tab and Shift+Tab move the focus on instead of being
    // kept by the terminal (no keyboard trap).
    this.term.attachCustomKeyEventHandler((e) => e.key !== "Tab");
    this.term.textarea?.setAttribute("aria-label", label);

    this.fitPending = false;
    this.resizeObserver = new ResizeObserver(() => this.fitSoon());
    this.resizeObserver.observe(this.host);
    this.fitSoon();

    this.onWheel = (e) => {
      if (e.deltaY < 0 && this.follow) {
        this.onFollowChange(false);
      } else if (e.deltaY > 0 && !this.follow) {
        requestAnimationFrame(() => {
          const b = this.term.buffer.active;
          if (!this.disposed && b.viewportY >= b.baseY) this.onFollowChange(true);
        });
      }
    };
    container.addEventListener("wheel", this.onWheel, { passive: true });
  }

  fitSoon() {
    if (this.fitPending || this.disposed) return;
    this.fitPending = true;
    requestAnimationFrame(() => {
      this.fitPending = false;
      if (this.disposed || this.host.clientWidth === 0) return;
      try {
        this.fitAddon.fit();
      } catch {
        // not laid out yet: the next resize fits it
      }
    });
  }

  /** Called after each write the feed completes. */
  afterWrite() {
    if (this.follow) this.term.scrollToBottom();
  }

  setFollow(follow) {
    this.follow = follow;
    const b = this.term.buffer.active;
    if (follow) {
      this.term.scrollToBottom();
    } else if (b.baseY > 0 && b.viewportY >= b.baseY) {
      // At the bottom xterm keeps following by itself; one line up makes it hold still.
      this.term.scrollLines(-1);
    }
  }

  /** The selection, or the whole buffer (scrollback included) when nothing is selected. */
  copyText() {
    if (this.term.hasSelection()) return this.term.getSelection();
    return this.text();
  }

  /** The buffer's text, wrapped rows joined back into their lines, trailing blank lines trimmed. */
  text() {
    const b = this.term.buffer.active;
    const lines = [];
    for (let y = 0; y < b.length; y++) {
      const line = b.getLine(y);
      if (!line) continue;
      // A row that continues on the next one keeps its trailing spaces: they are part of the line.
      const text = line.translateToString(!b.getLine(y + 1)?.isWrapped);
      if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines.join("\n");
  }

  focus() {
    this.term.focus();
  }

  dispose() {
    this.disposed = true;
    this.resizeObserver.disconnect();
    this.container.removeEventListener("wheel", this.onWheel);
    this.term.dispose();
    this.host.remove();
  }
}
